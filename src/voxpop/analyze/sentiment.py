"""Sentiment: negative / neutral / positive, a score in [-1, 1] and a calibrated confidence.

The model is a stack: first logistic regressions over TF-IDF n-grams of the text (the text heads),
whose log-probabilities (out of fold while training) join the MiniLM embedding and the lexicon features
of :mod:`voxpop.analyze.lexicon` in a second, multinomial one. The shipped model has one head over word
1–2-grams only (cheap to compute); a model adapted to a business's own labelled rows
(:func:`fit_from_csv`) has three over word and character n-grams: both together, words alone and
characters alone (:data:`ADAPTED_HEADS`), and the embedding too gets a head of its own (the dense head,
over [embedding, lexicon]), whose log-probabilities the final layer reads instead of the 384 raw
dimensions. Models since file format 3 read the *layered* vector rather than the sentence embedding
(:data:`LAYERED`: the hidden states of every layer summed, then mean-pooled; ``Embedder.encode_layered``),
which keeps more of the wording the middle layers see. Weights are kept in a
``.npz`` file of plain arrays (loaded with ``allow_pickle=False``), so loading a model never runs code.

The shipped weights (``resources/sentiment.npz``) are written by ``scripts/train_sentiment.py`` from
permissively licensed data only; a fitted model in ``settings.models_path`` takes precedence.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from voxpop.analyze import lexicon
from voxpop.analyze.embeddings import get_embedder
from voxpop.errors import IngestError, ValidationError
from voxpop.settings import Settings, get_settings

CLASSES = ("negative", "neutral", "positive")
T = TypeVar("T")
logger = logging.getLogger(__name__)


@cache
def _warn_twice_embedded() -> None:
    """Logs once per process (cached)."""
    logger.warning(
        "sentiment: sentence vectors came without the layered ones this model reads, so the texts are "
        "embedded again (build batches with Batch.of(..., layered=...))"
    )


#: 3: which vectors the model reads (``representation``: :data:`LAST` or :data:`LAYERED`); 2: any number
#: of text heads, each over some of the vectorizers (``text_heads``, ``head{k}_coef``), and an optional
#: dense head (``dense_head_*``); 1: at most one text head over all the vectorizers (``text_coef``).
#: Files of formats 1 and 2 are still read (they read the last layer's vectors).
FORMAT_VERSION = 3
READABLE_VERSIONS = (1, 2, 3)
#: The vectors a model reads: the sentence embedding (the last layer's tokens, mean-pooled), or the
#: layered vector (the sum of every layer's, mean-pooled; ``Embedder.encode_layered``).
LAST, LAYERED = "last", "layered"
FITTED_FILE = "sentiment.npz"
#: Rows a business needs, per class, before an adapted model is worth having.
MIN_ROWS_PER_CLASS = 5
#: Regularisation of an adapted model's TF-IDF head, chosen on a validation part of the adapted
#: benchmark's training split (never on its test split).
TEXT_C = 2.0
#: Candidate strengths of an adapted model's final layer: :func:`train` keeps the one that
#: cross-validation on the business's own rows scores best, since the right one depends on how many
#: rows there are and how noisy their labels are.
ADAPTED_CS = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0)
#: Candidate strengths of an adapted model's dense head (over [embedding, lexicon]); the one whose
#: out-of-fold log-probabilities have the smallest log-loss is kept (they are the ones the final layer
#: learns from, so the choice costs no extra fits).
DENSE_CS = (0.01, 0.03, 0.1, 0.3)
#: Folds for the out-of-fold TF-IDF probabilities the final layer learns from.
FOLDS = 5
#: The arrays of a prior (shipped) model kept inside an adapted model's file. :func:`fit_from_csv` no
#: longer uses a prior (it gave no gain on the adapted benchmark, measured by a validation split inside
#: its training rows), but files fitted with one still load.
PRIOR_ARRAYS = ("mean", "scale", "coef", "intercept")
#: Folds for choosing the final layer's strength.
CV_FOLDS = 3
LOG_FLOOR = -20.0

#: TF-IDF settings of an adapted model: words and word pairs, and character 2–5-grams within words
#: (robust to misspellings and hashtags).
TEXT_VECTORIZERS: dict[str, dict[str, Any]] = {
    "word": {"analyzer": "word", "ngram_range": (1, 2), "min_df": 2, "sublinear_tf": True},
    "char": {"analyzer": "char_wb", "ngram_range": (2, 5), "min_df": 2, "sublinear_tf": True, "max_features": 150_000},
}
#: The text heads of an adapted model, each named by the vectorizers it reads. The three views make
#: different mistakes and the final layer weighs them: 3-fold CV inside the adapted benchmark's training
#: 80 % gave 0.8293 -> 0.8346 accuracy against the one joint head (session 7, BENCHMARKS.md).
ADAPTED_HEADS: tuple[tuple[str, ...], ...] = (("word", "char"), ("word",), ("char",))


@dataclass(frozen=True, slots=True)
class TextHead:
    """A logistic regression over the TF-IDF columns of some of a model's vectorizers."""

    names: tuple[str, ...]
    coef: np.ndarray  # (classes, columns of ``names``' vectorizers, in that order)
    intercept: np.ndarray


