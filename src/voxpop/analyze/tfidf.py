"""TF-IDF rows of texts over a fitted vocabulary, value for value as scikit-learn's ``TfidfVectorizer``.

Training fits the n-gram vocabularies of the sentiment, aspect and fake-review models with scikit-learn;
reading texts with them needs only this module (numpy and ``scipy.sparse``). Importing scikit-learn's
text features costs about 2 s and 120 MB here — it imports ``scipy.stats`` — and every ``voxpop
analyze``, worker and server paid that before its first result, for these n-grams alone.

Only the options voxpop's models use are reproduced: word, character and word-bounded character
n-grams, lower-casing, sublinear term frequency, IDF weights and L2 rows (:meth:`Tfidf.fitted` refuses a
vectorizer with any other option). ``tests/analyze/test_tfidf.py`` compares the matrices with
scikit-learn's, bit for bit, on real and generated texts.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import sparse

#: scikit-learn's default token: two or more word characters.
TOKEN_PATTERN = r"(?u)\b\w\w+\b"  # noqa: S105 (a regular expression, not a password)
ANALYZERS = ("word", "char", "char_wb")
_TOKEN = re.compile(TOKEN_PATTERN)
_WHITE_SPACES = re.compile(r"\s\s+")
#: Options that shape only the fit (which n-grams are kept); a saved vocabulary already reflects them.
FIT_ONLY = frozenset({"min_df", "max_df", "max_features", "smooth_idf"})
#: A fitted vectorizer must have these values for the rows to be the ones this module computes.
_REQUIRED = {
    "input": "content",
    "preprocessor": None,
    "tokenizer": None,
    "stop_words": None,
    "strip_accents": None,
    "token_pattern": TOKEN_PATTERN,
    "binary": False,
    "norm": "l2",
    "use_idf": True,
}


@dataclass(frozen=True, eq=False)  # equality of the weight arrays would be ambiguous
class Tfidf:
    """A fitted vocabulary (n-gram → column) with its IDF weights and the options that made it."""

    vocabulary: Mapping[str, int]
    idf: np.ndarray
    analyzer: str = "word"
    ngram_range: tuple[int, int] = (1, 1)
    lowercase: bool = True
    sublinear_tf: bool = False
    dtype: Any = np.float64
    _analyze: Callable[[str], list[str]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        low, high = self.ngram_range
        if self.analyzer not in ANALYZERS:
            raise ValueError(f"unknown n-gram analyzer {self.analyzer!r} (known: {', '.join(ANALYZERS)})")
        if not 1 <= low <= high:
            raise ValueError(f"invalid n-gram range {self.ngram_range!r}")
        if len(self.idf) != len(self.vocabulary):
            raise ValueError(f"{len(self.idf)} IDF weights for a vocabulary of {len(self.vocabulary)}")
        object.__setattr__(self, "idf", np.asarray(self.idf, dtype=np.float64))
        object.__setattr__(self, "ngram_range", (int(low), int(high)))
        ngrams = {"word": _word_ngrams, "char": _char_ngrams, "char_wb": _char_wb_ngrams}[self.analyzer]
        object.__setattr__(self, "_analyze", ngrams(self.ngram_range, self.lowercase))

    @classmethod
    def from_terms(cls, terms: Sequence[str], idf: np.ndarray, **options: Any) -> Tfidf:
        """From the terms in column order, as saved; options of the fit alone (``min_df``…) are ignored."""
        unknown = set(options) - FIT_ONLY - {"analyzer", "ngram_range", "lowercase", "sublinear_tf", "dtype"}
        if unknown:
            raise ValueError(f"unsupported TF-IDF options: {', '.join(sorted(unknown))}")
        kept = {key: value for key, value in options.items() if key not in FIT_ONLY}
        if "ngram_range" in kept:
            kept["ngram_range"] = tuple(kept["ngram_range"])
        return cls({str(term): i for i, term in enumerate(terms)}, idf, **kept)

    @classmethod
    def fitted(cls, vectorizer: Any) -> Tfidf:
        """The same rows as a fitted scikit-learn ``TfidfVectorizer`` (training hands its vectorizers here)."""
        params = vectorizer.get_params()
        for key, expected in _REQUIRED.items():
            if params.get(key) != expected:
                raise ValueError(
                    f"TF-IDF option {key}={params.get(key)!r} is not supported (voxpop reads {expected!r})"
                )
        return cls(
            dict(vectorizer.vocabulary_),
            vectorizer.idf_,
            analyzer=params["analyzer"],
            ngram_range=tuple(params["ngram_range"]),
            lowercase=bool(params["lowercase"]),
            sublinear_tf=bool(params["sublinear_tf"]),
            dtype=params["dtype"],
        )

    @property
    def terms(self) -> list[str]:
        """The n-grams in column order."""
        out = [""] * len(self.vocabulary)
        for term, column in self.vocabulary.items():
            out[column] = term
        return out

    def options(self) -> dict[str, Any]:
        """The options to save beside the terms (JSON-ready; ``from_terms`` reads them back)."""
        return {
            "analyzer": self.analyzer,
            "ngram_range": list(self.ngram_range),
            "lowercase": self.lowercase,
            "sublinear_tf": self.sublinear_tf,
        }

    def analyze(self, text: str) -> list[str]:
        """The n-grams of one text, in order, in- and out-of-vocabulary alike."""
        return self._analyze(text)

    def transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        """``(texts, vocabulary)`` TF-IDF rows, L2-normalised (an empty row stays empty)."""
        vocabulary, analyze = self.vocabulary, self._analyze
        columns: list[int] = []
        counts: list[int] = []
        indptr = [0]
        for text in texts:
            found = Counter(column for column in map(vocabulary.get, analyze(text)) if column is not None)
            columns.extend(found)
            counts.extend(found.values())
            indptr.append(len(columns))
        x = sparse.csr_matrix(
            (
                np.asarray(counts, dtype=self.dtype),
                np.asarray(columns, dtype=np.int32),
                np.asarray(indptr, dtype=np.int32),
            ),
            shape=(len(texts), len(vocabulary)),
        )
        x.sort_indices()
        data = x.data
        if self.sublinear_tf:
            np.log(data, data)
            data += 1.0
        data *= self.idf[x.indices]
        # L2 per row, summed in double in column order as scikit-learn's Cython loop does, so the values
        # match to the last bit in float32 too.
        rows = np.repeat(np.arange(x.shape[0]), np.diff(x.indptr))
        norms = np.sqrt(np.bincount(rows, weights=data * data, minlength=x.shape[0]))
        norms[norms == 0.0] = 1.0
        data /= norms[rows]
        return x


def _preprocess(lowercase: bool) -> Callable[[str], str]:
    return str.lower if lowercase else str


def _runs(units: Sequence[str], low: int, high: int, join: Callable[[Sequence[str]], str]) -> list[str]:
    """Every run of ``low``..``high`` consecutive units, joined, in scikit-learn's order (shortest first)."""
    grams = list(units) if low == 1 else []
    for n in range(max(low, 2), min(high, len(units)) + 1):
        grams.extend(join(units[i : i + n]) for i in range(len(units) - n + 1))
    return grams


