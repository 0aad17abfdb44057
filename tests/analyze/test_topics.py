"""Topics without a taxonomy: clusters of a corpus named by their key phrases, with weekly volume."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from voxpop.analyze import topics
from voxpop.analyze.embeddings import Embedder, get_embedder
from voxpop.analyze.registry import AnalysisContext, Batch, Record
from voxpop.analyze.topics import TopicEnricher, discover_topics, key_phrases, week_of
from voxpop.settings import Settings

PARKING = [
    "The parking garage was full and we circled for an hour.",
    "Parking costs thirty dollars a night, a rip-off.",
    "No parking spaces left when we arrived late.",
    "Valet parking lost our car keys for a while.",
    "The parking lot is tiny and badly lit at night.",
    "Street parking only, the hotel parking garage was closed.",
    "We paid for parking but the garage gate was broken.",
    "Finding parking near the hotel was a nightmare.",
    "The parking fee was not mentioned when booking.",
    "Parking garage ceiling too low for our van.",
]
WIFI = [
    "The wifi kept dropping every ten minutes.",
    "Wifi password did not work and reception could not help.",
    "Internet connection in the room was painfully slow.",
    "No wifi signal on the fourth floor at all.",
    "Paid extra for premium wifi and it was still slow.",
    "The wireless internet disconnected during my video call.",
    "Wifi speed was too slow to stream anything.",
    "Could not connect to the wifi network with my laptop.",
    "The free wifi is unusable in the evenings.",
    "Wifi login page kept timing out.",
]
BREAKFAST = [
    "Breakfast buffet had fresh pastries and great coffee.",
    "The breakfast eggs were cold and the coffee weak.",
    "Loved the breakfast, especially the pancakes.",
    "Breakfast ran out of fruit by eight in the morning.",
    "Breakfast was included and the omelette station was great.",
    "The breakfast room was crowded and the juice warm.",
    "Best breakfast croissants I have had in a hotel.",
    "Breakfast coffee machine was broken both mornings.",
    "Delicious breakfast with local cheese and bread.",
    "Breakfast service started late on Sunday.",
]


@pytest.fixture(scope="module")
def embedder(tmp_path_factory: pytest.TempPathFactory) -> Embedder:
    home: Path = tmp_path_factory.mktemp("topics-home")
    return get_embedder(Settings(home=home))


def test_themes_are_found_and_named(embedder: Embedder) -> None:
    texts = PARKING + WIFI + BREAKFAST
    start = datetime(2026, 2, 2, tzinfo=UTC)  # a Monday
    dates = [start + timedelta(days=i % 14) for i in range(len(texts))]
    model = discover_topics(texts, embedder.encode(texts), dates, min_cluster_size=5)
    assert len(model.topics) >= 3
    named = {word for topic in model.topics for word in topic.name.split(", ")}
    for theme in ("parking", "wifi", "breakfast"):
        assert any(theme in phrase for phrase in named), (theme, [t.name for t in model.topics])
    # Items of one theme mostly share one topic.
    labels = model.labels
    for start_index in (0, 10, 20):
        block = labels[start_index : start_index + 10]
        assert np.bincount(block[block >= 0]).max() >= 7
    total = sum(sum(t.volume_by_week.values()) for t in model.topics)
    assert total == sum(t.size for t in model.topics) == int((labels >= 0).sum())
    assert all(week in {"2026-02-02", "2026-02-09"} for t in model.topics for week in t.volume_by_week)
    names = model.names()
    assert len(names) == len(texts)
    assert all(len(n) <= 1 for n in names)


def test_new_items_are_assigned_to_the_nearest_topic(embedder: Embedder) -> None:
    texts = PARKING + WIFI + BREAKFAST
    model = discover_topics(texts, embedder.encode(texts), min_cluster_size=5)
    new = embedder.encode(["We could not find parking at the hotel garage.", "Scrambled eggs and toast for breakfast."])
    labels = model.assign(new)
    assert "parking" in str(model.name_of(int(labels[0])))
    assert "breakfast" in str(model.name_of(int(labels[1])))


def test_small_or_empty_corpus_has_no_topics() -> None:
    model = discover_topics(["one", "two"], np.eye(2, 384, dtype=np.float32))
    assert model.topics == []
    assert model.names() == [[], []]
    empty = discover_topics([""] * 30, np.zeros((30, 384), dtype=np.float32))
    assert empty.topics == []
    assert model.assign(np.zeros((0, 384), dtype=np.float32)).shape == (0,)


def test_mismatched_embeddings_are_an_error() -> None:
    with pytest.raises(ValueError, match="3 texts but 2 embeddings"):
        discover_topics(["a", "b", "c"], np.zeros((2, 384), dtype=np.float32))


def test_key_phrases_prefer_what_is_distinctive() -> None:
    texts = ["late flight again", "flight delayed late", "late flight today", "lost bag at the airport",
             "lost bag again", "my lost bag"]  # fmt: skip
    phrases = key_phrases(texts, np.array([0, 0, 0, 1, 1, 1]), 2)
    assert "late flight" in phrases[0]
    assert "lost bag" in phrases[1]


def test_every_item_near_a_topic_is_placed_not_only_the_fitted_sample(
    embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Clustering is fitted on a sample; the rest must then join the topic whose centre they are near. (It
    # did not: the placement ran before the topics existed and left every item outside the sample out.)
    monkeypatch.setattr(topics, "FIT_SAMPLE", 15)
    texts = PARKING + WIFI + BREAKFAST
    base = embedder.encode(texts)
    model = discover_topics(texts * 3, np.vstack([base] * 3), min_cluster_size=4)
    assert model.topics
    placed = model.labels >= 0
    assert placed.sum() > 15  # more than the fitted sample
    for copy in (1, 2):  # a copy of a text sits where the text does, fitted or not
        assert (model.labels[copy * 30 : (copy + 1) * 30] == model.labels[:30]).all()
    assert sum(t.size for t in model.topics) == int(placed.sum())


def test_copies_of_one_text_do_not_name_a_topic_and_no_phrase_spans_two_texts() -> None:
    delivery = ["parcel arrived late again thanks", "late parcel, third time", "my parcel came late",
                "thank you for nothing, parcel late", "parcel delivered late and damaged"]  # fmt: skip
    retweet = "RT @news: Atlantic ploughs a lone furrow in the Middle East http://t.co/x"
    other = ["refund still not paid", "waiting for my refund", "refund request ignored", "no refund yet"]
    texts = delivery + [retweet] * 6 + other
    labels = np.array([0] * (len(delivery) + 6) + [1] * len(other))
    phrases = key_phrases(texts, labels, 2)
    assert any("parcel" in p or "late" in p for p in phrases[0]), phrases
    assert not any(word in p for p in phrases[0] for word in ("ploughs", "furrow", "atlantic")), phrases
    assert "thanks thank" not in phrases[0]  # "…thanks" then "thank you…" are two texts
    assert "refund" in phrases[1]


def test_week_of_is_monday() -> None:
    assert week_of(datetime(2026, 2, 8, 23, tzinfo=UTC)) == "2026-02-02"


def test_enricher_sets_topics_and_keeps_the_model(embedder: Embedder) -> None:
    texts = PARKING + WIFI + BREAKFAST + ["", "👍"]
    context = AnalysisContext(Settings())
    batch = Batch.of([Record(i, t) for i, t in enumerate(texts)], embedder.encode(texts))
    enricher = TopicEnricher(context)
    assert enricher.scope == "corpus"
    enricher.enrich(batch)
    topics = batch.column("topics")
    assert topics[-2] == []
    assert topics[-1] == []
    assert sum(bool(t) for t in topics) >= 20
    assert context.cache["topics"].topics