@dataclass(frozen=True, slots=True)
class SentimentResult:
    label: str  # "negative" | "neutral" | "positive"
    score: float  # P(positive) - P(negative), in [-1, 1]
    confidence: float  # probability of ``label``


def shipped_path() -> Path:
    return Path(str(resources.files("voxpop.analyze").joinpath("resources", "sentiment.npz")))


def fitted_path(settings: Settings) -> Path:
    return settings.models_path / FITTED_FILE


def text_of(text: str) -> str:
    """The form of a text the TF-IDF vectorizers see: no @mentions or URLs, lower case."""
    return lexicon.clean(text).lower()


@dataclass
class SentimentModel:
    """A fitted sentiment classifier; ``coef`` has one row per class over :meth:`features`."""

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: np.ndarray
    temperature: float = 1.0
    classes: tuple[str, ...] = CLASSES
    vectorizers: dict[str, TfidfVectorizer] = field(default_factory=dict)
    #: The TF-IDF heads, classes in ``classes`` order; their log-probabilities feed the final layer in turn.
    text_heads: list[TextHead] = field(default_factory=list)
    #: An adapted model's copy of the shipped linear layer, whose log-probabilities it learns from too.
    prior: SentimentModel | None = None
    #: A linear layer over [embedding, lexicon] fitted on the same rows (adapted models since format 2).
    #: With it the final layer reads [lexicon, its log-probabilities, ...] instead of the raw embedding:
    #: 384 dimensions beside a few log-probabilities needed a strength so small that it muted the
    #: other inputs too (3-fold CV inside the adapted benchmark's 80 %: 0.8346 -> 0.8387).
    dense_head: SentimentModel | None = None
    origin: str = ""
    settings: Settings | None = None
    #: :data:`LAST` or :data:`LAYERED`: which of the embedder's vectors ``embeddings`` arguments are.
    representation: str = LAST

    @property
    def reads_layered(self) -> bool:
        return self.representation == LAYERED

    def pick(self, last: T, layered: T | None) -> T | None:
        """Of the two kinds of vectors at hand (either may be a matrix or a list of them), the kind this
        model reads; ``None`` when it reads the layered ones and they are not at hand (it then embeds).

        Sentence vectors at hand without the layered ones mean the texts go through the model a second
        time: correct but twice the work, so it is logged (once per process) for whoever built the batch.
        """
        if not self.reads_layered:
            return last
        if layered is None and last is not None:
            _warn_twice_embedded()
        return layered

    @classmethod
    def load(cls, settings: Settings | None = None) -> SentimentModel:
        """The model fitted in ``settings.models_path`` if there is one, else the shipped one."""
        settings = settings or get_settings()
        path = fitted_path(settings)
        model = cls.read(path if path.is_file() else shipped_path())
        model.settings = settings
        return model

    @classmethod
    def read(cls, path: Path) -> SentimentModel:
        with np.load(path, allow_pickle=False) as data:
            version = int(data["format_version"])
            if version not in READABLE_VERSIONS:
                readable = ", ".join(map(str, READABLE_VERSIONS))
                raise ValidationError(f"{path}: sentiment model format {version}, this voxpop reads {readable}")
            vectorizers = {}
            for name in json.loads(str(data["vectorizer_names"])):
                params = json.loads(str(data[f"{name}_params"]))
                params["ngram_range"] = tuple(params["ngram_range"])
                terms = data[f"{name}_terms"].tolist()
                vectorizer = TfidfVectorizer(**params, vocabulary={t: i for i, t in enumerate(terms)})
                vectorizer.idf_ = data[f"{name}_idf"]
                vectorizers[name] = vectorizer
            prior = None
            if "prior_coef" in data.files:
                prior = cls(
                    mean=data["prior_mean"],
                    scale=data["prior_scale"],
                    coef=data["prior_coef"],
                    intercept=data["prior_intercept"],
                )
            dense_head = None
            if "dense_head_coef" in data.files:
                dense_head = cls(**{name: data[f"dense_head_{name}"] for name in PRIOR_ARRAYS})
            heads = []
            if version == 1 and vectorizers:
                heads.append(TextHead(tuple(vectorizers), data["text_coef"], data["text_intercept"]))
            elif version >= 2:
                for k, names in enumerate(json.loads(str(data["text_heads"]))):
                    heads.append(TextHead(tuple(names), data[f"head{k}_coef"], data[f"head{k}_intercept"]))
            representation = str(data["representation"]) if "representation" in data.files else LAST
            if representation not in (LAST, LAYERED):
                raise ValidationError(f"{path}: unknown sentiment representation {representation!r}")
            return cls(
                representation=representation,
                prior=prior,
                dense_head=dense_head,
                mean=data["mean"],
                scale=data["scale"],
                coef=data["coef"],
                intercept=data["intercept"],
                temperature=float(data["temperature"]),
                classes=tuple(data["classes"].tolist()),
                vectorizers=vectorizers,
                origin=str(data["origin"]),
                text_heads=heads,
            )

    def save(self, path: Path) -> Path:
        """Write the weights atomically (temporary file, then rename)."""
        arrays: dict[str, Any] = {
            "format_version": np.array(FORMAT_VERSION),
            "classes": np.array(self.classes, dtype=str),
            "mean": self.mean.astype(np.float32),
            "scale": self.scale.astype(np.float32),
            "coef": self.coef.astype(np.float32),
            "intercept": self.intercept.astype(np.float32),
            "temperature": np.array(self.temperature),
            "origin": np.array(self.origin),
            "representation": np.array(self.representation),
            "vectorizer_names": np.array(json.dumps(list(self.vectorizers))),
        }
        for name, vectorizer in self.vectorizers.items():
            params = {key: vectorizer.get_params()[key] for key in TEXT_VECTORIZERS[name] if key != "max_features"}
            arrays[f"{name}_params"] = np.array(json.dumps(params))
            arrays[f"{name}_terms"] = np.array(vectorizer.get_feature_names_out().tolist(), dtype=str)
            arrays[f"{name}_idf"] = vectorizer.idf_.astype(np.float32)
        if self.prior is not None:
            arrays.update({f"prior_{name}": getattr(self.prior, name).astype(np.float32) for name in PRIOR_ARRAYS})
        if self.dense_head is not None:
            layer = self.dense_head
            arrays.update({f"dense_head_{name}": getattr(layer, name).astype(np.float32) for name in PRIOR_ARRAYS})
        arrays["text_heads"] = np.array(json.dumps([list(head.names) for head in self.text_heads]))
        for k, head in enumerate(self.text_heads):
            arrays[f"head{k}_coef"] = head.coef.astype(np.float32)
            arrays[f"head{k}_intercept"] = head.intercept.astype(np.float32)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.partial.npz")
        np.savez_compressed(partial, **arrays)
        partial.replace(path)
        return path

    def dense_features(self, texts: Sequence[str], embeddings: np.ndarray | None = None) -> np.ndarray:
        """[embedding, lexicon features], unscaled; the embedding is the layered vector for a model that
        reads those (computed when ``embeddings`` is ``None``)."""
        if embeddings is None:
            embedder = get_embedder(self.settings)
            embeddings = embedder.encode_layered(texts) if self.reads_layered else embedder.encode(texts)
        if len(embeddings) != len(texts):
            raise ValueError(f"{len(texts)} texts but {len(embeddings)} embeddings")
        return np.hstack([embeddings, lexicon.features(texts)])

    def linear_log_probabilities(self, dense: np.ndarray) -> np.ndarray:
        """Log-probabilities of this model's linear layer over [embedding, lexicon] (``classes`` order)."""
        return _log_softmax(((dense - self.mean) / self.scale) @ self.coef.T + self.intercept)

    def text_matrices(self, texts: Sequence[str]) -> dict[str, sp.csr_matrix]:
        """Each vectorizer's TF-IDF matrix of ``texts`` (computed once, shared by the heads)."""
        plain = [text_of(t) for t in texts]
        return {name: v.transform(plain) for name, v in self.vectorizers.items()}

    def text_log_probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """The TF-IDF heads' log-probabilities side by side, ``(n, 3 × heads)``."""
        if not self.text_heads:
            raise ValueError("this sentiment model has no TF-IDF head")
        matrices = self.text_matrices(texts)
        return np.hstack(
            [
                _log_softmax(np.asarray(_columns(matrices, head.names) @ head.coef.T) + head.intercept)
                for head in self.text_heads
            ]
        )

    def features(self, texts: Sequence[str], embeddings: np.ndarray | None = None) -> np.ndarray:
        """The final layer's input, standardised: [embedding, lexicon, prior's and TF-IDF heads'
        log-probabilities] (the last two for adapted models only); with a dense head, its
        log-probabilities stand in for the embedding: [lexicon, dense head's, ...]."""
        dense = self.dense_features(texts, embeddings)
        if self.dense_head is not None:
            head = np.maximum(self.dense_head.linear_log_probabilities(dense), LOG_FLOOR)
            dense = np.hstack([dense[:, -len(lexicon.FEATURE_NAMES) :], head])
        if self.prior is not None:
            dense = np.hstack([dense, np.maximum(self.prior.linear_log_probabilities(dense), LOG_FLOOR)])
        if self.text_heads:
            dense = np.hstack([dense, np.maximum(self.text_log_probabilities(texts), LOG_FLOOR)])
        return (dense - self.mean) / self.scale

    def probabilities(self, texts: Sequence[str], embeddings: np.ndarray | None = None) -> np.ndarray:
        """``(n, 3)`` class probabilities, columns in :data:`CLASSES` order."""
        if not texts:
            return np.zeros((0, len(CLASSES)))
        logits = (self.features(texts, embeddings) @ self.coef.T + self.intercept) / self.temperature
        probs = np.exp(_log_softmax(logits))
        order = [self.classes.index(c) for c in CLASSES]
        return probs[:, order]

    def predict(self, texts: Sequence[str], embeddings: np.ndarray | None = None) -> list[SentimentResult]:
        probs = self.probabilities(texts, embeddings)
        results = []
        for row in probs:
            best = int(row.argmax())
            score = float(np.clip(row[2] - row[0], -1.0, 1.0))
            results.append(SentimentResult(CLASSES[best], score, float(row[best])))
        return results


