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

Call ``rollups.ensure_fresh(store)`` before reading when the page must reflect the latest change.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import lru_cache
from typing import Any, Literal

import numpy as np
from sqlalchemy import ColumnElement, Integer, Select, cast, false, func, select, true
from sqlalchemy.orm import Session

from voxpop.errors import ValidationError
from voxpop.measure.metrics import COUNTERS, Metrics, Totals
from voxpop.measure.rollups import ALL_CHANNELS, MONTHLY, PAIR, SUMMED, SUMMED_DIMENSIONS, month_bounds
from voxpop.store.models import User
from voxpop.store.models.measure import DailyCell

Grain = Literal["day", "week", "month"]
#: What a breakdown or a series can be split by.
BY = ("channel", "department", "source", "location", "kind", "product", "segment", "aspect", "aspect_location")
ONE_VALUE = ("source", "kind", "product", "segment")
MAX_DAYS = 3700


@dataclass(frozen=True)
class Slice:
    """Which items count. ``date_to`` is inclusive. ``dimension``/``value`` pick one value of
    source (id), kind, product or segment; ``department_id`` 0 means items with no department."""

    date_from: date
    date_to: date
    channel: str | None = None
    department_id: int | None = None
    location: str | None = None
    aspect: str | None = None
    dimension: str | None = None
    value: str | None = None

    def __post_init__(self) -> None:
        if self.date_to < self.date_from:
            raise ValidationError("the period ends before it starts")
        if (self.date_to - self.date_from).days > MAX_DAYS:
            raise ValidationError(f"the period is longer than {MAX_DAYS} days")
        if (self.dimension is None) != (self.value is None):
            raise ValidationError("a dimension needs a value, and a value a dimension")
        if self.dimension is not None and self.dimension not in ONE_VALUE:
            raise ValidationError(f"dimension must be one of {', '.join(ONE_VALUE)}")
        if self.dimension is not None and (self.location or self.aspect):
            raise ValidationError(f"a {self.dimension} cannot be combined with a location or an aspect")
        if self.aspect and self.location and self.channel:
            raise ValidationError("an aspect at a location is counted over all channels: leave the channel out")

    @property
    def days(self) -> int:
        return (self.date_to - self.date_from).days + 1

    def previous(self) -> Slice:
        """The period of the same length just before this one."""
        return replace(
            self, date_from=self.date_from - timedelta(days=self.days), date_to=self.date_from - timedelta(days=1)
        )

    def base(self) -> tuple[str, str]:
        """The roll-up (dimension, value) whose cells hold exactly this slice's items."""
        if self.aspect and self.location:
            return "aspect_location", f"{self.aspect}{PAIR}{self.location}"
        if self.location:
            return "location", self.location
        if self.aspect:
            return "aspect", self.aspect
        if self.dimension and self.value is not None:
            return self.dimension, self.value
        return "all", ""


@dataclass(frozen=True)
class Point:
    """One step of a time series: the period starting ``start`` (a day, a Monday or a 1st)."""

    start: date
    metrics: Metrics


def _scope(viewer: User | None) -> ColumnElement[bool] | None:
    if viewer is None or viewer.sees_all_departments:
        return None
    ids = viewer.department_ids
    return DailyCell.department_id.in_(ids) if ids else false()


def _where(
    viewer: User | None, s: Slice, dimension: str, value: str | None, days: tuple[date, date] | None = None
) -> list[ColumnElement[bool]]:
    first, last = days or (s.date_from, s.date_to)
    where: list[ColumnElement[bool]] = [
        DailyCell.dimension == dimension,
        DailyCell.day >= first,
        DailyCell.day <= last,
    ]
    if value is not None:
        where.append(DailyCell.value == value)
    if s.channel:
        where.append(DailyCell.channel == s.channel)
    if s.department_id is not None:
        where.append(DailyCell.department_id == s.department_id)
    scope = _scope(viewer)
    if scope is not None:
        where.append(scope)
    return where


