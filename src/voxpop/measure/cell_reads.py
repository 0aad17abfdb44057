"""How a slice's numbers are read from the roll-up cells (``measure.rollups``): the SQL under
``measure.series``.

A slice's period is split into parts (:func:`period_parts`): whole calendar months from the month cells,
the days around them from the day cells; with whole-number sums most of a month's days are read as the
month minus its other days (:func:`month_minus_days`). Each part becomes one WHERE clause
(:func:`signed_wheres`), on the cells summed over every channel when no channel is asked for, scoped to
the viewer's departments. :func:`grouped_totals` sums the counters per group over those clauses
(:func:`summed`) and merges the response-time histograms (:func:`merge_histograms`).

Kept apart from ``measure.series`` (the public API everyone imports: slices, breakdowns, series) so that
each stays readable; ``measure.competitors`` reads cells the public API has no call for through
:func:`grouped_totals`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, Integer, Select, cast, false, func, select, true
from sqlalchemy.orm import Session

from voxpop.measure.cell_dimensions import ALL_CHANNELS, MONTHLY, SUMMED, SUMMED_DIMENSIONS
from voxpop.measure.metrics import COUNTERS, Totals
from voxpop.measure.month_cells import month_bounds
from voxpop.measure.slices import Slice
from voxpop.store.models import User
from voxpop.store.models.measure import DailyCell


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


def period_parts(s: Slice) -> list[tuple[str, tuple[date, date]]]:
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


#: Counters that are whole numbers: a month cell minus some of its days gives exactly the other days' sums.
EXACT_COUNTERS = frozenset(name for name in COUNTERS if isinstance(getattr(Totals(), name), int))


def month_minus_days(parts: list[tuple[str, tuple[date, date]]]) -> list[tuple[str, tuple[date, date], int]]:
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
    return [*group, *sum_columns(tuple(counters))]


@lru_cache(maxsize=16)
def sum_columns(counters: tuple[str, ...]) -> tuple[Any, ...]:
    """``SUM(counter)`` columns, built once: constructing ~20 SQL expressions per query was a visible
    share of a dashboard view's CPU time (the expressions are immutable, so sharing them is safe)."""
    return tuple(func.coalesce(func.sum(getattr(DailyCell, name)), 0).label(name) for name in counters)


def _totals(row: Any, counters: Sequence[str]) -> Totals:
    return Totals(**{name: getattr(row, name) for name in counters})


def histograms(
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


def histograms_merged_here(
    session: Session, group: Sequence[Any], where: Sequence[ColumnElement[bool]]
) -> list[tuple[tuple[Any, ...], int, int]]:
    """:func:`histograms` for month cells, merged in Python: rows as few as the months × groups, each
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


def wheres(
    viewer: User | None, s: Slice, dimension: str, value: str | None, *, months: bool, group: Sequence[Any] = ()
) -> list[list[ColumnElement[bool]]]:
    """The WHERE clauses that together cover the slice: whole months from the month cells when
    ``months`` (a month cell's day is its month's first), the other days from the day cells. The whole
    store's months come from the cells over all channels (``cell_dimensions.ALL_CHANNELS``, one per
    department) when neither the slice nor the ``group`` is about a channel."""
    return [where for where, _ in signed_wheres(viewer, s, dimension, value, months=months, group=group)]


def reads_month_cells(where: Sequence[ColumnElement[bool]]) -> bool:
    """Whether the clause (from :func:`_where`) reads month cells: its first term is ``dimension == …``."""
    value = getattr(getattr(where[0], "right", None), "value", None)
    return isinstance(value, str) and value.startswith(MONTHLY)


def signed_wheres(
    viewer: User | None,
    s: Slice,
    dimension: str,
    value: str | None,
    *,
    months: bool,
    group: Sequence[Any] = (),
    subtract: bool = False,
) -> list[tuple[list[ColumnElement[bool]], int]]:
    """``wheres`` with a sign per clause; with ``subtract``, most of a month's days are read as the month
    minus its other days (``month_minus_days``: the cells of a clause with sign -1 are taken away)."""
    parts = period_parts(s) if months else [("", (s.date_from, s.date_to))]
    signed = month_minus_days(parts) if months and subtract else [(prefix, days, 1) for prefix, days in parts]
    any_channel = not s.channel and not any(column is DailyCell.channel for column in group)
    return [
        (_where(viewer, s, _cells_of(dimension, prefix, any_channel), value, days), sign)
        for prefix, days, sign in signed
    ]


def _cells_of(dimension: str, prefix: str, any_channel: bool) -> str:
    """The cell dimension that holds ``dimension`` in a part read with ``prefix`` (month or day cells):
    when no channel is asked for, the cells summed over every channel where the roll-ups keep them (the
    whole store's months, ``cell_dimensions.ALL_CHANNELS``; the store's, aspects' and locations' days,
    ``cell_dimensions.SUMMED``), which are several times fewer."""
    if any_channel and prefix == MONTHLY and dimension == "all":
        return ALL_CHANNELS
    if any_channel and not prefix and dimension in SUMMED_DIMENSIONS:
        return SUMMED + dimension
    return prefix + dimension


def summed(
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


def merge_histograms(
    session: Session,
    wheres: Sequence[Sequence[ColumnElement[bool]]],
    group: Sequence[Any],
    into: dict[tuple[Any, ...], Totals],
) -> None:
    """Add the cells' merged response-time histograms to ``into[group key]`` (created when missing): month
    cells' merged here (few rows, many keys), day cells' by the database (many rows, few keys each)."""
    for where in wheres:
        merge = histograms_merged_here if reads_month_cells(where) else histograms
        for key, minutes, count in merge(session, group, where):
            totals = into.get(key)
            if totals is None:
                totals = into[key] = Totals()
            hist = totals.response_minutes = totals.response_minutes or {}
            hist[minutes] = hist.get(minutes, 0) + count


def grouped_totals(
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
    is by day and ``months`` is not set); merge the response-time histograms too when asked.

    The cells read are those of ``dimension`` (``"all"``, ``"aspect"``, ``"aspect_source"``…; with
    ``value``, only that value's), within the slice's channel and department and the viewer's departments;
    ``group`` is the columns of ``DailyCell`` to group by (none: one total, keyed ``()``). Returns the
    totals per group key, with only ``counters`` summed (the others 0) and the histograms when
    ``medians``. A group with no cell is absent."""
    if months is None:
        months = not any(column is DailyCell.day for column in group)
    # Month minus days only for whole-number sums without histograms (month histograms are coarser).
    subtract = not medians and EXACT_COUNTERS.issuperset(counters)
    signed = signed_wheres(viewer, s, dimension, value, months=months, group=group, subtract=subtract)
    found = summed(session, [where for where, _ in signed], group, counters, [sign for _, sign in signed])
    if medians:
        merge_histograms(session, [where for where, _ in signed], group, found)
    return found
