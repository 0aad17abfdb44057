"""The measure area's tables: daily roll-ups behind the dashboard, and scheduled reports.

``measure_daily`` holds one row per (dimension, day, department, channel, value) with additive counts
and sums, so any period, department set and channel is a SUM over a few rows instead of a scan of
``items``. A day is always recomputed whole from ``items`` (never "+1"), so recomputing twice gives the
same rows. ``measure_dirty`` is the queue of days to recompute: triggers on ``items`` append to it on
every insert, update and delete (migration 0006), so the numbers follow the items even when the code
that changed them never called the roll-ups. ``measure_days`` records when each day was computed and
the next moment one of its open items passes its SLA deadline (the day is recomputed then).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from voxpop.store.models.core import Base
from voxpop.store.types import BigIntId, Json, UtcDateTime, utcnow


class DailyCell(Base):
    """Additive counts of one (dimension, value) on one day, for one department and one channel.

    ``department_id`` 0 means "no department"; ``dimension`` "all" has the value "". Response times are
    a sparse histogram ``{minutes: items}`` so medians can be taken over any set of cells.
    """

    __tablename__ = "measure_daily"
    __table_args__ = (
        UniqueConstraint("dimension", "day", "department_id", "channel", "value"),
        Index("ix_measure_daily_dimension_value_day", "dimension", "value", "day"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    dimension: Mapped[str] = mapped_column(String(20))
    day: Mapped[date] = mapped_column(Date)
    department_id: Mapped[int] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(50))
    value: Mapped[str] = mapped_column(String(420))
    volume: Mapped[int] = mapped_column(Integer, default=0)
    rated: Mapped[int] = mapped_column(Integer, default=0)
    rating_sum: Mapped[float] = mapped_column(Float, default=0.0)
    rating_sq: Mapped[float] = mapped_column(Float, default=0.0)
    analysed: Mapped[int] = mapped_column(Integer, default=0)
    positive: Mapped[int] = mapped_column(Integer, default=0)
    neutral: Mapped[int] = mapped_column(Integer, default=0)
    negative: Mapped[int] = mapped_column(Integer, default=0)
    nps_n: Mapped[int] = mapped_column(Integer, default=0)
    promoters: Mapped[int] = mapped_column(Integer, default=0)
    detractors: Mapped[int] = mapped_column(Integer, default=0)
    csat_n: Mapped[int] = mapped_column(Integer, default=0)
    csat_top: Mapped[int] = mapped_column(Integer, default=0)
    ces_n: Mapped[int] = mapped_column(Integer, default=0)
    ces_sum: Mapped[float] = mapped_column(Float, default=0.0)
    ces_sq: Mapped[float] = mapped_column(Float, default=0.0)
    answerable: Mapped[int] = mapped_column(Integer, default=0)
    responded: Mapped[int] = mapped_column(Integer, default=0)
    response_minutes: Mapped[dict[str, int]] = mapped_column(Json, default=dict)
    sla_n: Mapped[int] = mapped_column(Integer, default=0)
    sla_breached: Mapped[int] = mapped_column(Integer, default=0)


class RollupDay(Base):
    """When a day's cells were computed, and when the next of its open items passes its deadline."""

    __tablename__ = "measure_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    computed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    next_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)


class DirtyDay(Base):
    """A day whose cells must be recomputed (appended by triggers on ``items``; consumed by roll-ups)."""

    __tablename__ = "measure_dirty"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    day: Mapped[date] = mapped_column(Date, index=True)


class RollupVersion(Base):
    """One row whose ``version`` changes (a random token) with every change of the roll-up cells, so a
    result computed from them can be cached until they change (``measure.cache``)."""

    __tablename__ = "measure_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[str] = mapped_column(String(32))


class ReportSchedule(Base):
    """A report mailed to ``recipients`` every ``period`` (week or month), optionally for one department."""

    __tablename__ = "report_schedules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    recipients: Mapped[list[str]] = mapped_column(Json, default=list)
    period: Mapped[str] = mapped_column(String(10), default="week")
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id", ondelete="CASCADE"))
    next_run_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    last_sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(String(1000))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
