"""The enricher registry (built-ins and plug-ins alike) and the pipeline end to end, on both backends."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from voxpop.analyze.pipeline import Analyzer
from voxpop.analyze.registry import AnalysisContext, Batch, Record, Registry, RegistryError, default_registry
from voxpop.settings import Settings

BUILTINS = ["language", "sentiment", "aspects", "questions", "urgency", "authenticity", "topics"]


class Shout:
    """A third-party enricher: flags texts written in capitals."""

    name = "shout"
    requires: tuple[str, ...] = ()
    scope = "item"
    needs_embeddings = False

    def __init__(self, context: AnalysisContext) -> None:
        self.context = context

    def enrich(self, batch: Batch) -> None:
        for result, text in zip(batch.results, batch.texts, strict=True):
            letters = [c for c in text if c.isalpha()]
            result["shouting"] = bool(letters) and all(c.isupper() for c in letters)


def _named(name: str, requires: tuple[str, ...] = ()) -> Any:
    return type(name, (Shout,), {"name": name, "requires": requires})


def test_builtins_are_registered_through_the_registry() -> None:
    names = default_registry().names()
    assert set(BUILTINS) <= set(names)
    order = [spec.name for spec in default_registry().ordered()]
    assert order.index("language") < order.index("sentiment") < order.index("aspects")
    assert order.index("sentiment") < order.index("urgency")


def test_dependencies_order_and_errors() -> None:
    registry = Registry()
    registry.register(_named("c", ("b",)))
    registry.register(_named("b", ("a",)))
    registry.register(_named("a"))
    assert [s.name for s in registry.ordered()] == ["a", "b", "c"]
    assert [s.name for s in registry.ordered(["b"])] == ["a", "b"]
    with pytest.raises(RegistryError, match="already registered"):
        registry.register(_named("a"))
    registry.register(_named("x", ("nowhere",)))
    with pytest.raises(RegistryError, match="'x' requires 'nowhere'"):
        registry.ordered(["x"])
    loop = Registry()
    loop.register(_named("p", ("q",)))
    loop.register(_named("q", ("p",)))
    with pytest.raises(RegistryError, match="cycle: p -> q -> p"):
        loop.ordered()
    with pytest.raises(RegistryError, match="no enricher named 'zzz'"):
        registry.ordered(["zzz"])


def test_a_third_party_enricher_registered_and_run() -> None:
    registry = Registry()
    registry.register(Shout)
    analyzer = Analyzer(Settings(), registry=registry)
    rows = analyzer.analyze([{"id": "a", "text": "WHERE IS MY BAG"}, {"id": "b", "text": "Fine, thanks."}])
    assert [(r["id"], r["shouting"]) for r in rows] == [("a", True), ("b", False)]
    assert rows[0]["sentiment"] is None
    assert rows[0]["topics"] == []


def test_a_plugin_installed_under_the_entry_point_group_is_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    default_registry()  # loaded before the fake distribution exists, so the process-wide registry stays clean
    (tmp_path / "voxpop_shout_plugin.py").write_text(
        textwrap.dedent(
            """
            class Exclaim:
                name = "exclaim"
                requires = ()
                scope = "item"
                needs_embeddings = False

                def __init__(self, context):
                    pass

                def enrich(self, batch):
                    for result, text in zip(batch.results, batch.texts):
                        result["exclamations"] = text.count("!")
            """
        )
    )
    dist = tmp_path / "voxpop_shout_plugin-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: voxpop-shout-plugin\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[voxpop.enrichers]\nexclaim = voxpop_shout_plugin:Exclaim\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    registry = Registry()
    assert registry.load_entry_points() == ["exclaim"]
    rows = Analyzer(Settings(), registry=registry).analyze([Record(1, "Wow!! Great!")])
    assert rows[0]["exclamations"] == 3
    sys.modules.pop("voxpop_shout_plugin", None)


def test_a_broken_plugin_is_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    default_registry()
    dist = tmp_path / "voxpop_broken-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: voxpop-broken\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[voxpop.enrichers]\nbroken = no_such_module_here:Thing\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert Registry().load_entry_points() == []


def test_records_from_loose_mappings() -> None:
    record = Record.from_mapping(
        {"id": 7, "text": None, "rating": "0.5", "created_at": "2026-01-02T03:04:05Z", "likes": "12", "author": " "}
    )
    assert record.text == ""
    assert record.rating == 0.5
    assert record.created_at is not None
    assert record.created_at.tzinfo is not None
    assert record.likes == 12
    assert record.author is None


# --- the whole pipeline with the real models -------------------------------------------------------------

REVIEWS = [
    "The waiter was rude and the soup was cold.",
    "Absolutely loved the dessert, the staff were wonderful!",
    "Do you take reservations for large groups?",
    "I got food poisoning and I'm calling the health department.",
    "",
    "🍕🍕🍕",
    "El servicio fue terrible y la comida llegó fría.",
    "Billing charged my card twice for one meal.",
]


@pytest.fixture
def analyzer(models_home: Path) -> Analyzer:
    """A fresh analyzer per test: its authenticity window remembers what it has seen."""
    return Analyzer(Settings(home=models_home), "restaurant")


def test_analyze_a_batch_end_to_end(analyzer: Analyzer) -> None:
    rows = analyzer.analyze(
        [{"id": f"x{i}", "text": t, "rating": 0.0 if i == 6 else None} for i, t in enumerate(REVIEWS)]
    )
    assert [r["id"] for r in rows] == [f"x{i}" for i in range(len(REVIEWS))]
    negative, positive, question, poisoning, empty, emoji, spanish, billing = rows
    assert negative["sentiment"] == "negative"
    assert positive["sentiment"] == "positive"
    assert negative["sentiment_score"] < positive["sentiment_score"]
    assert question["is_question"] is True
    assert negative["is_question"] is False
    assert poisoning["urgency"] > positive["urgency"]
    assert empty["sentiment"] is None
    assert empty["language"] is None
    assert emoji["language"] is None
    assert spanish["language"] == "es"
    assert spanish["evidence"]["sentiment"]["decided_by"] == "lexicon+rating"  # the words and the 1 star agree
    assert spanish["sentiment"] == "negative"
    assert all(isinstance(r["aspects"], list) for r in rows)
    assert all({"name", "sentiment", "score"} <= set(a) for r in rows for a in r["aspects"])
    assert all(0.0 <= r["urgency"] <= 1.0 and 0.0 <= r["authenticity_risk"] <= 1.0 for r in rows)
    assert all(r["evidence"]["authenticity"] == [] for r in rows)
    assert billing["aspects"]


def _add_items(store: Any, texts: list[str]) -> list[int]:
    from datetime import UTC, datetime

    from voxpop.store.models import Item, Source

    with store.write() as session:
        source = Source(name="file:reviews.csv")
        session.add(source)
        session.flush()
        items = [
            Item(
                source_id=source.id,
                dedup_key=f"k{i}",
                channel="review",
                text=text,
                rating=0.2 if i % 2 else 0.9,
                created_at=datetime(2026, 2, 1 + i, tzinfo=UTC),
                author_name=f"author {i}",
            )
            for i, text in enumerate(texts)
        ]
        session.add_all(items)
        session.flush()
        return [item.id for item in items]


def test_analyze_items_writes_the_analysis_columns_idempotently(store: Any, analyzer: Analyzer) -> None:
    from sqlalchemy import select

    from voxpop.analyze.pipeline import analyze_items
    from voxpop.store.models import Item

    ids = _add_items(store, REVIEWS)
    assert analyze_items(store, [*ids, 999_999], analyzer, batch_size=3) == len(REVIEWS)
    with store.read() as session:
        first = {item.id: item for item in session.scalars(select(Item).order_by(Item.id))}
    rude = first[ids[0]]
    assert rude.sentiment == "negative"
    assert rude.sentiment_score is not None
    assert rude.sentiment_confidence is not None
    assert rude.language == "en"
    assert rude.is_question is False
    assert first[ids[2]].is_question is True
    assert 0.0 <= (rude.urgency or 0.0) <= 1.0
    assert rude.authenticity_risk == 0.0
    assert isinstance(rude.aspects, list)
    assert isinstance(rude.topics, list)
    assert rude.analysis is not None
    assert "urgency" in rude.analysis["evidence"]
    assert rude.analyzed_at is not None
    assert first[ids[4]].sentiment is None
    assert analyze_items(store, ids, analyzer, batch_size=3) == len(REVIEWS)
    with store.read() as session:
        again = {item.id: item for item in session.scalars(select(Item).order_by(Item.id))}
    for item_id in ids:
        assert again[item_id].sentiment == first[item_id].sentiment
        assert again[item_id].urgency == first[item_id].urgency
        assert again[item_id].analysis == first[item_id].analysis
        assert again[item_id].analyzed_at is not None
        assert again[item_id].analyzed_at >= first[item_id].analyzed_at  # type: ignore[operator]
    assert analyze_items(store, [], analyzer) == 0


def test_clauses_are_embedded_in_the_items_own_pass(analyzer: Analyzer) -> None:
    from voxpop.analyze.aspects import AspectTagger
    from voxpop.analyze.clauses import split_clauses

    texts = ["The food was delicious but the waiter was rude to us.", "Lovely staff."]
    batch = analyzer.prepare([{"id": i, "text": t} for i, t in enumerate(texts)])
    assert batch.segments is not None
    assert [parts for parts, _ in batch.segments] == [split_clauses(t) for t in texts]
    assert [vectors.shape for _, vectors in batch.segments] == [(2, 384), (1, 384)]
    # The tagger given the batch's clauses finds what it finds when it embeds them itself…
    context = analyzer.context
    tagger = AspectTagger(context.taxonomy, context.embedder, context.sentiment)
    assert batch.layered is not None
    assert batch.layered.clauses is not None
    assert [vectors.shape for vectors in batch.layered.clauses] == [(2, 384), (1, 384)]
    given = tagger.tag(texts, batch.embeddings, batch.segments, batch.layered.clauses)
    own = tagger.tag(texts, batch.embeddings)
    assert [[(h.name, h.sentiment) for h in hits] for hits in given] == [
        [(h.name, h.sentiment) for h in hits] for hits in own
    ]
    # …and each aspect still gets the sentiment of its own clause.
    found = {hit.name: hit for hit in given[0]}
    assert found["food"].sentiment == "positive"
    assert found["food"].clause == "The food was delicious"
    assert found["service"].sentiment == "negative"


def test_the_sentiment_model_gets_the_vectors_it_reads(analyzer: Analyzer) -> None:
    """The shipped model reads the layered vectors; the pipeline hands it those from the same pass, so an
    item's sentiment is what the model gives when it embeds the text itself."""
    texts = ["Still no refund after three weeks.", "Lovely staff, thank you!", "Do you open on Sundays?"]
    batch = analyzer.prepare([{"id": i, "text": t} for i, t in enumerate(texts)])
    model = analyzer.context.sentiment
    assert model.reads_layered
    assert batch.layered is not None
    assert batch.embeddings is not None
    assert batch.layered.vectors.shape == batch.embeddings.shape
    assert not np.allclose(batch.layered.vectors, batch.embeddings)
    rows = analyzer.run(batch).results
    alone = model.predict(texts)
    assert [r["sentiment"] for r in rows] == [a.label for a in alone] == ["negative", "positive", "neutral"]
    for row, result in zip(rows, alone, strict=True):
        assert row["sentiment_score"] == pytest.approx(result.score, abs=0.05)
