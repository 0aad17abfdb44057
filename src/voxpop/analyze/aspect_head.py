"""The learned part of a taxonomy: which aspects a text is about, from labelled examples.

Two linear models, stacked:

- **words**: TF-IDF of word 1–2-grams and character 2–5-grams (inside word boundaries), which catches
  the business's own vocabulary ("bag", "refund", "gate agent", misspellings, hashtags);
- **meaning**: the 384-d sentence embedding, which generalises to phrasings never seen in training.

Their log-odds are mixed with a weight, then per-aspect thresholds (several labels per text) or per-aspect
offsets (exactly one label per text) are tuned on out-of-fold predictions to maximise F1 (micro for
multi-label, macro for single-label, so rare reasons are not drowned by common ones).

Everything is plain arrays, so a head is saved as an ``.npz`` (base64 inside the taxonomy's YAML) and
loaded with ``allow_pickle=False``: a taxonomy file from elsewhere cannot run code.
"""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold, StratifiedKFold

from voxpop.errors import ValidationError

HEAD_FORMAT = "voxpop-aspect-head/1+npz+base64"
FOLDS = 3
WORD_NGRAMS = (1, 2)
CHAR_NGRAMS = (2, 5)
# Inverse regularisation strengths tried for each model; cross-validation picks one (per aspect when
# several labels per text are allowed, since each aspect is then its own binary model).
TEXT_CS = (1.0, 4.0, 16.0)
EMBEDDING_CS = (0.5, 2.0, 8.0)
BLEND_GRID = np.round(np.linspace(0.0, 1.0, 11), 2)
THRESHOLD_GRID = np.linspace(0.05, 0.95, 37)
GUARD_QUANTILE = 0.02


class Encoder(Protocol):
    """Anything that turns texts into unit vectors (``voxpop.analyze.embeddings.Embedder``)."""

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


def _vectorizers(min_df: int) -> tuple[TfidfVectorizer, TfidfVectorizer]:
    words = TfidfVectorizer(ngram_range=WORD_NGRAMS, min_df=min_df, sublinear_tf=True, dtype=np.float32)
    chars = TfidfVectorizer(
        analyzer="char_wb", ngram_range=CHAR_NGRAMS, min_df=min_df, sublinear_tf=True, dtype=np.float32
    )
    return words, chars


def _restore(vocabulary: list[str], idf: np.ndarray, template: TfidfVectorizer) -> TfidfVectorizer:
    vectorizer = TfidfVectorizer(**{**template.get_params(), "vocabulary": {t: i for i, t in enumerate(vocabulary)}})
    vectorizer.idf_ = idf.astype(np.float64)
    return vectorizer


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.asarray(np.log(p / (1 - p)))


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return np.asarray(1.0 / (1.0 + np.exp(-z)))


def _log_softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    return np.asarray(z - np.log(np.exp(z).sum(axis=1, keepdims=True)))


