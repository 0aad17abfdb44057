"""The trends report read from the roll-up cells instead of every item of the period.

``measure.trends`` uses this when the cells can stand in for the items: the metric is one the cells
count (share negative, average rating, volume — not the mean sentiment score) and no roll-up day is
waiting for recomputation. Then:

- the daily series and each segment's (location, channel, aspect) are sums of day cells, and the same
  change detection runs on them (``changes.candidates`` / ``significant_changes``);
- a change is attributed with the shift-share of ``measure.attribution``, computed from per-segment
  counts and sums over the stretch before and after it instead of per-item values. Locations and
  channels give exactly the item-level figures. An aspect's cell counts the sentiment of the aspect's
  own clause (a rating is the item's), so an aspect's share negative is the clause-level one;
- the evidence (a few items per driver) comes from one bounded query each.

Both paths count our own items without spam (the cells keep a competitor's items only per source).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

import numpy as np
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from voxpop.act.inbox import visible_to
from voxpop.errors import ValidationError
from voxpop.measure.attribution import DIMENSIONS, EVIDENCE, MIN_SEGMENT_ITEMS, Driver, shift_share
from voxpop.measure.changes import (
    MIN_SEGMENT_ITEMS as MIN_SEGMENT_SERIES_ITEMS,
)
from voxpop.measure.changes import (
    SEGMENT_DIMENSIONS,
    Change,
    candidates,
    significant_changes,
)
from voxpop.measure.daily_series import DailySeries
from voxpop.measure.metrics import Totals
from voxpop.measure.observations import day_start
from voxpop.measure.rollups import is_pending
from voxpop.measure.series import Point, Slice, breakdown, day_arrays, series, summary
from voxpop.store.models import Item, User
from voxpop.store.models.measure import DailyCell

#: metric → how a day's totals give (n, sum, sum of squares) of the items' values
READ: dict[str, Callable[[Totals], tuple[float, float, float]]] = {
    "negative_share": lambda t: (t.analysed, t.negative, t.negative),
    "rating": lambda t: (t.rated, t.rating_sum, t.rating_sq),
    "volume": lambda t: (t.volume, t.volume, t.volume),
}
WINDOW_DAYS = 60  # as ``attribution.explain``
EVIDENCE_SCAN = 500  # rows looked at to find an aspect's evidence


def usable(session: Session, metric: str) -> bool:
    """Whether the cells can stand in for the items for this metric now (see the module doc)."""
    if metric not in READ:
        return False
    return not is_pending(session)


def span(
    session: Session,
    viewer: User | None,
    *,
    start: date | None = None,
    end: date | None = None,
    location: str | None = None,
    channel: str | None = None,
) -> tuple[date, date] | None:
    """The first and last day with items in the cells of the location (or of everything) within
    ``[start, end]`` (either end open).

    Two probes of the cells' index, one MIN and one MAX: a cell exists only for a day with items (its
    volume is at least one), and one aggregate per query is what SQLite can read off the index instead of
    scanning every matching cell (~0.5 s a view at 1,000,000 items)."""
    where: list[ColumnElement[bool]] = []
    if location:
        where += [DailyCell.dimension == "location", DailyCell.value == location]
    else:
        where.append(DailyCell.dimension == "all")
    if start is not None:
        where.append(DailyCell.day >= start)
    if end is not None:
        where.append(DailyCell.day <= end)
    if channel:
        where.append(DailyCell.channel == channel)
    if viewer is not None and not viewer.sees_all_departments:
        where.append(DailyCell.department_id.in_(viewer.department_ids))
    first = session.scalar(select(func.min(DailyCell.day)).where(*where))
    if first is None:
        return None
    last = session.scalar(select(func.max(DailyCell.day)).where(*where))
    return (first, last) if last is not None else None


def daily(points: list[Point], metric: str, start: date) -> DailySeries:
    values = np.array([READ[metric](p.metrics.totals) for p in points], dtype=float).reshape(-1, 3)
    return DailySeries(metric=metric, start=start, n=values[:, 0], total=values[:, 1], squares=values[:, 2])


def detect(session: Session, viewer: User | None, s: Slice, metric: str) -> tuple[DailySeries, list[Change]]:
    """The slice's daily series of ``metric`` and its significant changes (``changes.detect_changes``)."""
    found = daily(series(session, viewer, s, grain="day"), metric, s.date_from)
    return found, significant_changes(found, candidates(found))


