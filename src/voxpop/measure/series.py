"""Metrics for any slice, breakdowns by any dimension, and time series — all read from the roll-ups.

A :class:`Slice` says which items count: a period (whole UTC days) and, optionally, a channel, a
department, a location, an aspect, or one value of another dimension. The viewer's department scoping
is applied here (agents see their departments' numbers only), the same rule as ``act.inbox.visible_to``.

    from voxpop.measure.series import Slice, summary, breakdown, series
    s = Slice(date(2025, 1, 1), date(2025, 1, 31), location="Leeds")
    summary(db, viewer, s).nps.value                 # one Metrics
    breakdown(db, viewer, s, "aspect")               # {"cleanliness": Metrics, ...}
    series(db, viewer, s, grain="week")              # [Point(start, Metrics), ...]
    series_by(db, viewer, s, "location", grain="day")  # {"Leeds": [Point...], ...}

This module is the public API: import :class:`Slice` and ``MAX_DAYS`` from here too (they live in
``measure.slices``). How the cells are read — which month and day cells cover a period, the SQL sums,
the histogram merges — is in ``measure.cell_reads``.

Call ``rollups.ensure_fresh(store)`` before reading when the page must reflect the latest change.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from voxpop.errors import ValidationError
from voxpop.measure import cell_reads
from voxpop.measure.cell_dimensions import PAIR
from voxpop.measure.metrics import COUNTERS, Metrics, Totals
from voxpop.measure.slices import MAX_DAYS, Slice
from voxpop.store.models import User
from voxpop.store.models.measure import DailyCell

__all__ = [
    "BY",
    "MAX_DAYS",
    "SENTIMENT_COUNTERS",
    "TREND_COUNTERS",
    "Cube",
    "Grain",
    "Point",
    "Slice",
    "breakdown",
    "bucket",
    "buckets",
    "cube",
    "day_arrays",
    "series",
    "series_by",
    "summary",
]

Grain = Literal["day", "week", "month"]
#: What a breakdown or a series can be split by.
BY = ("channel", "department", "source", "location", "kind", "product", "segment", "aspect", "aspect_location")


@dataclass(frozen=True)
class Point:
    """One step of a time series: the period starting ``start`` (a day, a Monday or a 1st)."""

    start: date
    metrics: Metrics


#: The counters a sentiment breakdown needs (the heat map, the drivers): summing fewer columns per cell
#: makes the large aspect breakdowns cheaper.
SENTIMENT_COUNTERS = ("volume", "analysed", "positive", "neutral", "negative")


@dataclass
class Cube:
    """A slice's totals per (department id, channel), with the response-time histograms per
    department: the KPIs, the platforms and the departments tables from one scan of the cells."""

    cells: dict[tuple[int, str], Totals]
    histograms: dict[int, dict[int, int]]

    def total(self) -> Totals:
        found = Totals()
        for totals in self.cells.values():
            found.add(totals)
        found.response_minutes = _merged(self.histograms.values())
        return found

    def by_channel(self) -> dict[str, Totals]:
        found: dict[str, Totals] = {}
        for (_, channel), totals in self.cells.items():
            found.setdefault(channel, Totals()).add(totals)
        return found

    def by_department(self) -> dict[int, Totals]:
        found: dict[int, Totals] = {}
        for (department, _), totals in self.cells.items():
            found.setdefault(department, Totals()).add(totals)
        for department, histogram in self.histograms.items():
            found.setdefault(department, Totals()).response_minutes = dict(histogram)
        return found


def _merged(histograms: Any) -> dict[int, int] | None:
    merged: dict[int, int] = {}
    for histogram in histograms:
        for minutes, count in histogram.items():
            merged[minutes] = merged.get(minutes, 0) + count
    return merged or None


def cube(session: Session, viewer: User | None, s: Slice, *, medians: bool = True) -> Cube:
    """The slice's :class:`Cube` (two queries per part of the period: the sums, the histograms)."""
    dimension, value = s.base()
    by_channel = (DailyCell.department_id, DailyCell.channel)
    cells = cell_reads.summed(
        session, cell_reads.wheres(viewer, s, dimension, value, months=True, group=by_channel), by_channel, COUNTERS
    )
    histograms: dict[tuple[Any, ...], Totals] = {}
    if medians:
        wheres = cell_reads.wheres(viewer, s, dimension, value, months=True, group=(DailyCell.department_id,))
        cell_reads.merge_histograms(session, wheres, (DailyCell.department_id,), histograms)
    return Cube(
        cells={(int(d), str(c)): t for (d, c), t in cells.items()},
        histograms={int(d): t.response_minutes or {} for (d,), t in histograms.items()},
    )