@dataclass
class AspectHead:
    """Learned weights for ``labels``; ``exclusive`` when every training text had exactly one label."""

    labels: list[str]
    exclusive: bool
    at_least_one: bool  # every training text had a label: never answer "none"
    word_vocabulary: list[str]
    word_idf: np.ndarray
    char_vocabulary: list[str]
    char_idf: np.ndarray
    text_coef: np.ndarray  # (labels, word + char features)
    text_intercept: np.ndarray
    embedding_coef: np.ndarray | None  # (labels, dim), None when fitted without an embedder
    embedding_intercept: np.ndarray | None
    blend: np.ndarray  # per aspect, weight of the TF-IDF model's log-odds (the rest: the embedding model)
    offsets: np.ndarray  # multi-label: per-aspect log-odds thresholds; exclusive: added to the log-probs
    # The out-of-domain guard (see ``decide``): mean training embedding per aspect, and the cosine to it
    # that all but ``GUARD_QUANTILE`` of the aspect's training texts reach. Empty when fitted without.
    centroids: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.float32))
    floors: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.float32))

    def __post_init__(self) -> None:
        words, chars = _vectorizers(1)
        self._words = _restore(self.word_vocabulary, self.word_idf, words)
        self._chars = _restore(self.char_vocabulary, self.char_idf, chars)

    @property
    def uses_embeddings(self) -> bool:
        return self.embedding_coef is not None

    def features(self, texts: Sequence[str]) -> sparse.csr_matrix:
        texts = [text or "" for text in texts]
        return sparse.hstack([self._words.transform(texts), self._chars.transform(texts)]).tocsr()

    def logits(self, texts: Sequence[str], embeddings: np.ndarray | None = None) -> np.ndarray:
        """Blended per-aspect log-odds (multi-label) or log-probabilities (exclusive), ``(n, labels)``."""
        text_z = np.asarray(self.features(texts) @ self.text_coef.T) + self.text_intercept
        if self.embedding_coef is None or self.embedding_intercept is None or bool(np.all(self.blend >= 1.0)):
            return _log_softmax(text_z) if self.exclusive else text_z
        if embeddings is None:
            raise ValueError("this head was fitted with embeddings: pass the texts' embeddings")
        embedding_z = embeddings @ self.embedding_coef.T + self.embedding_intercept
        if self.exclusive:
            weight = float(self.blend[0])
            return weight * _log_softmax(text_z) + (1 - weight) * _log_softmax(embedding_z)
        return np.asarray(self.blend * text_z + (1 - self.blend) * embedding_z)

    def scores(self, texts: Sequence[str], embeddings: np.ndarray | None = None) -> np.ndarray:
        """A probability-like score per text and aspect, in [0, 1]."""
        z = self.logits(texts, embeddings)
        return np.exp(_log_softmax(z)) if self.exclusive else _sigmoid(z)

    def margins(self, z: np.ndarray) -> np.ndarray:
        """How far each aspect is past its decision point (> 0: tagged), from :meth:`logits`."""
        if self.exclusive:
            adjusted = z + self.offsets
            best = adjusted.max(axis=1, keepdims=True)
            return np.asarray(adjusted - best + 1e-9)  # only the top aspect is >= 0
        return np.asarray(z - self.offsets)

    def decide(self, z: np.ndarray, embeddings: np.ndarray | None = None) -> list[list[int]]:
        """Indices of the tagged aspects per text, best first.

        A head trained only on texts that each had an aspect always names one (the top aspect when none
        passes). Given ``embeddings``, that forced answer is dropped for a text farther from the aspect's
        training texts than nearly all of them were: "hello" is not a complaint about lost luggage.
        """
        margins = self.margins(z)
        guard = embeddings is not None and self.centroids.shape == (len(self.labels), np.shape(embeddings)[-1])
        closeness = np.asarray(embeddings) @ self.centroids.T if guard else None
        out: list[list[int]] = []
        for r, row in enumerate(margins):
            order = [int(i) for i in np.argsort(-row)]
            chosen = [i for i in order if row[i] > 0]
            if self.exclusive or (not chosen and self.at_least_one):
                chosen = order[:1]
                if closeness is not None and closeness[r, chosen[0]] < self.floors[chosen[0]]:
                    chosen = []
            out.append(chosen)
        return out

    def predict(self, texts: Sequence[str], embeddings: np.ndarray | None = None) -> list[list[str]]:
        return [[self.labels[i] for i in row] for row in self.decide(self.logits(texts, embeddings))]


# --- training -----------------------------------------------------------------------------------------