def _sub(s: Slice, dimension: str, segment: str) -> Slice:
    if dimension == "location":
        return replace(s, location=segment)
    if dimension == "channel":
        return replace(s, channel=segment)
    if dimension == "aspect":
        return replace(s, aspect=segment)
    raise ValidationError(f"no segment dimension {dimension!r}")


#: what ``READ`` needs of a day's totals: a segment's series sums only these (each summed column costs
#: the database a step per cell)
SEGMENT_COUNTERS = ("volume", "analysed", "negative", "rated", "rating_sum", "rating_sq")
#: metric → the ``SEGMENT_COUNTERS`` columns that give (n, sum, sum of squares), as ``READ``
SEGMENT_READ: dict[str, tuple[int, int, int]] = {
    "negative_share": (1, 2, 2),
    "rating": (3, 4, 5),
    "volume": (0, 0, 0),
}


def detect_segments(
    session: Session, viewer: User | None, s: Slice, metric: str, *, dimensions: tuple[str, ...] = SEGMENT_DIMENSIONS
) -> list[Change]:
    """Changes in each location's, channel's and aspect's own series (``changes.detect_segment_changes``),
    the segments with at least ``MIN_SEGMENT_ITEMS`` items, Bonferroni over all of them. Each dimension's
    segment series come from one grouped read of its day cells, straight into arrays (``series.day_arrays``)."""
    groups: dict[tuple[str, str], np.ndarray] = {}
    for dimension in dimensions:
        try:
            per = day_arrays(session, viewer, s, dimension, SEGMENT_COUNTERS)
        except ValidationError:  # e.g. aspects of one location on one channel: not in the cells
            continue
        for segment, days in per.items():
            if days[:, 0].sum() >= MIN_SEGMENT_SERIES_ITEMS:
                groups[(dimension, str(segment))] = days
    found: list[Change] = []
    n, total, squares = SEGMENT_READ[metric]
    for (dimension, segment), days in sorted(groups.items(), key=lambda kv: kv[0]):
        one = DailySeries(metric, s.date_from, days[:, n].copy(), days[:, total].copy(), days[:, squares].copy())
        for change in significant_changes(one, candidates(one), tests=len(groups)):
            change.dimension, change.segment = dimension, segment
            found.append(change)
    found.sort(key=lambda c: (c.p_value, -abs(c.delta)))
    return found


@dataclass
class _Side:
    """One stretch: (n, sum) of the metric overall and per segment."""

    n: float
    total: float
    days: int
    segments: dict[str, tuple[float, float]]

    def share(self, segment: str) -> float:
        return self.segments.get(segment, (0.0, 0.0))[0] / self.n if self.n else 0.0

    def value(self, segment: str) -> float | None:
        n, total = self.segments.get(segment, (0.0, 0.0))
        return total / n if n else None

    def rest(self, segment: str) -> float | None:
        n, total = self.segments.get(segment, (0.0, 0.0))
        return (self.total - total) / (self.n - n) if self.n - n > 0 else None

    def mean(self) -> float | None:
        return self.total / self.n if self.n else None


def _side(
    session: Session, viewer: User | None, s: Slice, metric: str, dimension: str, overall: Totals
) -> _Side | None:
    try:
        per = breakdown(session, viewer, s, dimension, min_n=1)
    except ValidationError:
        return None
    n, total, _ = READ[metric](overall)
    segments = {str(k): READ[metric](m.totals)[:2] for k, m in per.items()}
    return _Side(n=n, total=total, days=s.days, segments=segments)


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _driver(dimension: str, segment: str, metric: str, before: _Side, after: _Side) -> Driver | None:
    """``attribution._driver`` on counts and sums."""
    n_before = int(before.segments.get(segment, (0, 0))[0])
    n_after = int(after.segments.get(segment, (0, 0))[0])
    if max(n_before, n_after) < MIN_SEGMENT_ITEMS:
        return None
    value_before: float | None
    value_after: float | None
    if metric == "volume":
        mix, rate = n_after / max(after.days, 1) - n_before / max(before.days, 1), 0.0
        value_before = value_after = None
    else:
        value_before, value_after = before.value(segment), after.value(segment)
        value_before = value_after if value_before is None else value_before
        value_after = value_before if value_after is None else value_after
        assert value_before is not None
        assert value_after is not None
        w0, w1 = before.share(segment), after.share(segment)
        if dimension == "aspect":
            baseline = _mean([r for r in (before.rest(segment), after.rest(segment)) if r is not None]) or 0.0
        else:
            baseline = _mean([v for v in (before.mean(), after.mean()) if v is not None]) or 0.0
        mix, rate = shift_share(w0, w1, value_before, value_after, baseline)
    return Driver(
        dimension=dimension,
        segment=segment,
        share_before=before.share(segment),
        share_after=after.share(segment),
        value_before=value_before,
        value_after=value_after,
        mix=mix,
        rate=rate,
        n_before=n_before,
        n_after=n_after,
    )


