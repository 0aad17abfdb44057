"""An English item's rating read with its words: the stars tell how a terse review feels, and only words the
model is very sure of outweigh them."""

from __future__ import annotations

import numpy as np
import pytest

from voxpop.analyze.opinion import RATING_LIKELIHOOD, SentimentEnricher, rating_bucket, with_rating
from voxpop.analyze.registry import AnalysisContext, Batch, Record
from voxpop.analyze.sentiment import CLASSES
from voxpop.settings import Settings


@pytest.fixture(scope="module")
def enricher() -> SentimentEnricher:
    return SentimentEnricher(AnalysisContext(Settings()))


def _run(enricher: SentimentEnricher, items: list[tuple[str, float | None]], language: str | None = "en") -> Batch:
    batch = Batch.of([Record(i, text, rating=rating) for i, (text, rating) in enumerate(items)])
    for result in batch.results:
        result["language"] = language
    enricher.enrich(batch)
    return batch


def test_a_terse_review_takes_its_feeling_from_its_stars(enricher: SentimentEnricher) -> None:
    batch = _run(
        enricher, [("second visit", None), ("second visit", 0.0), ("second visit", 0.5), ("second visit", 1.0)]
    )
    assert [r["sentiment"] for r in batch.results] == ["neutral", "negative", "neutral", "positive"]
    assert "sentiment" not in batch.evidence[0]
    one_star = batch.evidence[1]["sentiment"]
    assert one_star["decided_by"] == "text+rating"
    assert one_star["text_label"] == "neutral"
    assert one_star["rating"] == 0.0
    assert "sentiment" not in batch.evidence[2]  # the rating agreed with the words: nothing to explain
    assert batch.results[1]["sentiment_score"] < 0 < batch.results[3]["sentiment_score"]


def test_words_the_model_is_sure_of_outweigh_the_stars(enricher: SentimentEnricher) -> None:
    complaint = "Flight delayed 3 hours and no one told us anything."
    batch = _run(enricher, [(complaint, None), (complaint, 1.0)])
    alone, rated = batch.results
    assert alone["sentiment"] == rated["sentiment"] == "negative"
    assert rated["confidence"] < alone["confidence"]  # the 5 stars still count against it


def test_without_a_rating_nothing_changes(enricher: SentimentEnricher) -> None:
    texts = ["It was alright, nothing special.", "Loved the staff!", "My parcel never came."]
    batch = _run(enricher, [(t, None) for t in texts])
    expected = enricher.model.predict(texts)
    assert [r["sentiment"] for r in batch.results] == [p.label for p in expected]
    assert [r["confidence"] for r in batch.results] == pytest.approx([p.confidence for p in expected])


def test_an_item_of_unknown_language_is_read_with_its_rating_too(enricher: SentimentEnricher) -> None:
    batch = _run(enricher, [("room 214", 0.0)], language=None)
    assert batch.results[0]["sentiment"] == "negative"


def test_the_fusion_is_a_distribution_that_follows_the_rating() -> None:
    undecided = np.full(3, 1 / 3)
    fused = [with_rating(undecided, rating) for rating in (0.0, 0.25, 0.5, 0.75, 1.0)]
    for row in fused:
        assert row.sum() == pytest.approx(1.0)
        assert (row > 0).all()
    assert [CLASSES[int(row.argmax())] for row in fused] == ["negative", "negative", "neutral", "positive", "positive"]
    assert [rating_bucket(r) for r in (0.0, 0.25, 0.4, 4 / 10, 0.5, 0.7, 0.71, 1.0)] == [0, 0, 0, 0, 1, 1, 2, 2]
    assert np.allclose(RATING_LIKELIHOOD.sum(axis=1), 1.0, atol=0.002)
