"""Sentiment: negative / neutral / positive, a score in [-1, 1] and a calibrated confidence.

The model is a stack: first logistic regressions over TF-IDF n-grams of the text (the text heads),
whose log-probabilities (out of fold while training) join the MiniLM embedding and the lexicon features
of :mod:`voxpop.analyze.lexicon` in a second, multinomial one. The shipped model has one head over word
1–2-grams only (cheap to compute); a model adapted to a business's own labelled rows
(``sentiment_training.fit_from_csv``) has three over word and character n-grams: both together, words
alone and characters alone (``ADAPTED_HEADS``), and the embedding too gets a head of its own (the dense head,
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
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import scipy.sparse as sp

from voxpop.analyze import lexicon
from voxpop.analyze.embeddings import get_embedder
from voxpop.analyze.tfidf import Tfidf
from voxpop.errors import ValidationError
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
#: The arrays of a prior (shipped) model kept inside an adapted model's file. :func:`fit_from_csv` no
#: longer uses a prior (it gave no gain on the adapted benchmark, measured by a validation split inside
#: its training rows), but files fitted with one still load.
PRIOR_ARRAYS = ("mean", "scale", "coef", "intercept")
LOG_FLOOR = -20.0

#: TF-IDF settings of an adapted model: words and word pairs, and character 2–5-grams within words
#: (robust to misspellings and hashtags).
TEXT_VECTORIZERS: dict[str, dict[str, Any]] = {
    "word": {"analyzer": "word", "ngram_range": (1, 2), "min_df": 2, "sublinear_tf": True},
    "char": {"analyzer": "char_wb", "ngram_range": (2, 5), "min_df": 2, "sublinear_tf": True, "max_features": 150_000},
}


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
    vectorizers: dict[str, Tfidf] = field(default_factory=dict)
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
                options = json.loads(str(data[f"{name}_params"]))
                try:
                    vectorizers[name] = Tfidf.from_terms(data[f"{name}_terms"].tolist(), data[f"{name}_idf"], **options)
                except ValueError as exc:
                    raise ValidationError(f"{path}: the {name!r} n-grams cannot be read: {exc}") from exc
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
            arrays[f"{name}_params"] = np.array(json.dumps(vectorizer.options()))
            arrays[f"{name}_terms"] = np.array(vectorizer.terms, dtype=str)
            arrays[f"{name}_idf"] = vectorizer.idf.astype(np.float32)
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
        return [result_of(row) for row in self.probabilities(texts, embeddings)]


def result_of(probabilities: np.ndarray) -> SentimentResult:
    """The label, score and confidence of one row of class probabilities (:data:`CLASSES` order)."""
    best = int(probabilities.argmax())
    score = float(np.clip(probabilities[2] - probabilities[0], -1.0, 1.0))
    return SentimentResult(CLASSES[best], score, float(probabilities[best]))


def _columns(matrices: dict[str, sp.csr_matrix], names: Sequence[str]) -> sp.csr_matrix:
    return matrices[names[0]] if len(names) == 1 else sp.hstack([matrices[n] for n in names], format="csr")


def _log_softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
