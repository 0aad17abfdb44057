"""Topics found over the whole store, with ids and names that stay put (issue 3).

``analyze_items`` sees one batch at a time, so the per-batch ``items.topics`` names vary from batch to
batch. Here the store's items are clustered together (``discover_topics``: PCA, HDBSCAN, c-TF-IDF key
phrases) from the embeddings kept in ``item_embeddings`` (the analyze stage stores them; an item
without one is embedded once), and the result is persisted in ``topics`` / ``item_topics``:

- :func:`rebuild_topics` re-clusters everything. Each new cluster is matched to the old topic whose
  members it shares most (Jaccard ≥ ``MATCH_JACCARD``, one-to-one by the Hungarian method): a matched
  cluster keeps the old id *and name* (its key phrases are refreshed), an unmatched one is a new topic,
  an old topic nobody matched is retired.
- :func:`assign_new_items` places items not yet looked at in the nearest live topic, if they are as
  close as its members usually are (else in none), without re-clustering.
- :func:`refresh_topics` is what the scheduler runs: a rebuild when there are no topics yet or the last
  one is older than ``REBUILD_EVERY``, else the incremental step.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy.optimize import linear_sum_assignment
from sqlalchemy import delete, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from voxpop.analyze.topics import MIN_ITEMS, discover_topics, nearest, week_of
from voxpop.measure.topic_cells import recompute_topic_cells
from voxpop.store.models import Item
from voxpop.store.models.topics import ItemEmbedding, ItemTopic, StoreTopic
from voxpop.store.types import utcnow

if TYPE_CHECKING:
    from voxpop.settings import Settings
    from voxpop.store import Store

Encode = Callable[[Sequence[str]], np.ndarray]
MATCH_JACCARD = 0.3
REBUILD_EVERY = timedelta(days=7)
REFRESH_SECONDS = 900
log = logging.getLogger(__name__)
CHUNK = 512


@dataclass
class TopicsReport:
    embedded: int = 0  # items embedded here (their analysis had not stored a vector)
    assigned: int = 0  # items placed (incremental) or clustered (rebuild)
    rebuilt: bool = False
    kept: int = 0  # rebuild: old topics matched, ids and names kept
    new: int = 0
    retired: int = 0


@dataclass
class TopicSummary:
    id: int
    name: str
    key_phrases: list[str]
    size: int
    retired: bool
    volume_by_week: dict[str, int] = field(default_factory=dict)


def item_text(title: str | None, text: str | None) -> str:
    """The text analysed for an item: its title in front when the text does not already hold it."""
    body = text or ""
    heading = (title or "").strip()
    if heading and heading not in body:
        return f"{heading}. {body}" if body else heading
    return body


def save_embeddings(session: Session, ids: Sequence[int], vectors: np.ndarray, model: str) -> None:
    """Store (or replace) the items' embeddings as float16; ids of items deleted meanwhile are skipped."""
    if not len(ids):
        return
    existing = set(session.scalars(select(Item.id).where(Item.id.in_(list(ids)))))
    rows = [
        {"item_id": int(i), "model": model, "vector": np.asarray(v, dtype=np.float16).tobytes()}
        for i, v in zip(ids, vectors, strict=True)
        if int(i) in existing
    ]
    if not rows:
        return
    # An upsert, so two workers that analyse the same item at once do not collide.
    dialect_insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = dialect_insert(ItemEmbedding)
    statement = statement.on_conflict_do_update(
        index_elements=["item_id"], set_={"model": statement.excluded.model, "vector": statement.excluded.vector}
    )
    session.execute(statement, rows)


def _default_encoder(settings: Settings) -> tuple[Encode, str]:
    from voxpop.analyze.embeddings import get_embedder

    embedder = get_embedder(settings)
    return embedder.encode, embedder.fingerprint


def embed_missing(store: Store, encode: Encode, model: str) -> int:
    """Embed the items that have no stored vector of ``model``; returns how many."""
    done = 0
    while True:
        with store.read() as session:
            rows = session.execute(
                select(Item.id, Item.title, Item.text)
                .outerjoin(ItemEmbedding, ItemEmbedding.item_id == Item.id)
                .where((ItemEmbedding.item_id.is_(None)) | (ItemEmbedding.model != model))
                .order_by(Item.id)
                .limit(CHUNK)
            ).all()
        if not rows:
            return done
        vectors = encode([item_text(r.title, r.text) for r in rows])
        with store.write() as session:
            save_embeddings(session, [r.id for r in rows], vectors, model)
        done += len(rows)