def _parts(s: Slice) -> list[tuple[str, tuple[date, date]]]:
    """The period as (cell prefix, day range) parts: whole calendar months from the month cells, the
    days before and after them from the day cells."""
    first_month = s.date_from if s.date_from.day == 1 else month_bounds(s.date_from)[1] + timedelta(days=1)
    last_month = month_bounds(s.date_to)[0]
    if month_bounds(s.date_to)[1] != s.date_to:
        last_month = month_bounds(last_month - timedelta(days=1))[0]
    if first_month > s.date_to or last_month < first_month:
        return [("", (s.date_from, s.date_to))]
    parts: list[tuple[str, tuple[date, date]]] = [(MONTHLY, (first_month, last_month))]
    if s.date_from < first_month:
        parts.append(("", (s.date_from, first_month - timedelta(days=1))))
    end_of_months = month_bounds(last_month)[1]
    if end_of_months < s.date_to:
        parts.append(("", (end_of_months + timedelta(days=1), s.date_to)))
    return parts


#: The counters a sentiment breakdown needs (the heat map, the drivers): summing fewer columns per cell
#: makes the large aspect breakdowns cheaper.
SENTIMENT_COUNTERS = ("volume", "analysed", "positive", "neutral", "negative")


#: Counters that are whole numbers: a month cell minus some of its days gives exactly the other days' sums.
EXACT_COUNTERS = frozenset(name for name in COUNTERS if isinstance(getattr(Totals(), name), int))


def _month_minus_days(parts: list[tuple[str, tuple[date, date]]]) -> list[tuple[str, tuple[date, date], int]]:
    """``parts`` as signed parts that read fewer cells: a stretch of days covering most of a calendar
    month is read as that month's cell *minus* the month's other days (a month cell holds the same keys
    as a day cell, so "Oct 3–31" costs 1 + 2 days of cells instead of 29). Only for sums of whole
    numbers (``EXACT_COUNTERS``): the difference is then exact."""
    signed: list[tuple[str, tuple[date, date], int]] = []
    for prefix, (first, last) in parts:
        if prefix:
            signed.append((prefix, (first, last), 1))
            continue
        day = first
        while day <= last:  # each calendar month's piece of the stretch on its own
            month_first, month_last = month_bounds(day)
            end = min(last, month_last)
            inside = (end - day).days + 1
            outside = (month_last - month_first).days + 1 - inside
            if 1 + outside < inside:
                signed.append((MONTHLY, (month_first, month_first), 1))
                if day > month_first:
                    signed.append(("", (month_first, day - timedelta(days=1)), -1))
                if end < month_last:
                    signed.append(("", (end + timedelta(days=1), month_last), -1))
            else:
                signed.append(("", (day, end), 1))
            day = end + timedelta(days=1)
    return signed


def _sums(group: Sequence[Any], counters: Sequence[str]) -> list[Any]:
    return [*group, *_sum_columns(tuple(counters))]


@lru_cache(maxsize=16)
def _sum_columns(counters: tuple[str, ...]) -> tuple[Any, ...]:
    """``SUM(counter)`` columns, built once: constructing ~20 SQL expressions per query was a visible
    share of a dashboard view's CPU time (the expressions are immutable, so sharing them is safe)."""
    return tuple(func.coalesce(func.sum(getattr(DailyCell, name)), 0).label(name) for name in counters)


def _totals(row: Any, counters: Sequence[str]) -> Totals:
    return Totals(**{name: getattr(row, name) for name in counters})


def _histograms(
    session: Session, group: Sequence[Any], where: Sequence[ColumnElement[bool]]
) -> list[tuple[tuple[Any, ...], int, int]]:
    """The response-time histograms of the cells, merged per group by the database: rows of
    ``(group key, minutes, items)``. The cells' JSON is expanded and summed in SQL (``json_each`` /
    ``jsonb_each_text``), so a long period's thousands of histogram keys are never decoded in Python."""
    if session.get_bind().dialect.name == "postgresql":
        entries = func.jsonb_each_text(DailyCell.response_minutes).table_valued("key", "value").alias("h")
        count: Any = func.sum(cast(entries.c.value, Integer))
    else:
        entries = func.json_each(DailyCell.response_minutes).table_valued("key", "value").alias("h")
        count = func.sum(entries.c.value)
    minutes = entries.c.key
    query = (
        select(*group, minutes, count)
        .select_from(DailyCell)
        .join(entries, true())
        .where(*where, DailyCell.responded > 0)
        .group_by(*group, minutes)
    )
    width = len(group)
    return [(tuple(row[:width]), int(row[width]), int(row[width + 1])) for row in session.execute(query)]