def summary(session: Session, viewer: User | None, s: Slice, *, min_n: int = 10, medians: bool = True) -> Metrics:
    """The metrics of the whole slice."""
    dimension, value = s.base()
    found = cell_reads.grouped_totals(session, viewer, s, dimension, value, (), medians=medians)
    return Metrics(found.get((), Totals()), min_n)


def _split(s: Slice, by: str) -> tuple[str, str | None, Any, Any]:
    """(cell dimension, cell value or None, the SQL group column, how to turn a group into a label)."""
    dimension, value = s.base()
    crosses = by == "aspect_location" or {by, dimension} == {"aspect", "location"}
    if crosses and s.channel:
        raise ValidationError("aspects × locations are counted over all channels: leave the channel out")
    if by == "channel":
        return dimension, value, DailyCell.channel, str
    if by == "department":
        return dimension, value, DailyCell.department_id, int
    if by not in BY:
        raise ValidationError(f"cannot break down by {by!r}; choose one of {', '.join(BY)}")
    if dimension == "all":
        return by, None, DailyCell.value, str
    if by == "aspect" and dimension == "location":
        return "aspect_location", None, DailyCell.value, ("suffix", s.location)
    if by == "location" and dimension == "aspect":
        return "aspect_location", None, DailyCell.value, ("prefix", s.aspect)
    if by == dimension:
        return dimension, value, DailyCell.value, str
    raise ValidationError(f"the roll-ups do not split a {dimension} slice by {by}")


def _label(raw: Any, how: Any) -> Any:
    """The label of a group, or None when the group is outside the slice (aspect × location pairs)."""
    if not isinstance(how, tuple):
        return how(raw)
    side, wanted = how
    aspect, _, location = str(raw).partition(PAIR)
    if side == "suffix":
        return aspect if location == wanted else None
    return location if aspect == wanted else None


def breakdown(
    session: Session,
    viewer: User | None,
    s: Slice,
    by: str,
    *,
    min_n: int = 10,
    medians: bool = False,
    sentiment_only: bool = False,
) -> dict[Any, Metrics]:
    """The slice's metrics per value of ``by`` (department ids are ints, 0 = no department; for
    ``aspect_location`` the keys are ``(aspect, location)`` pairs). Largest volume first.
    ``sentiment_only`` sums only volume and the sentiment counts (the other metrics read as empty)."""
    dimension, value, column, how = _split(s, by)
    counters = SENTIMENT_COUNTERS if sentiment_only else COUNTERS
    found = cell_reads.grouped_totals(
        session, viewer, s, dimension, value, (column,), medians=medians, counters=counters
    )
    result: dict[Any, Metrics] = {}
    for (raw,), totals in sorted(found.items(), key=lambda kv: -kv[1].volume):
        if by == "aspect_location" and not isinstance(how, tuple):
            aspect, _, location = str(raw).partition(PAIR)
            result[(aspect, location)] = Metrics(totals, min_n)
            continue
        label = _label(raw, how)
        if label is not None:
            result[label] = Metrics(totals, min_n)
    return result


def bucket(day: date, grain: Grain) -> date:
    """The first day of the day's week (Monday) or month."""
    if grain == "week":
        return day - timedelta(days=day.weekday())
    if grain == "month":
        return day.replace(day=1)
    return day


def buckets(s: Slice, grain: Grain) -> list[date]:
    """Every bucket start of the period, in order (empty ones included)."""
    starts: list[date] = []
    day = s.date_from
    while day <= s.date_to:
        start = bucket(day, grain)
        if not starts or starts[-1] != start:
            starts.append(start)
        day += timedelta(days=1)
    return starts