def _fit_linear(
    x: Any, y: np.ndarray, exclusive: bool, n_labels: int, c: float | np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Coefficients ``(labels, features)`` and intercepts; a label absent from ``y`` gets a very low score.

    ``c`` is one strength (exclusive: one multinomial model) or one per aspect (one binary model each).
    """
    strengths = np.broadcast_to(np.asarray(c, dtype=float), (n_labels,))
    coef = np.zeros((n_labels, x.shape[1]), dtype=np.float32)
    intercept = np.full(n_labels, -12.0, dtype=np.float32)
    if exclusive:
        classes = np.unique(y)
        if len(classes) == 1:
            intercept[classes[0]] = 0.0
            return coef, intercept
        model = LogisticRegression(C=float(strengths[0]), max_iter=3000, class_weight="balanced").fit(x, y)
        if len(classes) == 2:  # sklearn keeps one row for two classes: split it into a symmetric pair
            coef[classes] = np.vstack([-model.coef_[0] / 2, model.coef_[0] / 2])
            intercept[classes] = [-model.intercept_[0] / 2, model.intercept_[0] / 2]
        else:
            coef[classes] = model.coef_
            intercept[classes] = model.intercept_
        return coef, intercept
    for k in range(n_labels):
        target = y[:, k]
        positives = int(target.sum())
        if positives == 0 or positives == len(target):
            rate = (positives + 0.5) / (len(target) + 1.0)
            intercept[k] = float(np.log(rate / (1 - rate)))
            continue
        model = LogisticRegression(
            C=float(strengths[k]), max_iter=3000, class_weight="balanced", solver="liblinear"
        ).fit(x, target)
        coef[k] = model.coef_[0]
        intercept[k] = model.intercept_[0]
    return coef, intercept


def _out_of_fold(x: Any, y: np.ndarray, exclusive: bool, n_labels: int, c: float, folds: list[Any]) -> np.ndarray:
    """Log-odds (multi-label) or log-probabilities (exclusive) of every row from a model that never saw it."""
    z = np.zeros((x.shape[0], n_labels))
    for train, test in folds:
        coef, intercept = _fit_linear(x[train], y[train], exclusive, n_labels, c)
        z[test] = np.asarray(x[test] @ coef.T) + intercept
    return _log_softmax(z) if exclusive else z


def _macro_f1(y: np.ndarray, pred: np.ndarray, n_labels: int) -> float:
    scores = []
    for k in range(n_labels):
        tp = np.sum((pred == k) & (y == k))
        fp = np.sum((pred == k) & (y != k))
        fn = np.sum((pred != k) & (y == k))
        if tp + fp + fn:
            scores.append(2 * tp / (2 * tp + fp + fn))
    return float(np.mean(scores)) if scores else 0.0


def _micro_f1(y: np.ndarray, pred: np.ndarray) -> float:
    tp = np.sum(pred & y)
    denominator = pred.sum() + y.sum()
    return float(2 * tp / denominator) if denominator else 1.0


def _best_threshold(z: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """The log-odds threshold maximising one aspect's F1, and that F1."""
    candidates = _logit(THRESHOLD_GRID)
    f1s = [_micro_f1(y, z > t) for t in candidates]
    best = int(np.argmax(f1s))
    return float(candidates[best]), float(f1s[best])


def _select_exclusive(
    x: Any, e: np.ndarray, y: np.ndarray, n_labels: int, folds: list[Any]
) -> tuple[float, float, float]:
    """``(text C, embedding C, blend)`` maximising out-of-fold macro-F1 of the top aspect.

    Per-aspect offsets tuned the same way were tried and dropped: they raised the out-of-fold score but
    lowered held-out macro-F1 on the airline complaint reasons (0.646 → 0.614).
    """

    def pick(matrix: Any, strengths: Sequence[float]) -> tuple[float, np.ndarray]:
        runs = [(c, _out_of_fold(matrix, y, True, n_labels, c, folds)) for c in strengths]
        return max(runs, key=lambda run: _macro_f1(y, run[1].argmax(axis=1), n_labels))

    text_c, text_z = pick(x, TEXT_CS)
    embedding_c, embedding_z = pick(e, EMBEDDING_CS)
    blends = [(w, _macro_f1(y, (w * text_z + (1 - w) * embedding_z).argmax(axis=1), n_labels)) for w in BLEND_GRID]
    return text_c, embedding_c, float(max(blends, key=lambda b: b[1])[0])


def _select_multilabel(
    x: Any, e: np.ndarray, y: np.ndarray, n_labels: int, folds: list[Any]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per aspect: text C, embedding C, blend and threshold maximising its out-of-fold F1."""
    text_runs = [_out_of_fold(x, y, False, n_labels, c, folds) for c in TEXT_CS]
    embedding_runs = [_out_of_fold(e, y, False, n_labels, c, folds) for c in EMBEDDING_CS]
    text_c, embedding_c = np.zeros(n_labels), np.zeros(n_labels)
    blend, thresholds = np.ones(n_labels), np.zeros(n_labels)
    for k in range(n_labels):
        target = y[:, k]
        t = max(range(len(TEXT_CS)), key=lambda i: _best_threshold(text_runs[i][:, k], target)[1])
        m = max(range(len(EMBEDDING_CS)), key=lambda i: _best_threshold(embedding_runs[i][:, k], target)[1])
        text_c[k], embedding_c[k] = TEXT_CS[t], EMBEDDING_CS[m]
        best = -1.0
        for w in BLEND_GRID:
            threshold, f1 = _best_threshold(w * text_runs[t][:, k] + (1 - w) * embedding_runs[m][:, k], target)
            if f1 > best + 1e-9:
                best, blend[k], thresholds[k] = f1, w, threshold
    return text_c, embedding_c, blend, thresholds


def _guard(embeddings: np.ndarray, y: np.ndarray, exclusive: bool, n_labels: int) -> tuple[np.ndarray, np.ndarray]:
    """Per aspect: the unit mean of its training embeddings and the low quantile of cosines to it."""
    centroids = np.zeros((n_labels, embeddings.shape[1]), dtype=np.float32)
    floors = np.full(n_labels, -1.0, dtype=np.float32)
    for k in range(n_labels):
        members = embeddings[y == k] if exclusive else embeddings[y[:, k]]
        if len(members) == 0:
            continue
        mean = members.mean(axis=0)
        centroids[k] = mean / max(float(np.linalg.norm(mean)), 1e-12)
        floors[k] = float(np.quantile(members @ centroids[k], GUARD_QUANTILE))
    return centroids, floors


def train_head(texts: list[str], labels: list[list[str]], *, embedder: Encoder | None = None) -> AspectHead:
    """Fit a head on ``texts`` and their aspect names (an empty list: the text is about none of them).

    ``embedder=None`` takes voxpop's default sentence embedder.
    """
    names = sorted({name for row in labels for name in row})
    if not texts:
        raise ValidationError("cannot learn aspects from no rows")
    if not names:
        raise ValidationError("cannot learn aspects: no row has a label")
    counts = {name: sum(name in row for row in labels) for name in names}
    exclusive = len(names) > 1 and all(len(row) == 1 for row in labels)
    at_least_one = all(row for row in labels)
    if not exclusive and at_least_one and len(names) == 1:
        raise ValidationError(f"every row has the single label {names[0]!r}: add rows of other aspects or none")
    index = {name: i for i, name in enumerate(names)}
    if exclusive:
        y: np.ndarray = np.array([index[row[0]] for row in labels])
    else:
        y = np.zeros((len(texts), len(names)), dtype=bool)
        for r, row in enumerate(labels):
            for name in row:
                y[r, index[name]] = True

    if embedder is None:
        from voxpop.analyze.embeddings import get_embedder

        embedder = get_embedder()
    embeddings = np.asarray(embedder.encode(texts), dtype=np.float32)
    min_df = 2 if len(texts) >= 200 else 1
    words, chars = _vectorizers(min_df)
    x = sparse.hstack([words.fit_transform(texts), chars.fit_transform(texts)]).tocsr()

    # Choose the strengths, the blend and the decision points on out-of-fold predictions.
    n_folds = min(FOLDS, min(counts.values())) if exclusive else FOLDS
    text_c: float | np.ndarray = TEXT_CS[1]
    embedding_c: float | np.ndarray = EMBEDDING_CS[1]
    blend, offsets = np.full(len(names), 0.5), np.zeros(len(names))
    if n_folds >= 2 and len(texts) >= 4 * FOLDS:
        splitter = (StratifiedKFold if exclusive else KFold)(n_folds, shuffle=True, random_state=0)
        folds = list(splitter.split(x, y if exclusive else None))
        if exclusive:
            text_c, embedding_c, weight = _select_exclusive(x, embeddings, y, len(names), folds)
            blend[:] = weight
        else:
            text_c, embedding_c, blend, offsets = _select_multilabel(x, embeddings, y, len(names), folds)
    centroids, floors = _guard(embeddings, y, exclusive, len(names))
    text_coef, text_intercept = _fit_linear(x, y, exclusive, len(names), text_c)
    emb_coef, emb_intercept = _fit_linear(embeddings, y, exclusive, len(names), embedding_c)
    return AspectHead(
        labels=names,
        exclusive=exclusive,
        at_least_one=at_least_one,
        word_vocabulary=[str(t) for t in words.get_feature_names_out()],
        word_idf=words.idf_.astype(np.float32),
        char_vocabulary=[str(t) for t in chars.get_feature_names_out()],
        char_idf=chars.idf_.astype(np.float32),
        text_coef=text_coef,
        text_intercept=text_intercept,
        embedding_coef=emb_coef,
        embedding_intercept=emb_intercept,
        blend=blend.astype(np.float32),
        offsets=offsets.astype(np.float32),
        centroids=centroids,
        floors=floors,
    )


# --- saving: arrays only, never a pickle ---------------------------------------------------------------


def _pack_strings(values: list[str]) -> np.ndarray:
    """Strings as one UTF-8 blob (n-grams never hold a newline: the vectorisers normalise whitespace)."""
    return np.frombuffer("\n".join(values).encode("utf-8"), dtype=np.uint8)


def _unpack_strings(blob: np.ndarray) -> list[str]:
    text = blob.tobytes().decode("utf-8")
    return text.split("\n") if text else []


def encode_head(head: AspectHead) -> tuple[str, str]:
    """``(format, base64 text)`` for the ``head:`` block of a taxonomy file."""
    meta = {"labels": head.labels, "exclusive": head.exclusive, "at_least_one": head.at_least_one}
    arrays: dict[str, np.ndarray] = {
        "meta": _pack_strings([json.dumps(meta)]),
        "word_vocabulary": _pack_strings(head.word_vocabulary),
        "word_idf": head.word_idf.astype(np.float32),
        "char_vocabulary": _pack_strings(head.char_vocabulary),
        "char_idf": head.char_idf.astype(np.float32),
        "text_coef": head.text_coef.astype(np.float16),
        "text_intercept": head.text_intercept.astype(np.float32),
        "offsets": head.offsets.astype(np.float32),
        "blend": head.blend.astype(np.float32),
        "centroids": head.centroids.astype(np.float16),
        "floors": head.floors.astype(np.float32),
    }
    if head.embedding_coef is not None and head.embedding_intercept is not None:
        arrays["embedding_coef"] = head.embedding_coef.astype(np.float32)
        arrays["embedding_intercept"] = head.embedding_intercept.astype(np.float32)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)  # type: ignore[arg-type]
    return HEAD_FORMAT, base64.b64encode(buffer.getvalue()).decode("ascii")


def decode_head(fmt: str, data: str) -> AspectHead:
    """The inverse of :func:`encode_head`; raises ``ValueError`` with a short reason on a bad block."""
    if fmt != HEAD_FORMAT:
        raise ValueError(f"unknown head format {fmt!r} (expected {HEAD_FORMAT!r})")
    try:
        raw = base64.b64decode(data.encode("ascii"), validate=True)
        with np.load(io.BytesIO(raw), allow_pickle=False) as npz:
            arrays = {key: npz[key] for key in npz.files}
        meta = json.loads(_unpack_strings(arrays["meta"])[0])
        labels = [str(label) for label in meta["labels"]]
        head = AspectHead(
            labels=labels,
            exclusive=bool(meta["exclusive"]),
            at_least_one=bool(meta["at_least_one"]),
            word_vocabulary=_unpack_strings(arrays["word_vocabulary"]),
            word_idf=arrays["word_idf"],
            char_vocabulary=_unpack_strings(arrays["char_vocabulary"]),
            char_idf=arrays["char_idf"],
            text_coef=arrays["text_coef"].astype(np.float32),
            text_intercept=arrays["text_intercept"],
            embedding_coef=arrays.get("embedding_coef"),
            embedding_intercept=arrays.get("embedding_intercept"),
            blend=arrays["blend"],
            centroids=arrays["centroids"].astype(np.float32) if "centroids" in arrays else np.zeros((0, 0), np.float32),
            floors=arrays.get("floors", np.zeros(0, dtype=np.float32)),
            offsets=arrays["offsets"],
        )
    except (ValueError, KeyError, IndexError, TypeError, OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"the learned head is damaged ({type(exc).__name__}: {exc})") from exc
    features = len(head.word_vocabulary) + len(head.char_vocabulary)
    if head.text_coef.shape != (len(labels), features) or {head.offsets.shape, head.blend.shape} != {(len(labels),)}:
        raise ValueError("the learned head's arrays do not match its labels and vocabulary")
    return head
