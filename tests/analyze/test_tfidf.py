"""voxpop's TF-IDF rows against scikit-learn's, bit for bit, for every option voxpop's models use."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import sparse
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

from voxpop.analyze.tfidf import Tfidf

# (analyzer, n-gram range, lowercase, sublinear tf, dtype): the sentiment, aspect and fake-review models'
# options, plus the edges of the ranges.
OPTIONS = [
    ("word", (1, 2), True, True, np.float64),
    ("char_wb", (2, 5), True, True, np.float64),
    ("word", (1, 2), True, True, np.float32),
    ("char_wb", (2, 5), True, True, np.float32),
    ("word", (1, 2), False, True, np.float64),
    ("char", (2, 5), False, True, np.float64),
    ("char", (1, 3), True, False, np.float32),
    ("char_wb", (1, 6), True, False, np.float64),
    ("word", (2, 3), True, False, np.float64),
    ("word", (1, 1), True, True, np.float64),
]


def _texts(shared_data: Path, limit: int = 1500) -> list[str]:
    with (shared_data / "twitter_airline_sentiment" / "Tweets.csv").open(newline="", encoding="utf-8") as handle:
        tweets = [row["text"] for _, row in zip(range(limit), csv.DictReader(handle), strict=False)]
    with (shared_data / "tripadvisor_hotel_reviews_sample" / "tripadvisor_hotel_reviews_first2000.csv").open(
        newline="", encoding="utf-8"
    ) as handle:
        reviews = [row["Review"] for _, row in zip(range(200), csv.DictReader(handle), strict=False)]
    return tweets + reviews + ["", "   ", "a", "Ça  va\t\tbien? NON!!", "x" * 9, "  spaced   out  "]


def _same(ours: sparse.csr_matrix, theirs: sparse.spmatrix) -> None:
    theirs = sparse.csr_matrix(theirs)
    assert ours.shape == theirs.shape
    assert ours.dtype == theirs.dtype
    assert np.array_equal(ours.indptr, theirs.indptr)
    assert np.array_equal(ours.indices, theirs.indices)
    assert np.array_equal(ours.data, theirs.data)  # bit for bit, not approximately


@pytest.mark.parametrize(("analyzer", "ngrams", "lowercase", "sublinear", "dtype"), OPTIONS)
def test_rows_equal_scikit_learns_on_real_texts(
    shared_data: Path, analyzer: str, ngrams: tuple[int, int], lowercase: bool, sublinear: bool, dtype: type
) -> None:
    texts = _texts(shared_data)
    fitted = TfidfVectorizer(
        analyzer=analyzer, ngram_range=ngrams, lowercase=lowercase, sublinear_tf=sublinear, dtype=dtype, min_df=2
    ).fit(texts[::2])  # half the texts, so the other half has n-grams outside the vocabulary
    ours = Tfidf.fitted(fitted)
    _same(ours.transform(texts), fitted.transform(texts))
    # As saved and read back: terms in column order, the options, the IDF weights in float32.
    again = Tfidf.from_terms(ours.terms, fitted.idf_.astype(np.float32), **ours.options(), dtype=dtype, min_df=2)
    restored = TfidfVectorizer(**{**fitted.get_params(), "vocabulary": dict(fitted.vocabulary_)})
    restored.idf_ = fitted.idf_.astype(np.float32)
    _same(again.transform(texts), restored.transform(texts))
    assert ours.analyze(texts[0]) == fitted.build_analyzer()(texts[0])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.text(alphabet=st.characters(codec="utf-8"), max_size=40), min_size=1, max_size=6))
def test_rows_equal_scikit_learns_on_any_text(texts: list[str]) -> None:
    corpus = ["the cat sat on the mat", "ÉTÉ été ete", "a  b\tc\n\nd", "x", "ab ab ab", *texts]
    for analyzer, ngrams in (("word", (1, 2)), ("char_wb", (2, 5)), ("char", (1, 4))):
        counter = CountVectorizer(analyzer=analyzer, ngram_range=ngrams)
        analyze = counter.build_analyzer()
        vocabulary = sorted({gram for text in corpus for gram in analyze(text)})
        if not vocabulary:
            continue
        fitted = TfidfVectorizer(analyzer=analyzer, ngram_range=ngrams, sublinear_tf=True, dtype=np.float32).fit(corpus)
        _same(Tfidf.fitted(fitted).transform(texts), fitted.transform(texts))
        assert [Tfidf.fitted(fitted).analyze(t) for t in texts] == [analyze(t) for t in texts]


def test_options_it_does_not_reproduce_are_refused() -> None:
    texts = ["good food", "bad service", "good service"]
    for option in ({"stop_words": "english"}, {"binary": True}, {"norm": "l1"}, {"strip_accents": "unicode"}):
        with pytest.raises(ValueError, match="not supported"):
            Tfidf.fitted(TfidfVectorizer(**option).fit(texts))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unsupported TF-IDF options: stop_words"):
        Tfidf.from_terms(["good"], np.ones(1), stop_words="english")
    with pytest.raises(ValueError, match="2 IDF weights for a vocabulary of 1"):
        Tfidf.from_terms(["good"], np.ones(2))
    with pytest.raises(ValueError, match="unknown n-gram analyzer"):
        Tfidf.from_terms(["good"], np.ones(1), analyzer="sentence")


def test_analysing_a_batch_does_not_import_scikit_learn(models_home: Path) -> None:
    """Importing scikit-learn's text features costs about 2 s; the per-item path must not pay it."""
    script = (
        "import sys\n"
        "from voxpop.settings import Settings\n"
        "from voxpop.analyze.pipeline import Analyzer\n"
        f"analyzer = Analyzer(Settings(home={str(models_home)!r}), 'restaurant', enrichers=[\n"
        "    'language', 'sentiment', 'aspects', 'questions', 'urgency', 'authenticity'])\n"
        "rows = analyzer.analyze([{'text': 'The soup was cold and the waiter rude.'}, {'text': 'Great!'}])\n"
        "assert rows[0]['sentiment'] == 'negative', rows[0]\n"
        "print(sorted(name for name in sys.modules if name.split('.')[0] == 'sklearn'))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().splitlines()[-1] == "[]"