def _check_grain(grain: str) -> Grain:
    if grain not in ("day", "week", "month"):
        raise ValidationError("grain must be day, week or month")
    return grain  # type: ignore[return-value]


#: The counters the dashboard page's trend shows (volume, sentiment index, rating, NPS) — and the
#: change-point test reads (share negative, rating, volume).
TREND_COUNTERS = (
    "volume",
    "analysed",
    "positive",
    "neutral",
    "negative",
    "rated",
    "rating_sum",
    "rating_sq",
    "nps_n",
    "promoters",
    "detractors",
)


def series(
    session: Session,
    viewer: User | None,
    s: Slice,
    *,
    grain: str = "day",
    min_n: int = 10,
    medians: bool = False,
    counters: Sequence[str] = COUNTERS,
) -> list[Point]:
    """The slice's metrics per day, week or month, empty periods included (by month: whole months
    from the month cells). ``counters`` limits the sums to what the caller shows (the others read 0):
    each summed column costs the database a step per cell, and a year's trend reads ~20,000 day cells."""
    step = _check_grain(grain)
    dimension, value = s.base()
    found = cell_reads.grouped_totals(
        session,
        viewer,
        s,
        dimension,
        value,
        (DailyCell.day,),
        medians=medians,
        counters=counters,
        months=step == "month",
    )
    merged: dict[date, Totals] = {start: Totals() for start in buckets(s, step)}
    for (day,), totals in found.items():
        merged[bucket(day, step)].add(totals)
    return [Point(start, Metrics(totals, min_n)) for start, totals in merged.items()]


def series_by(
    session: Session,
    viewer: User | None,
    s: Slice,
    by: str,
    *,
    grain: str = "day",
    min_n: int = 10,
    medians: bool = False,
    values: Sequence[Any] | None = None,
    counters: Sequence[str] = COUNTERS,
) -> dict[Any, list[Point]]:
    """A series per value of ``by`` (only ``values`` when given), each with every period of the slice, from
    one grouped read of the dimension's cells; ``counters`` limits the sums as in :func:`series`."""
    step = _check_grain(grain)
    dimension, value, column, how = _split(s, by)
    found = cell_reads.grouped_totals(
        session,
        viewer,
        s,
        dimension,
        value,
        (column, DailyCell.day),
        medians=medians,
        counters=counters,
        months=step == "month",
    )
    starts = buckets(s, step)
    result: dict[Any, dict[date, Totals]] = {}
    for (raw, day), totals in found.items():
        if by == "aspect_location" and not isinstance(how, tuple):
            aspect, _, location = str(raw).partition(PAIR)
            label: Any = (aspect, location)
        else:
            label = _label(raw, how)
        if label is None or (values is not None and label not in values):
            continue
        per = result.get(label)
        if per is None:  # a label's empty periods are built once, not for each of its cells
            per = result[label] = {start: Totals() for start in starts}
        per[bucket(day, step)].add(totals)
    return {label: [Point(d, Metrics(t, min_n)) for d, t in per.items()] for label, per in result.items()}


def day_arrays(
    session: Session, viewer: User | None, s: Slice, by: str, counters: Sequence[str]
) -> dict[Any, np.ndarray]:
    """Per value of ``by``, its daily sums of ``counters`` over the slice as one array (days × counters,
    in ``counters`` order): :func:`series_by` by day without a ``Totals`` and a ``Metrics`` per cell, for
    the change tests over every segment (thousands of cells a view). A value with no cell is left out."""
    dimension, value, column, how = _split(s, by)
    found: dict[Any, np.ndarray] = {}
    columns = cell_reads.sum_columns(tuple(counters))
    for where, sign in cell_reads.signed_wheres(
        viewer, s, dimension, value, months=False, group=(column, DailyCell.day)
    ):
        rows = session.execute(select(column, DailyCell.day, *columns).where(*where).group_by(column, DailyCell.day))
        for raw, day, *sums in rows:
            label = _label(raw, how)
            if label is None:
                continue
            into = found.get(label)
            if into is None:
                into = found[label] = np.zeros((s.days, len(counters)))
            into[(day - s.date_from).days] += sign * np.asarray(sums, dtype=float)
    return found