def _columns(matrices: dict[str, sp.csr_matrix], names: Sequence[str]) -> sp.csr_matrix:
    return matrices[names[0]] if len(names) == 1 else sp.hstack([matrices[n] for n in names], format="csr")


def _log_softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def train(
    texts: Sequence[str],
    labels: Sequence[str],
    embeddings: np.ndarray,
    *,
    weights: np.ndarray | None = None,
    text_features: bool | Sequence[str] = False,
    text_heads: Sequence[Sequence[str]] | None = None,
    text_c: float = TEXT_C,
    dense_head: Sequence[float] = (),
    c: float | Sequence[float] = 1.0,
    prior: SentimentModel | None = None,
    origin: str = "",
    representation: str = LAST,
) -> SentimentModel:
    """Fit a model on labelled texts (labels in :data:`CLASSES`) and their embeddings (their layered
    vectors for ``representation=LAYERED``).

    With ``text_features`` (``True`` for every vectorizer of :data:`TEXT_VECTORIZERS`, or the names of
    some) TF-IDF heads of strength ``text_c``, weighted as the rows are, are fitted first — one over all
    those vectorizers, or one per group of vectorizer names in ``text_heads`` —; the final layer learns
    from their out-of-fold log-probabilities, so it weighs each head as it does on texts the head has not
    seen. Given strengths ``dense_head``, [embedding, lexicon] likewise get a head of their own (the
    strength with the best out-of-fold log-loss) whose log-probabilities replace the raw
    embedding in the final layer's input. Given several
    strengths ``c``, the final layer takes the one with the best cross-validated accuracy. A ``prior``
    (the shipped model) lends its log-probabilities as features, so what it learned from the seed set
    and the lexicon corpora is not lost when a business has few rows.
    """
    y = np.asarray(labels)
    model = SentimentModel(
        mean=np.zeros(0),
        scale=np.ones(0),
        coef=np.zeros(0),
        intercept=np.zeros(0),
        origin=origin,
        representation=representation,
    )
    dense = model.dense_features(texts, embeddings)
    if dense_head:
        if prior is not None:
            raise ValueError("a dense head and a prior do not go together")
        model.dense_head, out_of_fold = _dense_head(dense, y, weights, dense_head)
        dense = np.hstack([dense[:, -len(lexicon.FEATURE_NAMES) :], np.maximum(out_of_fold, LOG_FLOOR)])
    if prior is not None:
        if prior.vectorizers or prior.prior is not None:
            raise ValueError("a prior must be a plain linear model (the shipped one)")
        model.prior = SentimentModel(mean=prior.mean, scale=prior.scale, coef=prior.coef, intercept=prior.intercept)
        dense = np.hstack([dense, np.maximum(model.prior.linear_log_probabilities(dense), LOG_FLOOR)])
    if text_features:
        plain = [text_of(t) for t in texts]
        names = list(TEXT_VECTORIZERS) if text_features is True else list(text_features)
        groups = [tuple(names)] if text_heads is None else [tuple(group) for group in text_heads]
        unknown = {name for group in groups for name in group} - set(names)
        if unknown or not all(groups):
            raise ValueError(f"text heads must name some of the vectorizers {names}, not {sorted(unknown)}")
        model.vectorizers = {name: TfidfVectorizer(**TEXT_VECTORIZERS[name]).fit(plain) for name in names}
        matrices = model.text_matrices(texts)
        folds = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=0)
        fit_params = {} if weights is None else {"sample_weight": weights}
        for group in groups:
            matrix = _columns(matrices, group)
            head = LogisticRegression(C=text_c, max_iter=5000)
            out_of_fold = cross_val_predict(head, matrix, y, cv=folds, method="predict_log_proba", params=fit_params)
            head.fit(matrix, y, **fit_params)
            if tuple(head.classes_) != CLASSES:
                raise ValidationError(f"training labels must cover {', '.join(CLASSES)}")
            model.text_heads.append(TextHead(group, head.coef_, head.intercept_))
            dense = np.hstack([dense, np.maximum(out_of_fold, LOG_FLOOR)])
    model.mean, model.scale = _standardisation(dense)
    standard = (dense - model.mean) / model.scale
    strength = c if isinstance(c, float | int) else _best_strength(standard, y, weights, c)
    classifier = LogisticRegression(C=strength, max_iter=5000)
    classifier.fit(standard, y, sample_weight=weights)
    model.classes = tuple(str(label) for label in classifier.classes_)
    model.coef = classifier.coef_.astype(np.float32)
    model.intercept = classifier.intercept_.astype(np.float32)
    return model


