"""The learned part of a taxonomy: which aspects a text is about, from labelled examples.

Two linear models, stacked:

- **words**: TF-IDF of word 1–2-grams and character 2–5-grams (inside word boundaries), which catches
  the business's own vocabulary ("bag", "refund", "gate agent", misspellings, hashtags);
- **meaning**: the 384-d sentence embedding, which generalises to phrasings never seen in training.

Their log-odds are mixed with a weight and compared with per-aspect thresholds (several labels per text),
or the top aspect is taken (exactly one label per text). When several labels per text are allowed, a small
second-level model (a *stack*) replaces the fixed mix: per aspect, a logistic regression over the
first-level models' log-odds for *every* aspect, so that what co-occurs (or excludes each other:
"anecdotes" is rarely "food") is learned too. Such heads also have a word-only and a character-only
TF-IDF model beside the joint one (format /3): each regularised on its own block, they let the stack weigh
vocabulary against spelling per aspect. Training lives in :mod:`voxpop.analyze.aspect_training`.

Everything is plain arrays, so a head is saved as an ``.npz`` (base64 inside the taxonomy's YAML) and
loaded with ``allow_pickle=False``: a taxonomy file from elsewhere cannot run code.
"""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import sparse

from voxpop.analyze.tfidf import Tfidf

HEAD_FORMAT = "voxpop-aspect-head/1+npz+base64"
#: Written for heads with a stack, so that an older voxpop refuses them instead of ignoring the stack.
STACKED_HEAD_FORMAT = "voxpop-aspect-head/2+npz+base64"
#: Written for stacked heads that also have separate word and character models (see ``AspectHead``).
SPLIT_HEAD_FORMAT = "voxpop-aspect-head/3+npz+base64"
WORD_NGRAMS = (1, 2)
CHAR_NGRAMS = (2, 5)


def text_options(word_ngrams: tuple[int, int], char_ngrams: tuple[int, int]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The TF-IDF options of a head's word and character n-grams (training fits its vocabularies with them)."""
    common = {"sublinear_tf": True, "dtype": np.float32}
    return (
        {"analyzer": "word", "ngram_range": word_ngrams, **common},
        {"analyzer": "char_wb", "ngram_range": char_ngrams, **common},
    )


def logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.asarray(np.log(p / (1 - p)))


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return np.asarray(1.0 / (1.0 + np.exp(-z)))


def stack_logits(first_level: Sequence[np.ndarray], coef: np.ndarray, intercept: np.ndarray) -> np.ndarray:
    """The second level's log-odds from the first-level models' log-odds (each ``(n, labels)``), ``(n, labels)``.

    The order is the head's: TF-IDF, then word and character models when the head has them, then embedding.
    """
    return np.asarray(np.hstack(list(first_level)) @ coef.T + intercept)


def log_softmax(z: np.ndarray) -> np.ndarray:
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
    # The n-gram ranges the vocabularies were built with; files written before they were saved used these.
    word_ngrams: tuple[int, int] = (1, 2)
    char_ngrams: tuple[int, int] = (2, 5)
    # Multi-label only, optional: the second level, ``(labels, 2 * labels)`` over the TF-IDF then the
    # embedding log-odds of all aspects (``(labels, 4 * labels)`` with the split models below, in the
    # order TF-IDF, words, characters, embedding); when set it replaces ``blend``.
    stack_coef: np.ndarray | None = None
    stack_intercept: np.ndarray | None = None
    # Stacked heads only, optional: a model on the word n-grams alone ``(labels, words)`` and one on the
    # character n-grams alone ``(labels, chars)``, beside the joint one. Each is regularised on its own
    # block, so the second level can weigh vocabulary against spelling per aspect.
    word_coef: np.ndarray | None = None
    word_intercept: np.ndarray | None = None
    char_coef: np.ndarray | None = None
    char_intercept: np.ndarray | None = None

    def __post_init__(self) -> None:
        words, chars = text_options(self.word_ngrams, self.char_ngrams)
        self._words = Tfidf.from_terms(self.word_vocabulary, self.word_idf, **words)
        self._chars = Tfidf.from_terms(self.char_vocabulary, self.char_idf, **chars)

    @property
    def uses_embeddings(self) -> bool:
        return self.embedding_coef is not None

    @property
    def stacked(self) -> bool:
        return self.stack_coef is not None and self.stack_intercept is not None

    @property
    def split(self) -> bool:
        """Has separate word and character models (only used by the stack)."""
        return all(a is not None for a in (self.word_coef, self.word_intercept, self.char_coef, self.char_intercept))

    def features(self, texts: Sequence[str]) -> sparse.csr_matrix:
        texts = [text or "" for text in texts]
        return sparse.hstack([self._words.transform(texts), self._chars.transform(texts)]).tocsr()

    def logits(self, texts: Sequence[str], embeddings: np.ndarray | None = None) -> np.ndarray:
        """Blended per-aspect log-odds (multi-label) or log-probabilities (exclusive), ``(n, labels)``."""
        x = self.features(texts)
        text_z = np.asarray(x @ self.text_coef.T) + self.text_intercept
        stacked = self.stacked and not self.exclusive
        if (
            self.embedding_coef is None
            or self.embedding_intercept is None
            or (bool(np.all(self.blend >= 1.0)) and not stacked)
        ):
            return log_softmax(text_z) if self.exclusive else text_z
        if embeddings is None:
            raise ValueError("this head was fitted with embeddings: pass the texts' embeddings")
        embedding_z = embeddings @ self.embedding_coef.T + self.embedding_intercept
        if stacked and self.stack_coef is not None and self.stack_intercept is not None:
            first_level = [text_z]
            if self.split and self.word_coef is not None and self.char_coef is not None:
                n_words = len(self.word_vocabulary)
                first_level.append(np.asarray(x[:, :n_words] @ self.word_coef.T) + self.word_intercept)
                first_level.append(np.asarray(x[:, n_words:] @ self.char_coef.T) + self.char_intercept)
            return stack_logits([*first_level, embedding_z], self.stack_coef, self.stack_intercept)
        if self.exclusive:
            weight = float(self.blend[0])
            return weight * log_softmax(text_z) + (1 - weight) * log_softmax(embedding_z)
        return np.asarray(self.blend * text_z + (1 - self.blend) * embedding_z)

    def scores(self, texts: Sequence[str], embeddings: np.ndarray | None = None) -> np.ndarray:
        """A probability-like score per text and aspect, in [0, 1]."""
        z = self.logits(texts, embeddings)
        return np.exp(log_softmax(z)) if self.exclusive else _sigmoid(z)

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


# --- saving: arrays only, never a pickle ---------------------------------------------------------------


def _pack_strings(values: list[str]) -> np.ndarray:
    """Strings as one UTF-8 blob (n-grams never hold a newline: the vectorisers normalise whitespace)."""
    return np.frombuffer("\n".join(values).encode("utf-8"), dtype=np.uint8)


def _unpack_strings(blob: np.ndarray) -> list[str]:
    text = blob.tobytes().decode("utf-8")
    return text.split("\n") if text else []


def encode_head(head: AspectHead) -> tuple[str, str]:
    """``(format, base64 text)`` for the ``head:`` block of a taxonomy file."""
    meta = {
        "labels": head.labels,
        "exclusive": head.exclusive,
        "at_least_one": head.at_least_one,
        "word_ngrams": list(head.word_ngrams),
        "char_ngrams": list(head.char_ngrams),
    }
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
    fmt = HEAD_FORMAT
    if head.stack_coef is not None and head.stack_intercept is not None:
        arrays["stack_coef"] = head.stack_coef.astype(np.float32)
        arrays["stack_intercept"] = head.stack_intercept.astype(np.float32)
        fmt = STACKED_HEAD_FORMAT
        if head.split:
            for key in ("word_coef", "char_coef"):
                arrays[key] = np.asarray(getattr(head, key)).astype(np.float16)
            for key in ("word_intercept", "char_intercept"):
                arrays[key] = np.asarray(getattr(head, key)).astype(np.float32)
            fmt = SPLIT_HEAD_FORMAT
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)  # type: ignore[arg-type]
    return fmt, base64.b64encode(buffer.getvalue()).decode("ascii")