def _histograms_merged_here(
    session: Session, group: Sequence[Any], where: Sequence[ColumnElement[bool]]
) -> list[tuple[tuple[Any, ...], int, int]]:
    """:func:`_histograms` for month cells, merged in Python: rows as few as the months × groups, each
    with up to ~300 (coarse) keys. Summing their keys here costs less than the database's expansion and
    grouping of every key (a year's 84 department × month cells hold ~16,500 keys: ~20 ms of PostgreSQL
    time on the loaded machine, more on SQLite), and gives the same sums."""
    width = len(group)
    merged: dict[tuple[Any, ...], dict[str, int]] = {}
    query = select(*group, DailyCell.response_minutes).where(*where, DailyCell.responded > 0)
    for row in session.execute(query):
        into = merged.setdefault(tuple(row[:width]), {})
        for minutes, count in row[width].items():
            into[minutes] = into.get(minutes, 0) + count
    return [(key, int(minutes), int(count)) for key, hist in merged.items() for minutes, count in hist.items()]


def _wheres(
    viewer: User | None, s: Slice, dimension: str, value: str | None, *, months: bool, group: Sequence[Any] = ()
) -> list[list[ColumnElement[bool]]]:
    """The WHERE clauses that together cover the slice: whole months from the month cells when
    ``months`` (a month cell's day is its month's first), the other days from the day cells. The whole
    store's months come from the cells over all channels (``rollups.ALL_CHANNELS``, one per department)
    when neither the slice nor the ``group`` is about a channel."""
    return [where for where, _ in _signed_wheres(viewer, s, dimension, value, months=months, group=group)]


def _monthly(where: Sequence[ColumnElement[bool]]) -> bool:
    """Whether the clause (from :func:`_where`) reads month cells: its first term is ``dimension == …``."""
    value = getattr(getattr(where[0], "right", None), "value", None)
    return isinstance(value, str) and value.startswith(MONTHLY)


def _signed_wheres(
    viewer: User | None,
    s: Slice,
    dimension: str,
    value: str | None,
    *,
    months: bool,
    group: Sequence[Any] = (),
    subtract: bool = False,
) -> list[tuple[list[ColumnElement[bool]], int]]:
    """``_wheres`` with a sign per clause; with ``subtract``, most of a month's days are read as the month
    minus its other days (``_month_minus_days``: the cells of a clause with sign -1 are taken away)."""
    parts = _parts(s) if months else [("", (s.date_from, s.date_to))]
    signed = _month_minus_days(parts) if months and subtract else [(prefix, days, 1) for prefix, days in parts]
    any_channel = not s.channel and not any(column is DailyCell.channel for column in group)
    return [
        (_where(viewer, s, _cells_of(dimension, prefix, any_channel), value, days), sign)
        for prefix, days, sign in signed
    ]


def _cells_of(dimension: str, prefix: str, any_channel: bool) -> str:
    """The cell dimension that holds ``dimension`` in a part read with ``prefix`` (month or day cells):
    when no channel is asked for, the cells summed over every channel where the roll-ups keep them (the
    whole store's months, ``rollups.ALL_CHANNELS``; the store's, aspects' and locations' days,
    ``rollups.SUMMED``), which are several times fewer."""
    if any_channel and prefix == MONTHLY and dimension == "all":
        return ALL_CHANNELS
    if any_channel and not prefix and dimension in SUMMED_DIMENSIONS:
        return SUMMED + dimension
    return prefix + dimension


