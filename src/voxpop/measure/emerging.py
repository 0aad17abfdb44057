"""Emerging topics: themes (``analyze.topics`` names them per item) growing faster than their baseline.

A topic is emerging when its share of the items in the last ``recent_days`` is significantly above its
share in the ``baseline_days`` before (Fisher's exact test, one-sided, p < ``ALPHA``), at least ``MIN_RATIO``
times as high, with at least ``MIN_RECENT`` items. Comparing shares, not counts, keeps a busy week from
making every topic look like it is emerging. A topic never seen in the baseline can emerge too.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from scipy.stats import fisher_exact
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from voxpop.measure.cell_dimensions import SUMMED
from voxpop.measure.observations import Observation, TopicWindowCounts, topic_window_counts
from voxpop.measure.topic_cells import TOPIC_DIMENSIONS, TOPIC_ID
from voxpop.store.models import User
from voxpop.store.models.measure import DailyCell
from voxpop.store.models.topics import StoreTopic

RECENT_DAYS = 14
BASELINE_DAYS = 56
MIN_RECENT = 5
MIN_RATIO = 2.0
ALPHA = 0.01


@dataclass
class EmergingTopic:
    name: str
    recent: int
    baseline: int
    recent_share: float
    baseline_share: float
    p_value: float
    since: date

    @property
    def ratio(self) -> float:
        return self.recent_share / self.baseline_share if self.baseline_share else float("inf")


def emerging_topics(
    rows: Sequence[Observation],
    end: date,
    *,
    recent_days: int = RECENT_DAYS,
    baseline_days: int = BASELINE_DAYS,
) -> list[EmergingTopic]:
    """Topics whose share of items grew significantly in the ``recent_days`` up to ``end``; fastest first."""
    since = end - timedelta(days=recent_days - 1)
    base_from = since - timedelta(days=baseline_days)
    recent = [r for r in rows if since <= r.day <= end]
    baseline = [r for r in rows if base_from <= r.day < since]
    return emerging_from_counts(
        Counter(t for r in recent for t in set(r.topics)),
        len(recent),
        Counter(t for r in baseline for t in set(r.topics)),
        len(baseline),
        since,
    )


def emerging_from_counts(
    recent_counts: Mapping[str, int],
    recent_total: int,
    base_counts: Mapping[str, int],
    base_total: int,
    since: date,
) -> list[EmergingTopic]:
    """The test of :func:`emerging_topics` on counts: per topic the items naming it in the recent stretch
    (from ``since``) and in the baseline, and the items of each stretch (with or without a topic)."""
    if not recent_total:
        return []
    found: list[EmergingTopic] = []
    for name, count in recent_counts.items():
        if count < MIN_RECENT:
            continue
        before = base_counts.get(name, 0)
        recent_share = count / recent_total
        baseline_share = before / base_total if base_total else 0.0
        if baseline_share and recent_share < MIN_RATIO * baseline_share:
            continue
        table = [[count, recent_total - count], [before, base_total - before]]
        p = float(fisher_exact(table, alternative="greater").pvalue)
        if p < ALPHA:
            found.append(EmergingTopic(name, count, before, recent_share, baseline_share, p, since))
    found.sort(key=lambda t: (t.p_value, -t.recent, t.name))
    return found


def emerging_in_store(
    session: Session,
    viewer: User | None,
    end: date,
    *,
    start: date | None = None,
    location: str | None = None,
    channel: str | None = None,
    recent_days: int = RECENT_DAYS,
    baseline_days: int = BASELINE_DAYS,
    from_cells: bool = False,
) -> list[EmergingTopic]:
    """:func:`emerging_topics` of the items ``load_observations`` would give for ``[start, end]``, counted
    in the database instead of loading every item of the ten weeks: from the roll-up cells when
    ``from_cells`` (the caller checked none is pending) and no location or channel is asked for (the topic
    cells are not split by them), else from one grouped query of the items."""
    since = end - timedelta(days=recent_days - 1)
    base_from = since - timedelta(days=baseline_days)
    first = base_from if start is None else max(start, base_from)
    if first > end:
        return []
    if from_cells and location is None and channel is None:
        counts = topic_cell_counts(session, viewer, first, since, end)
    else:
        counts = topic_window_counts(session, viewer, first, since, end, location=location, channel=channel)
    return emerging_from_counts(counts.recent, counts.recent_total, counts.baseline, counts.baseline_total, since)


def topic_cell_counts(session: Session, viewer: User | None, start: date, since: date, end: date) -> TopicWindowCounts:
    """``observations.topic_window_counts`` (no location, no channel) from the roll-ups: the topic day cells
    (``topic_cells.TOPIC_DIMENSIONS``) for the topics, the day cells over all channels for the totals. Two
    grouped reads of a few thousand cells instead of every item of the ten weeks; the caller makes sure
    nothing is pending."""
    recent = case((DailyCell.day >= since, 1), else_=0).label("recent")
    where = [DailyCell.day >= start, DailyCell.day <= end]
    if viewer is not None and not viewer.sees_all_departments:
        where.append(DailyCell.department_id.in_(viewer.department_ids))
    found = TopicWindowCounts()
    totals = select(recent, func.sum(DailyCell.volume)).where(DailyCell.dimension == SUMMED + "all", *where)
    for is_recent, n in session.execute(totals.group_by(recent)):
        if is_recent:
            found.recent_total = int(n)
        else:
            found.baseline_total = int(n)
    topics = select(recent, DailyCell.dimension, DailyCell.value, func.sum(DailyCell.volume)).where(
        DailyCell.dimension.in_(TOPIC_DIMENSIONS), *where
    )
    names: dict[str, str] | None = None
    for is_recent, dimension, value, n in session.execute(
        topics.group_by(recent, DailyCell.dimension, DailyCell.value)
    ):
        if dimension == TOPIC_ID:  # a store-wide topic's id: counted under its name, as the items path does
            if names is None:
                names = {str(i): name for i, name in session.execute(select(StoreTopic.id, StoreTopic.name))}
            name = names.get(str(value), "")
            if not name:
                continue
        else:
            name = str(value)
        side = found.recent if is_recent else found.baseline
        side[name] = side.get(name, 0) + int(n)
    return found