def _ngram_range(value: object) -> tuple[int, int]:
    low, high = (int(v) for v in value)  # type: ignore[attr-defined]
    if not 1 <= low <= high <= 10:
        raise ValueError(f"bad n-gram range {value!r}")
    return low, high


def decode_head(fmt: str, data: str) -> AspectHead:
    """The inverse of :func:`encode_head`; raises ``ValueError`` with a short reason on a bad block."""
    formats = (HEAD_FORMAT, STACKED_HEAD_FORMAT, SPLIT_HEAD_FORMAT)
    if fmt not in formats:
        raise ValueError(f"unknown head format {fmt!r} (expected one of {', '.join(map(repr, formats))})")
    stacked, split = fmt in (STACKED_HEAD_FORMAT, SPLIT_HEAD_FORMAT), fmt == SPLIT_HEAD_FORMAT
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
            word_ngrams=_ngram_range(meta.get("word_ngrams", (1, 2))),
            char_ngrams=_ngram_range(meta.get("char_ngrams", (2, 5))),
            stack_coef=arrays.get("stack_coef") if stacked else None,
            stack_intercept=arrays.get("stack_intercept") if stacked else None,
            word_coef=arrays["word_coef"].astype(np.float32) if split else None,
            word_intercept=arrays["word_intercept"] if split else None,
            char_coef=arrays["char_coef"].astype(np.float32) if split else None,
            char_intercept=arrays["char_intercept"] if split else None,
        )
    except (ValueError, KeyError, IndexError, TypeError, OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"the learned head is damaged ({type(exc).__name__}: {exc})") from exc
    features = len(head.word_vocabulary) + len(head.char_vocabulary)
    if head.text_coef.shape != (len(labels), features) or {head.offsets.shape, head.blend.shape} != {(len(labels),)}:
        raise ValueError("the learned head's arrays do not match its labels and vocabulary")
    if stacked and (
        head.stack_coef is None
        or head.stack_intercept is None
        or head.embedding_coef is None
        or head.stack_coef.shape != (len(labels), (4 if split else 2) * len(labels))
        or head.stack_intercept.shape != (len(labels),)
    ):
        raise ValueError("the learned head's stack does not match its labels")
    if split and (
        head.word_coef is None
        or head.char_coef is None
        or head.word_intercept is None
        or head.char_intercept is None
        or head.word_coef.shape != (len(labels), len(head.word_vocabulary))
        or head.char_coef.shape != (len(labels), len(head.char_vocabulary))
        or {head.word_intercept.shape, head.char_intercept.shape} != {(len(labels),)}
    ):
        raise ValueError("the learned head's word and character models do not match its vocabulary")
    return head