def _standardisation(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Column means and standard deviations (a constant column keeps scale 1)."""
    scale = x.std(axis=0)
    scale[scale < 1e-6] = 1.0
    return x.mean(axis=0), scale


def _dense_head(
    dense: np.ndarray, y: np.ndarray, weights: np.ndarray | None, strengths: Sequence[float]
) -> tuple[SentimentModel, np.ndarray]:
    """A linear layer over ``dense`` ([embedding, lexicon]) and its out-of-fold log-probabilities, at the
    strength whose out-of-fold log-probabilities have the smallest (weighted) log-loss. (Not accuracy:
    a strength so small that every probability is near a third can still rank the classes right, and
    would tie with the useful ones.)"""
    mean, scale = _standardisation(dense)
    standard = (dense - mean) / scale
    folds = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=0)
    fit_params = {} if weights is None else {"sample_weight": weights}
    w = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=float)
    truth = np.searchsorted(np.asarray(CLASSES), y)
    best: tuple[float, float, np.ndarray] | None = None
    for strength in strengths:
        classifier = LogisticRegression(C=strength, max_iter=5000)
        out_of_fold = cross_val_predict(
            classifier, standard, y, cv=folds, method="predict_log_proba", params=fit_params
        )
        loss = -float(w @ out_of_fold[np.arange(len(y)), truth])
        if best is None or loss < best[0]:
            best = (loss, strength, out_of_fold)
    if best is None:
        raise ValueError("a dense head needs at least one strength")
    classifier = LogisticRegression(C=best[1], max_iter=5000).fit(standard, y, **fit_params)
    if tuple(classifier.classes_) != CLASSES:
        raise ValidationError(f"training labels must cover {', '.join(CLASSES)}")
    head = SentimentModel(mean=mean, scale=scale, coef=classifier.coef_, intercept=classifier.intercept_)
    return head, best[2]


def _best_strength(x: np.ndarray, y: np.ndarray, weights: np.ndarray | None, strengths: Sequence[float]) -> float:
    """The strength whose logistic regression has the best (weighted) accuracy over CV_FOLDS folds."""
    folds = StratifiedKFold(n_splits=CV_FOLDS, shuffle=True, random_state=0)
    w = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=float)
    scores = []
    for strength in strengths:
        hits = 0.0
        for fit, held in folds.split(x, y):
            classifier = LogisticRegression(C=strength, max_iter=5000).fit(x[fit], y[fit], sample_weight=w[fit])
            hits += float(w[held] @ (classifier.predict(x[held]) == y[held]))
        scores.append(hits)
    return float(strengths[int(np.argmax(scores))])


def read_labelled_rows(path: Path, *, text_column: str, label_column: str) -> tuple[list[str], list[str]]:
    """Texts and labels from a CSV; every label must be one of :data:`CLASSES` (case-insensitive)."""
    from voxpop.analyze.taxonomy import read_labelled_csv

    texts, cells = read_labelled_csv(path, text_column=text_column, label_column=label_column, separator="\0")
    labels = []
    for row, cell in enumerate(cells, start=1):
        label = cell[0].lower() if len(cell) == 1 else ""
        if label not in CLASSES:
            raise IngestError(
                str(path),
                f"label {';'.join(cell)!r} is not one of {', '.join(CLASSES)}",
                row=row,
                field=label_column,
            )
        labels.append(label)
    counts = Counter(labels)
    short = [c for c in CLASSES if counts[c] < MIN_ROWS_PER_CLASS]
    if short:
        raise IngestError(
            str(path), f"needs at least {MIN_ROWS_PER_CLASS} rows of each label; too few: {', '.join(short)}"
        )
    return texts, labels


def fit_from_csv(settings: Settings, path: Path, *, text_column: str, label_column: str) -> str:
    """Adapt the sentiment model to a business's labelled rows and save it for :meth:`SentimentModel.load`."""
    texts, labels = read_labelled_rows(path, text_column=text_column, label_column=label_column)
    layered = get_embedder(settings).encode_layered(texts)
    model = train(
        texts,
        labels,
        layered,
        representation=LAYERED,
        text_features=True,
        text_heads=ADAPTED_HEADS,
        dense_head=DENSE_CS,
        c=ADAPTED_CS,
        origin=f"fitted on {len(texts)} rows of {Path(path).name}",
    )
    saved = model.save(fitted_path(settings))
    counts = Counter(labels)
    split = ", ".join(f"{counts[c]} {c}" for c in CLASSES)
    return f"Sentiment model fitted on {len(texts)} rows ({split}) and saved to {saved}."