def _evidence(
    session: Session, viewer: User | None, s: Slice, metric: str, dimension: str, segment: str, upward: bool
) -> list[int]:
    """A few items of the segment after the change that show the move (``attribution._evidence``)."""
    query = select(Item.id, Item.aspects).where(
        Item.created_at >= day_start(s.date_from),
        Item.created_at < day_start(s.date_to) + timedelta(days=1),
        Item.status != "spam",
    )
    if viewer is not None and (scope := visible_to(viewer)) is not None:
        query = query.where(scope)
    for column, wanted in ((Item.location, s.location), (Item.channel, s.channel)):
        if wanted:
            query = query.where(column == wanted)
    if dimension == "location":
        query = query.where(Item.location == segment)
    elif dimension == "channel":
        query = query.where(Item.channel == segment)
    order: list[Any] = []
    if metric == "negative_share":
        query = query.where(Item.sentiment == ("negative" if upward else "positive"))
    elif metric == "rating":
        query = query.where(Item.rating.is_not(None))
        order.append(Item.rating.desc() if upward else Item.rating.asc())
    query = query.order_by(*order, Item.created_at.desc())
    if dimension != "aspect":
        return [row.id for row in session.execute(query.limit(EVIDENCE))]
    found: list[int] = []
    for row in session.execute(query.limit(EVIDENCE_SCAN)):
        names = {a.get("name") for a in row.aspects or [] if isinstance(a, dict)}
        if segment in names:
            found.append(row.id)
            if len(found) == EVIDENCE:
                break
    return found


def explain(
    session: Session,
    viewer: User | None,
    s: Slice,
    change: Change,
    *,
    dimensions: tuple[str, ...] = DIMENSIONS,
    top: int = 5,
) -> None:
    """``attribution.explain`` from the cells: the drivers of ``change`` (of the slice ``s``) per dimension,
    kept on ``change.drivers``."""
    before_from = max(change.before_from, change.day - timedelta(days=WINDOW_DAYS))
    after_to = min(change.after_to, change.day + timedelta(days=WINDOW_DAYS - 1))
    before_s = replace(s, date_from=before_from, date_to=change.day - timedelta(days=1))
    after_s = replace(s, date_from=change.day, date_to=after_to)
    upward = change.delta > 0
    sign = 1.0 if upward else -1.0
    overall_before = breakdown_total(session, viewer, before_s)
    overall_after = breakdown_total(session, viewer, after_s)
    drivers: list[Driver] = []
    for dimension in dimensions:
        before = _side(session, viewer, before_s, change.metric, dimension, overall_before)
        after = _side(session, viewer, after_s, change.metric, dimension, overall_after)
        if before is None or after is None:
            continue
        found = [
            d
            for segment in sorted(set(before.segments) | set(after.segments))
            if (d := _driver(dimension, segment, change.metric, before, after)) is not None
        ]
        found = [d for d in found if sign * d.total > 0 and not math.isnan(d.total)]
        found.sort(key=lambda d: sign * d.total, reverse=True)
        for d in found[:top]:
            d.evidence = _evidence(session, viewer, after_s, change.metric, dimension, d.segment, upward)
            drivers.append(d)
    change.drivers = drivers


def breakdown_total(session: Session, viewer: User | None, s: Slice) -> Totals:
    """The slice's totals (no response-time histograms: attribution needs counts only)."""
    return summary(session, viewer, s, min_n=1, medians=False).totals


def segment_slice(s: Slice, change: Change) -> Slice | None:
    """The slice of a segment change's own segment (None when the cells cannot hold it)."""
    try:
        return _sub(s, change.dimension or "", change.segment or "")
    except ValidationError:
        return None