def _word_ngrams(ngram_range: tuple[int, int], lowercase: bool) -> Callable[[str], list[str]]:
    low, high = ngram_range
    prepare, tokens_of = _preprocess(lowercase), _TOKEN.findall
    return lambda text: _runs(tokens_of(prepare(text)), low, high, " ".join)


def _char_ngrams(ngram_range: tuple[int, int], lowercase: bool) -> Callable[[str], list[str]]:
    low, high = ngram_range
    prepare = _preprocess(lowercase)
    return lambda text: _runs(_WHITE_SPACES.sub(" ", prepare(text)), low, high, "".join)


def _char_wb_ngrams(ngram_range: tuple[int, int], lowercase: bool) -> Callable[[str], list[str]]:
    """Character n-grams inside each word padded with a space; a word shorter than ``n`` counts once."""
    low, high = ngram_range
    prepare = _preprocess(lowercase)

    def analyze(text: str) -> list[str]:
        grams: list[str] = []
        for word in _WHITE_SPACES.sub(" ", prepare(text)).split():
            padded = f" {word} "
            size = len(padded)
            for n in range(low, high + 1):
                if n >= size:
                    grams.append(padded)
                    break
                grams.extend(padded[i : i + n] for i in range(size - n + 1))
        return grams

    return analyze