def _vectors(blobs: Sequence[bytes]) -> np.ndarray:
    return np.vstack([np.frombuffer(b, dtype=np.float16) for b in blobs]).astype(np.float32)


def _live_topics(session: Session) -> list[StoreTopic]:
    return list(session.scalars(select(StoreTopic).where(StoreTopic.retired.is_(False)).order_by(StoreTopic.id)))


def _match(new_members: list[set[int]], old_members: dict[int, set[int]]) -> dict[int, int]:
    """New cluster index → old topic id, one-to-one, where they share enough items."""
    old_ids = list(old_members)
    if not new_members or not old_ids:
        return {}
    jaccard = np.zeros((len(new_members), len(old_ids)))
    for k, members in enumerate(new_members):
        for j, topic_id in enumerate(old_ids):
            union = len(members | old_members[topic_id])
            jaccard[k, j] = len(members & old_members[topic_id]) / union if union else 0.0
    rows, cols = linear_sum_assignment(-jaccard)
    return {int(k): old_ids[int(j)] for k, j in zip(rows, cols, strict=True) if jaccard[k, j] >= MATCH_JACCARD}


def rebuild_topics(
    store: Store, *, encode: Encode | None = None, model: str | None = None, min_cluster_size: int | None = None
) -> TopicsReport:
    """Re-cluster every item (spam left out) and persist the topics, keeping matched ids and names."""
    if encode is None or model is None:
        encode, model = _default_encoder(store.settings)
    report = TopicsReport(embedded=embed_missing(store, encode, model), rebuilt=True)
    with store.read() as session:
        rows = session.execute(
            select(Item.id, Item.title, Item.text, Item.created_at, ItemEmbedding.vector)
            .join(ItemEmbedding, ItemEmbedding.item_id == Item.id)
            .where(Item.status != "spam")
            .order_by(Item.id)
        ).all()
        old_members: dict[int, set[int]] = {t.id: set() for t in _live_topics(session)}
        for item_id, topic_id in session.execute(
            select(ItemTopic.item_id, ItemTopic.topic_id).where(ItemTopic.topic_id.is_not(None))
        ):
            if topic_id in old_members:
                old_members[topic_id].add(item_id)
    ids = np.array([r.id for r in rows], dtype=np.int64)
    if len(rows) < MIN_ITEMS:
        return report
    fitted = discover_topics(
        [item_text(r.title, r.text) for r in rows],
        _vectors([r.vector for r in rows]),
        [r.created_at for r in rows],
        min_cluster_size=min_cluster_size,
    )
    new_members = [set(ids[fitted.labels == k].tolist()) for k in range(len(fitted.topics))]
    matched = _match(new_members, old_members)
    now = utcnow()
    with store.write() as session:
        topic_ids: list[int] = []
        for k, found in enumerate(fitted.topics):
            values: dict[str, Any] = {
                "key_phrases": found.key_phrases,
                "centroid": fitted.centroids[k].astype(np.float32).tobytes(),
                "threshold": float(fitted.thresholds[k]),
                "size": found.size,
                "retired": False,
                "updated_at": now,
            }
            topic = session.get(StoreTopic, matched[k]) if k in matched else None
            if topic is None:
                topic = StoreTopic(name=found.name, created_at=now, **values)
                session.add(topic)
                session.flush()
                report.new += 1
            else:
                for key, value in values.items():
                    setattr(topic, key, value)
                report.kept += 1
            topic_ids.append(topic.id)
        for topic_id in set(old_members) - set(matched.values()):
            gone = session.get(StoreTopic, topic_id)
            if gone is not None:
                gone.retired, gone.size, gone.updated_at = True, 0, now
                report.retired += 1
        session.execute(delete(ItemTopic))
        assignments = [
            {"item_id": int(i), "topic_id": topic_ids[int(label)] if label >= 0 else None, "assigned_at": now}
            for i, label in zip(ids, fitted.labels, strict=True)
        ]
        for start in range(0, len(assignments), 5000):
            session.execute(insert(ItemTopic), assignments[start : start + 5000])
        recompute_topic_cells(session)  # the roll-ups' topic counts follow the new assignments at once
    report.assigned = len(assignments)
    return report


