"""The roll-ups' month cells: a calendar month's day cells summed into one cell per key (dimension
``MONTHLY + dimension``, ``day`` = the month's first day), plus the month × department cells over every
channel (``ALL_CHANNELS``), so a year is read as 12 rows per key instead of 365.

``rollups`` recomputes a month after recomputing any of its days; the readers (``cell_reads``) split a
period into whole months and the days around them with :func:`month_bounds`. Kept apart from the day
cells because a month is computed from the stored day cells alone, never from ``items``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from voxpop.measure.cache import bump
from voxpop.measure.cell_dimensions import ALL_CHANNELS, DIMENSIONS, MONTH_DIMENSIONS, MONTHLY
from voxpop.measure.metrics import COUNTERS
from voxpop.store.models.measure import DailyCell


def month_bounds(day: date) -> tuple[date, date]:
    """The first and last day of the day's month."""
    first = day.replace(day=1)
    return first, (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


#: Response-time histogram resolution in month cells: exact minutes below ``EXACT_MINUTES``, then
#: ``COARSE_MINUTES``-wide buckets up to a day, then hour-wide buckets. A bucket is kept under its
#: middle minute, so a median read from month cells is within 5 minutes of the exact one up to a day and
#: within 30 minutes past it (day cells stay exact). A month cell then holds at most ~300 keys instead
#: of one per distinct minute (up to 2,880 for two days), which is what a year's KPIs spent their time
#: parsing.
EXACT_MINUTES = 120
COARSE_MINUTES = 10
DAY_MINUTES = 1440


def coarse_minutes(minutes: int) -> int:
    """The histogram key a response time is kept under in month cells (idempotent)."""
    if minutes < EXACT_MINUTES:
        return minutes
    width = COARSE_MINUTES if minutes < DAY_MINUTES else 60
    return minutes - minutes % width + width // 2


def recompute_month(session: Session, month: date) -> None:
    """Replace a month's cells with the sum of its day cells (SQL sums; histograms merged here, with
    coarser buckets past two hours: see ``coarse_minutes``)."""
    first, last = month_bounds(month)
    session.execute(delete(DailyCell).where(DailyCell.dimension.in_(MONTH_DIMENSIONS), DailyCell.day == first))
    key = (DailyCell.dimension, DailyCell.department_id, DailyCell.channel, DailyCell.value)
    where = (DailyCell.dimension.in_(DIMENSIONS), DailyCell.day >= first, DailyCell.day <= last)
    sums = [func.sum(getattr(DailyCell, name)).label(name) for name in COUNTERS]
    histograms: dict[tuple[Any, ...], dict[str, int]] = {}
    for row in session.execute(select(*key, DailyCell.response_minutes).where(*where, DailyCell.responded > 0)):
        merged = histograms.setdefault(tuple(row[:4]), {})
        for minutes, count in row[4].items():
            kept_as = str(coarse_minutes(int(minutes)))
            merged[kept_as] = merged.get(kept_as, 0) + int(count)
    rows = [
        {
            "dimension": MONTHLY + row[0],
            "day": first,
            "department_id": row[1],
            "channel": row[2],
            "value": row[3],
            **{name: getattr(row, name) for name in COUNTERS},
            "response_minutes": histograms.get(tuple(row[:4]), {}),
        }
        for row in session.execute(select(*key, *sums).where(*where).group_by(*key))
    ]
    rows.extend(collapse_channels(rows))
    rows.sort(key=lambda row: (row["dimension"], row["department_id"], row["channel"], row["value"]))
    if rows:
        session.execute(insert(DailyCell), rows)
    bump(session)


def collapse_channels(month_rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The :data:`ALL_CHANNELS` cells of a month: its ``m:all`` cells summed per department."""
    collapsed: dict[int, dict[str, Any]] = {}
    for row in month_rows:
        if row["dimension"] != MONTHLY + "all":
            continue
        into = collapsed.get(row["department_id"])
        if into is None:
            collapsed[row["department_id"]] = {
                **row,
                "dimension": ALL_CHANNELS,
                "channel": "",
                "value": "",
                "response_minutes": dict(row["response_minutes"]),
            }
            continue
        for name in COUNTERS:
            into[name] += row[name]
        histogram = into["response_minutes"]
        for minutes, count in row["response_minutes"].items():
            histogram[minutes] = histogram.get(minutes, 0) + count
    return list(collapsed.values())
