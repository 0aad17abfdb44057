"""Store-wide topics: clustered over every stored item, ids and names kept across re-clusters, new items
placed incrementally, embeddings stored once (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import delete, func, select
from typer.testing import CliRunner

from tests.analyze.test_topics import BREAKFAST, PARKING, WIFI
from voxpop.analyze.embeddings import Embedder, get_embedder
from voxpop.analyze.pipeline import Analyzer, analyze_items
from voxpop.analyze.store_topics import (
    TopicSummary,
    assign_new_items,
    list_topics,
    rebuild_topics,
    refresh_topics,
)
from voxpop.cli import app
from voxpop.measure import topic_cells
from voxpop.measure.observations import load_observations
from voxpop.settings import Settings
from voxpop.store import Store
from voxpop.store.models import Item, Source
from voxpop.store.models.measure import DailyCell
from voxpop.store.models.topics import ItemEmbedding, ItemTopic, StoreTopic

START = datetime(2026, 3, 2, 9, tzinfo=UTC)  # a Monday


@pytest.fixture(scope="module")
def embedder(models_home: Path) -> Embedder:
    return get_embedder(Settings(home=models_home))


def _add(store: Store, texts: list[str], *, first_day: int = 0) -> list[int]:
    with store.write() as session:
        source = session.scalar(select(Source).where(Source.name == "file:hotel.csv"))
        if source is None:
            source = Source(name="file:hotel.csv")
            session.add(source)
            session.flush()
        items = [
            Item(
                source_id=source.id,
                dedup_key=f"k{first_day + i}",
                channel="review",
                text=text,
                created_at=START + timedelta(days=first_day + i),
            )
            for i, text in enumerate(texts)
        ]
        session.add_all(items)
        session.flush()
        return [item.id for item in items]


def _topic_of(store: Store, item_ids: list[int]) -> dict[int, int | None]:
    with store.read() as session:
        rows = session.execute(select(ItemTopic.item_id, ItemTopic.topic_id).where(ItemTopic.item_id.in_(item_ids)))
        return {row[0]: row[1] for row in rows}


def _majority(store: Store, ids: list[int]) -> int:
    topics = [t for t in _topic_of(store, ids).values() if t is not None]
    assert len(topics) >= len(ids) * 0.6, topics
    return max(set(topics), key=topics.count)


def test_rebuild_persists_topics_and_keeps_ids_and_names(store: Store, embedder: Embedder) -> None:
    parking = _add(store, PARKING)
    wifi = _add(store, WIFI, first_day=10)
    breakfast = _add(store, BREAKFAST, first_day=20)
    report = rebuild_topics(store, encode=embedder.encode, model=embedder.fingerprint, min_cluster_size=5)
    assert report.rebuilt
    assert report.embedded == 30
    assert report.assigned == 30
    assert report.new >= 3
    assert report.kept == 0
    themes = {
        name: _majority(store, ids) for name, ids in (("parking", parking), ("wifi", wifi), ("breakfast", breakfast))
    }
    assert len(set(themes.values())) == 3  # three themes, three topics
    with store.read() as session:
        names = {t.id: t.name for t in session.scalars(select(StoreTopic))}
        assert session.scalar(select(func.count()).select_from(ItemEmbedding)) == 30
        blob = session.scalar(select(ItemEmbedding.vector).limit(1))
    assert blob is not None
    assert len(blob) == 384 * 2
    for theme, topic_id in themes.items():
        assert theme in names[topic_id]

    again = rebuild_topics(store, encode=embedder.encode, model=embedder.fingerprint, min_cluster_size=5)
    assert again.embedded == 0  # the stored vectors are reused, nothing is embedded again
    assert again.new == 0
    assert again.retired == 0
    assert again.kept == report.new
    with store.read() as session:
        assert {t.id: t.name for t in session.scalars(select(StoreTopic))} == names
    assert {
        name: _majority(store, ids) for name, ids in (("parking", parking), ("wifi", wifi), ("breakfast", breakfast))
    } == themes

    # A theme whose items are gone is retired at the next rebuild; the others keep their ids.
    with store.write() as session:
        session.execute(delete(Item).where(Item.id.in_(wifi)))
    _add(store, [f"{text} Again." for text in PARKING], first_day=40)
    third = rebuild_topics(store, encode=embedder.encode, model=embedder.fingerprint, min_cluster_size=5)
    assert third.embedded == 10
    assert _majority(store, parking) == themes["parking"]
    assert _majority(store, breakfast) == themes["breakfast"]
    with store.read() as session:
        wifi_topic = session.get(StoreTopic, themes["wifi"])
        assert wifi_topic is not None
        assert wifi_topic.retired
        assert wifi_topic.size == 0
    assert themes["wifi"] not in {t.id for t in list_topics_of(store)}


def list_topics_of(store: Store) -> list[TopicSummary]:
    with store.read() as session:
        return list(list_topics(session))


def _topic_cells_follow(store: Store) -> None:
    """The roll-ups' topic cells count each day's items per store-wide topic (``store_topics`` rewrites them
    when it assigns topics: the triggers on ``items`` never see an assignment)."""
    with store.read() as session:
        cells = {
            (c.day, c.value): c.volume
            for c in session.scalars(select(DailyCell).where(DailyCell.dimension == topic_cells.TOPIC_ID))
        }
        expected: dict[tuple[date, str], int] = {}
        for created, topic_id in session.execute(
            select(Item.created_at, ItemTopic.topic_id)
            .join(ItemTopic, ItemTopic.item_id == Item.id)
            .where(ItemTopic.topic_id.is_not(None))
        ):
            key = (created.astimezone(UTC).date(), str(topic_id))
            expected[key] = expected.get(key, 0) + 1
    assert cells == expected != {}


def test_new_items_are_placed_in_the_nearest_topic_without_reclustering(store: Store, embedder: Embedder) -> None:
    parking = _add(store, PARKING)
    _add(store, WIFI, first_day=10)
    _add(store, BREAKFAST, first_day=20)
    assert assign_new_items(store, encode=embedder.encode, model=embedder.fingerprint).assigned == 0  # no topics yet
    first = refresh_topics(store, encode=embedder.encode, model=embedder.fingerprint)
    assert first.rebuilt  # no topics yet: the scheduled job builds them
    parking_topic = _majority(store, parking)
    with store.read() as session:
        size_before = session.get(StoreTopic, parking_topic).size  # type: ignore[union-attr]
    late = _add(store, ["The parking garage was full again and parking cost a fortune."], first_day=60)
    report = refresh_topics(store, encode=embedder.encode, model=embedder.fingerprint)
    assert not report.rebuilt
    assert report.embedded == 1
    assert report.assigned == 1
    assert _topic_of(store, late) == {late[0]: parking_topic}
    _topic_cells_follow(store)
    with store.read() as session:
        assert session.get(StoreTopic, parking_topic).size == size_before + 1  # type: ignore[union-attr]
    # A week later the job re-clusters, and the parking topic is still the parking topic.
    later = refresh_topics(
        store, encode=embedder.encode, model=embedder.fingerprint, now=datetime.now(UTC) + timedelta(days=8)
    )
    assert later.rebuilt
    assert _majority(store, parking) == parking_topic
    _topic_cells_follow(store)


def test_analysis_stores_the_embeddings_the_topics_reuse(store: Store, models_home: Path) -> None:
    ids = _add(store, PARKING + WIFI + BREAKFAST)
    analyzer = Analyzer(Settings(home=models_home), "hotel", enrichers=["topics"])
    assert analyze_items(store, ids, analyzer, batch_size=8) == len(ids)
    with store.read() as session:
        stored = {row[0]: row[1] for row in session.execute(select(ItemEmbedding.item_id, ItemEmbedding.vector))}
    assert set(stored) == set(ids)
    direct = analyzer.embed([PARKING[0]])[0]
    # The same text alone: the same vector, up to its storage as float16.
    np.testing.assert_allclose(np.frombuffer(stored[ids[0]], dtype=np.float16).astype(np.float32), direct, atol=1e-3)
    embedder = analyzer.context.embedder
    report = rebuild_topics(store, encode=embedder.encode, model=analyzer.embedder_name, min_cluster_size=5)
    assert report.embedded == 0
    assert report.assigned == len(ids)


def test_insight_and_cli_read_the_store_wide_topics(store: Store, settings: Settings, embedder: Embedder) -> None:
    parking = _add(store, PARKING)
    _add(store, WIFI, first_day=10)
    _add(store, BREAKFAST, first_day=20)
    with store.write() as session:  # the names a per-batch analysis left behind
        for item in session.scalars(select(Item)):
            item.topics = ["batch name"]
    with store.read() as session:
        assert {t for o in load_observations(session, None) for t in o.topics} == {"batch name"}
    rebuild_topics(store, encode=embedder.encode, model=embedder.fingerprint, min_cluster_size=5)
    with store.read() as session:
        parking_name = session.get(StoreTopic, _majority(store, parking)).name  # type: ignore[union-attr]
        observed = {o.id: o.topics for o in load_observations(session, None)}
    assert "batch name" not in {t for topics in observed.values() for t in topics}
    assert sum(observed[i] == (parking_name,) for i in parking) >= 6

    env = {
        "VOXPOP_DATABASE_URL": settings.database_url,
        "VOXPOP_HOME": str(settings.home),
        "VOXPOP_SECRET_KEY": settings.secret_key.get_secret_value(),
    }
    result = CliRunner().invoke(app, ["topics", "list", "--json"], env=env)
    assert result.exit_code == 0, result.output
    listed = {t["name"]: t for t in json.loads(result.output)}
    assert parking_name in listed
    volume = listed[parking_name]["volume_by_week"]
    assert sum(volume.values()) == listed[parking_name]["size"]
    assert min(volume) == date(2026, 3, 2).isoformat()  # weeks start on Monday
    table = CliRunner().invoke(app, ["topics", "list"], env=env)
    assert table.exit_code == 0
    assert "parking" in table.output
