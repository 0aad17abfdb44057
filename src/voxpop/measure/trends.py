"""The trends page and ``voxpop trends``: a metric's daily series, its changes and why they happened.

A thin composition of ``observations`` (the scoped rows), ``changes`` (what changed, significantly) and
``attribution`` (which segments drove it, with the items as evidence). When the roll-ups can stand in for
the items (``trend_cells.usable``: share negative, rating or volume, nothing pending)
the series, the changes and their drivers are read from the cells instead (``measure.trend_cells``), and
the emerging topics are counted from the roll-ups' topic cells (``emerging.emerging_in_store``: per topic,
the items of the last two weeks and of the eight before; from the items with a location or channel).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy.orm import Session

from voxpop.errors import ValidationError
from voxpop.measure import trend_cells
from voxpop.measure.attribution import Driver, explain
from voxpop.measure.changes import Change, detect_changes, detect_segment_changes, period_of
from voxpop.measure.daily_series import METRICS, DailySeries
from voxpop.measure.emerging import EmergingTopic, emerging_in_store, emerging_topics
from voxpop.measure.observations import Observation, load_observations
from voxpop.measure.series import Slice
from voxpop.store.models import User

DEFAULT_DAYS = 180


@dataclass
class TrendReport:
    metric: str
    start: date
    end: date
    series: DailySeries | None
    changes: list[Change] = field(default_factory=list)
    segment_changes: list[Change] = field(default_factory=list)
    items: int = 0
    emerging: list[EmergingTopic] = field(default_factory=list)
    source: str = "items"  # what it was computed from: "items" or "rollups"

    def drivers_of(self, change: Change, dimension: str) -> list[Driver]:
        return [d for d in change.drivers if isinstance(d, Driver) and d.dimension == dimension]


def trend_report(
    session: Session,
    viewer: User | None,
    metric: str,
    *,
    start: date | None = None,
    end: date | None = None,
    segments: bool = True,
    location: str | None = None,
    channel: str | None = None,
    rollups: bool = True,
) -> TrendReport:
    """The metric over ``[start, end]`` (default: the whole span of the items the viewer sees, at most the
    last ``DEFAULT_DAYS`` days), its significant changes with their drivers, and each segment's changes.
    ``rollups=False`` reads the items even when the cells could stand in (benchmarks, checks)."""
    if metric not in METRICS:
        raise ValidationError(f"unknown metric '{metric}' (choose from {', '.join(METRICS)})")
    if rollups and trend_cells.usable(session, metric):
        return _from_rollups(session, viewer, metric, start, end, segments, location, channel)
    rows: list[Observation] = load_observations(
        session, viewer, start=start, end=end, location=location, channel=channel
    )
    span = period_of(rows)
    if span is None:
        first, last = start or date.today(), end or date.today()
        return TrendReport(metric=metric, start=first, end=last, series=None)
    first = start or max(span[0], span[1] - timedelta(days=DEFAULT_DAYS - 1))
    last = end or span[1]
    rows = [r for r in rows if first <= r.day <= last]
    series, found = detect_changes(rows, metric, first, last)
    for change in found:
        explain(change, rows)
    by_segment = detect_segment_changes(rows, metric, first, last) if segments else []
    for change in by_segment:
        dimension = change.dimension or ""
        members = [r for r in rows if _in_segment(r, dimension, change.segment or "")]
        explain(change, members, dimensions=[d for d in ("aspect", "location", "channel") if d != dimension])
    return TrendReport(
        metric=metric,
        start=first,
        end=last,
        series=series,
        changes=found,
        segment_changes=by_segment,
        items=len(rows),
        emerging=emerging_topics(rows, last),
    )


def _from_rollups(
    session: Session,
    viewer: User | None,
    metric: str,
    start: date | None,
    end: date | None,
    segments: bool,
    location: str | None,
    channel: str | None,
) -> TrendReport:
    """:func:`trend_report` from the roll-up cells (the same periods, tests and attribution)."""
    today = date.today()
    span = trend_cells.span(session, viewer, start=start, end=end, location=location, channel=channel)
    if span is None:
        return TrendReport(metric=metric, start=start or today, end=end or today, series=None, source="rollups")
    first = start or max(span[0], span[1] - timedelta(days=DEFAULT_DAYS - 1))
    last = end or span[1]
    s = Slice(first, last, location=location, channel=channel)
    series, found = trend_cells.detect(session, viewer, s, metric)
    for change in found:
        trend_cells.explain(session, viewer, s, change)
    by_segment = trend_cells.detect_segments(session, viewer, s, metric) if segments else []
    for change in by_segment:
        dimension = change.dimension or ""
        inside = trend_cells.segment_slice(s, change)
        if inside is not None:
            others = tuple(d for d in ("aspect", "location", "channel") if d != dimension)
            trend_cells.explain(session, viewer, inside, change, dimensions=others)
    return TrendReport(
        metric=metric,
        start=first,
        end=last,
        series=series,
        changes=found,
        segment_changes=by_segment,
        items=trend_cells.breakdown_total(session, viewer, s).volume,
        emerging=emerging_in_store(
            session, viewer, last, start=first, location=location, channel=channel, from_cells=True
        ),
        source="rollups",
    )


def _in_segment(row: Observation, dimension: str, segment: str) -> bool:
    if dimension == "aspect":
        return segment in row.aspects
    return str(getattr(row, dimension, None)) == segment
