"""Sentiment: negative / neutral / positive, a score in [-1, 1] and a calibrated confidence.

The model is a multinomial logistic regression over the MiniLM embedding of the text and the lexicon
features of :mod:`voxpop.analyze.lexicon`; a model adapted to a business's own labelled rows
(:func:`fit_from_csv`) adds TF-IDF word and character n-grams of their text. Weights are kept in a
``.npz`` file of plain arrays (loaded with ``allow_pickle=False``), so loading a model never runs code.

The shipped weights (``resources/sentiment.npz``) are written by ``scripts/train_sentiment.py`` from
permissively licensed data only; a fitted model in ``settings.models_path`` takes precedence.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from voxpop.analyze import lexicon
from voxpop.analyze.embeddings import get_embedder
from voxpop.errors import IngestError, ValidationError
from voxpop.settings import Settings, get_settings

CLASSES = ("negative", "neutral", "positive")
FORMAT_VERSION = 1
FITTED_FILE = "sentiment.npz"
#: Rows a business needs, per class, before an adapted model is worth having.
MIN_ROWS_PER_CLASS = 5
#: Regularisation of an adapted model, and the weight of its dense block (embedding + lexicon, each
#: column standardised) against its TF-IDF blocks (unit-length rows): about 3 / sqrt(columns) puts the
#: dense block on the same footing. Chosen on the adapted benchmark's training split.
ADAPTED_C = 1.0
ADAPTED_DENSE_WEIGHT = 3.0 / float(np.sqrt(384 + len(lexicon.FEATURE_NAMES)))

#: TF-IDF settings of an adapted model: words and word pairs, and character 2–5-grams within words
#: (robust to misspellings and hashtags).
TEXT_VECTORIZERS: dict[str, dict[str, Any]] = {
    "word": {"analyzer": "word", "ngram_range": (1, 2), "min_df": 2, "sublinear_tf": True},
    "char": {"analyzer": "char_wb", "ngram_range": (2, 5), "min_df": 2, "sublinear_tf": True, "max_features": 150_000},
}


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
    """A fitted sentiment classifier. ``coef`` has one row per class over [dense features, TF-IDF]."""

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: np.ndarray
    dense_weight: float = 1.0
    temperature: float = 1.0
    classes: tuple[str, ...] = CLASSES
    vectorizers: dict[str, TfidfVectorizer] = field(default_factory=dict)
    origin: str = ""
    settings: Settings | None = None

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
            if version != FORMAT_VERSION:
                raise ValidationError(f"{path}: sentiment model format {version}, this voxpop reads {FORMAT_VERSION}")
            vectorizers = {}
            for name in json.loads(str(data["vectorizer_names"])):
                params = json.loads(str(data[f"{name}_params"]))
                params["ngram_range"] = tuple(params["ngram_range"])
                terms = data[f"{name}_terms"].tolist()
                vectorizer = TfidfVectorizer(**params, vocabulary={t: i for i, t in enumerate(terms)})
                vectorizer.idf_ = data[f"{name}_idf"]
                vectorizers[name] = vectorizer
            return cls(
                mean=data["mean"],
                scale=data["scale"],
                coef=data["coef"],
                intercept=data["intercept"],
                dense_weight=float(data["dense_weight"]),
                temperature=float(data["temperature"]),
                classes=tuple(data["classes"].tolist()),
                vectorizers=vectorizers,
                origin=str(data["origin"]),
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
            "dense_weight": np.array(self.dense_weight),
            "temperature": np.array(self.temperature),
            "origin": np.array(self.origin),
            "vectorizer_names": np.array(json.dumps(list(self.vectorizers))),
        }
        for name, vectorizer in self.vectorizers.items():
            params = {key: vectorizer.get_params()[key] for key in TEXT_VECTORIZERS[name] if key != "max_features"}
            arrays[f"{name}_params"] = np.array(json.dumps(params))
            arrays[f"{name}_terms"] = np.array(vectorizer.get_feature_names_out().tolist(), dtype=str)
            arrays[f"{name}_idf"] = vectorizer.idf_.astype(np.float32)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.partial.npz")
        np.savez_compressed(partial, **arrays)
        partial.replace(path)
        return path

    def features(self, texts: Sequence[str], embeddings: np.ndarray | None = None) -> sp.csr_matrix | np.ndarray:
        """The classifier's input: scaled [embedding, lexicon] (times ``dense_weight``), then TF-IDF."""
        if embeddings is None:
            embeddings = get_embedder(self.settings).encode(texts)
        if len(embeddings) != len(texts):
            raise ValueError(f"{len(texts)} texts but {len(embeddings)} embeddings")
        dense = np.hstack([embeddings, lexicon.features(texts)])
        dense = (dense - self.mean) / self.scale * self.dense_weight
        if not self.vectorizers:
            return dense
        plain = [text_of(t) for t in texts]
        blocks = [sp.csr_matrix(dense), *(v.transform(plain) for v in self.vectorizers.values())]
        return sp.hstack(blocks, format="csr")

    def probabilities(self, texts: Sequence[str], embeddings: np.ndarray | None = None) -> np.ndarray:
        """``(n, 3)`` class probabilities, columns in :data:`CLASSES` order."""
        if not texts:
            return np.zeros((0, len(CLASSES)))
        logits = np.asarray(self.features(texts, embeddings) @ self.coef.T) + self.intercept
        logits = logits / self.temperature
        logits -= logits.max(axis=1, keepdims=True)
        probs = np.exp(logits)
        probs /= probs.sum(axis=1, keepdims=True)
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


def train(
    texts: Sequence[str],
    labels: Sequence[str],
    embeddings: np.ndarray,
    *,
    weights: np.ndarray | None = None,
    text_features: bool = False,
    c: float = 1.0,
    dense_weight: float = 1.0,
    origin: str = "",
) -> SentimentModel:
    """Fit a model on labelled texts (labels in :data:`CLASSES`) and their embeddings."""
    dense = np.hstack([embeddings, lexicon.features(texts)])
    mean = dense.mean(axis=0)
    scale = dense.std(axis=0)
    scale[scale < 1e-6] = 1.0
    model = SentimentModel(mean=mean, scale=scale, coef=np.zeros(0), intercept=np.zeros(0), origin=origin)
    model.dense_weight = dense_weight
    if text_features:
        plain = [text_of(t) for t in texts]
        model.vectorizers = {name: TfidfVectorizer(**params).fit(plain) for name, params in TEXT_VECTORIZERS.items()}
    X = model.features(texts, embeddings)
    classifier = LogisticRegression(C=c, max_iter=5000)
    classifier.fit(X, np.asarray(labels), sample_weight=weights)
    model.classes = tuple(str(c) for c in classifier.classes_)
    model.coef = classifier.coef_.astype(np.float32)
    model.intercept = classifier.intercept_.astype(np.float32)
    return model


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
    embeddings = get_embedder(settings).encode(texts)
    model = train(
        texts,
        labels,
        embeddings,
        text_features=True,
        c=ADAPTED_C,
        dense_weight=ADAPTED_DENSE_WEIGHT,
        origin=f"fitted on {len(texts)} rows of {Path(path).name}",
    )
    saved = model.save(fitted_path(settings))
    counts = Counter(labels)
    split = ", ".join(f"{counts[c]} {c}" for c in CLASSES)
    return f"Sentiment model fitted on {len(texts)} rows ({split}) and saved to {saved}."