def _summed(
    session: Session,
    wheres: Sequence[Sequence[ColumnElement[bool]]],
    group: Sequence[Any],
    counters: Sequence[str],
    signs: Sequence[int] | None = None,
) -> dict[tuple[Any, ...], Totals]:
    """SUM the counters per group over the cells that match any of ``wheres`` (minus those of a clause
    whose sign in ``signs`` is -1; a group left with nothing is dropped)."""
    found: dict[tuple[Any, ...], Totals] = {}
    for where, sign in zip(wheres, signs or [1] * len(wheres), strict=True):
        query: Select[Any] = select(*_sums(group, counters)).where(*where)
        if group:
            query = query.group_by(*group)
        for row in session.execute(query):
            key = tuple(row[: len(group)])
            total = _totals(row, counters)
            if sign < 0:
                total = Totals(**{name: -getattr(total, name) for name in counters})
            if key in found:
                found[key].add(total)
            else:
                found[key] = total
    if signs and min(signs) < 0:
        found = {key: t for key, t in found.items() if any(getattr(t, name) for name in counters)}
    return found


def _merge_histograms(
    session: Session,
    wheres: Sequence[Sequence[ColumnElement[bool]]],
    group: Sequence[Any],
    into: dict[tuple[Any, ...], Totals],
) -> None:
    """Add the cells' merged response-time histograms to ``into[group key]`` (created when missing): month
    cells' merged here (few rows, many keys), day cells' by the database (many rows, few keys each)."""
    for where in wheres:
        merge = _histograms_merged_here if _monthly(where) else _histograms
        for key, minutes, count in merge(session, group, where):
            totals = into.get(key)
            if totals is None:
                totals = into[key] = Totals()
            hist = totals.response_minutes = totals.response_minutes or {}
            hist[minutes] = hist.get(minutes, 0) + count


def _grouped(
    session: Session,
    viewer: User | None,
    s: Slice,
    dimension: str,
    value: str | None,
    group: Sequence[Any],
    *,
    medians: bool,
    counters: Sequence[str] = COUNTERS,
    months: bool | None = None,
) -> dict[tuple[Any, ...], Totals]:
    """SUM the counters per group over the slice (whole months from the month cells unless the group
    is by day and ``months`` is not set); merge the response-time histograms too when asked."""
    if months is None:
        months = not any(column is DailyCell.day for column in group)
    # Month minus days only for whole-number sums without histograms (month histograms are coarser).
    subtract = not medians and EXACT_COUNTERS.issuperset(counters)
    signed = _signed_wheres(viewer, s, dimension, value, months=months, group=group, subtract=subtract)
    found = _summed(session, [where for where, _ in signed], group, counters, [sign for _, sign in signed])
    if medians:
        _merge_histograms(session, [where for where, _ in signed], group, found)
    return found


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
    cells = _summed(session, _wheres(viewer, s, dimension, value, months=True, group=by_channel), by_channel, COUNTERS)
    histograms: dict[tuple[Any, ...], Totals] = {}
    if medians:
        wheres = _wheres(viewer, s, dimension, value, months=True, group=(DailyCell.department_id,))
        _merge_histograms(session, wheres, (DailyCell.department_id,), histograms)
    return Cube(
        cells={(int(d), str(c)): t for (d, c), t in cells.items()},
        histograms={int(d): t.response_minutes or {} for (d,), t in histograms.items()},
    )


def summary(session: Session, viewer: User | None, s: Slice, *, min_n: int = 10, medians: bool = True) -> Metrics:
    """The metrics of the whole slice."""
    dimension, value = s.base()
    found = _grouped(session, viewer, s, dimension, value, (), medians=medians)
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
    found = _grouped(session, viewer, s, dimension, value, (column,), medians=medians, counters=counters)
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
    found = _grouped(
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
    found = _grouped(
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
    columns = _sum_columns(tuple(counters))
    for where, sign in _signed_wheres(viewer, s, dimension, value, months=False, group=(column, DailyCell.day)):
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