def assign_new_items(store: Store, *, encode: Encode | None = None, model: str | None = None) -> TopicsReport:
    """Place each item not yet looked at in the nearest live topic (or none), without re-clustering."""
    if encode is None or model is None:
        encode, model = _default_encoder(store.settings)
    report = TopicsReport(embedded=embed_missing(store, encode, model))
    with store.read() as session:
        topics = _live_topics(session)
        if not topics:
            return report
        topic_ids = [t.id for t in topics]
        centroids = np.vstack([np.frombuffer(t.centroid, dtype=np.float32) for t in topics])
        thresholds = np.array([t.threshold for t in topics], dtype=np.float32)
    while True:
        with store.read() as session:
            rows = session.execute(
                select(Item.id, ItemEmbedding.vector)
                .join(ItemEmbedding, ItemEmbedding.item_id == Item.id)
                .outerjoin(ItemTopic, ItemTopic.item_id == Item.id)
                .where(ItemTopic.item_id.is_(None), Item.status != "spam")
                .order_by(Item.id)
                .limit(CHUNK)
            ).all()
        if not rows:
            return report
        labels = nearest(_vectors([r.vector for r in rows]), centroids, thresholds)
        now = utcnow()
        placed = [
            {"item_id": r.id, "topic_id": topic_ids[int(label)] if label >= 0 else None, "assigned_at": now}
            for r, label in zip(rows, labels, strict=True)
        ]
        ids = [p["item_id"] for p in placed]
        with store.write() as session:
            session.execute(delete(ItemTopic).where(ItemTopic.item_id.in_(ids)))
            session.execute(insert(ItemTopic), placed)
            for topic_id, count in Counter(p["topic_id"] for p in placed if p["topic_id"] is not None).items():
                topic = session.get(StoreTopic, topic_id)
                if topic is not None:
                    topic.size += count
            days = {c.astimezone(UTC).date() for c in session.scalars(select(Item.created_at).where(Item.id.in_(ids)))}
            for day in sorted(days):
                recompute_topic_cells(session, day, day)
        report.assigned += len(placed)


def refresh_topics(
    store: Store, *, encode: Encode | None = None, model: str | None = None, now: datetime | None = None
) -> TopicsReport:
    """The scheduled job: rebuild when there are no topics or the last rebuild is ``REBUILD_EVERY`` old."""
    with store.read() as session:
        last = session.scalar(select(func.max(StoreTopic.updated_at)))
    if last is None or (now or utcnow()) - last >= REBUILD_EVERY:
        return rebuild_topics(store, encode=encode, model=model)
    return assign_new_items(store, encode=encode, model=model)


def list_topics(session: Session, *, retired: bool = False) -> list[TopicSummary]:
    """The store-wide topics, largest first, with their weekly volume (Monday of each week → items)."""
    query = select(StoreTopic).order_by(StoreTopic.size.desc(), StoreTopic.id)
    if not retired:
        query = query.where(StoreTopic.retired.is_(False))
    summaries = {
        t.id: TopicSummary(t.id, t.name, list(t.key_phrases or []), t.size, t.retired) for t in session.scalars(query)
    }
    for topic_id, created_at in session.execute(
        select(ItemTopic.topic_id, Item.created_at)
        .join(Item, Item.id == ItemTopic.item_id)
        .where(ItemTopic.topic_id.in_(list(summaries)), Item.status != "spam")
    ):
        if topic_id is None:
            continue
        volume = summaries[topic_id].volume_by_week
        week = week_of(created_at)
        volume[week] = volume.get(week, 0) + 1
    for summary in summaries.values():
        summary.volume_by_week = dict(sorted(summary.volume_by_week.items()))
    return list(summaries.values())


def has_store_topics(session: Session) -> bool:
    """Whether the store-wide topics have been built (then they, not the per-batch names, are the topics)."""
    return session.scalar(select(StoreTopic.id).where(StoreTopic.retired.is_(False)).limit(1)) is not None


def start_periodic(settings: Settings, stop: threading.Event | None = None) -> threading.Thread:
    """A daemon thread running :func:`refresh_topics` every ``REFRESH_SECONDS`` (``voxpop serve``)."""
    from voxpop.store import Store

    stop = stop or threading.Event()

    def loop() -> None:
        store = Store(settings)
        try:
            while not stop.wait(REFRESH_SECONDS):
                try:
                    report = refresh_topics(store)
                    log.info("voxpop topics: %d items placed (rebuilt: %s)", report.assigned, report.rebuilt)
                except Exception:
                    log.exception("voxpop topics: the scheduled run failed; it runs again next time")
        finally:
            store.dispose()

    thread = threading.Thread(target=loop, name="voxpop-topics", daemon=True)
    thread.start()
    return thread
