"""Insight's own tables: events on the timeline, the journey map, imported business metrics, personas."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from voxpop.store.models.core import Base
from voxpop.store.types import BigIntId, Json, UtcDateTime, utcnow


class Event(Base):
    """Something the business did that customers may react to: a campaign, a policy or price change,
    a launch. Shown on every trend; measured before/after by ``measure.events``."""

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_starts_on", "starts_on"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20), default="other")
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    location: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class JourneyMapDefinition(Base):
    """The business's journey map: stages, their touchpoints and the aspects that place items on them.

    One row per map name; ``definition`` is ``{"stages": [{"name", "touchpoints": [{"name", "aspects"}]}]}``.
    """

    __tablename__ = "journey_maps"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    definition: Mapped[dict[str, Any]] = mapped_column(Json)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class BusinessMetric(Base):
    """One imported business figure: a metric's value for a period, overall or per location or customer."""

    __tablename__ = "business_metrics"
    __table_args__ = (
        UniqueConstraint("metric", "period", "location", "customer_ref"),
        Index("ix_business_metrics_period", "period"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    metric: Mapped[str] = mapped_column(String(50))
    period: Mapped[date] = mapped_column(Date, doc="The first day of the period the value is for.")
    value: Mapped[float] = mapped_column(Float)
    location: Mapped[str] = mapped_column(String(200), default="", doc="'' when the value is for all locations.")
    customer_ref: Mapped[str] = mapped_column(String(200), default="", doc="'' when not per customer.")
    imported_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class PersonaRun(Base):
    """The personas last computed for one department scope (``measure.personas.refresh``), so that the
    page shows them without clustering on every view. ``scope`` is ``"all"`` or ``"d:1,3"`` (the
    department ids a viewer sees); ``data_version`` is the roll-ups' version token they were computed
    under (``measure.cache.current``); ``result`` is the serialised ``PersonaResult``."""

    __tablename__ = "persona_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scope: Mapped[str] = mapped_column(String(200), unique=True)
    data_version: Mapped[str | None] = mapped_column(String(64))
    computed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    period_start: Mapped[date | None] = mapped_column(Date)
    period_end: Mapped[date | None] = mapped_column(Date)
    seconds: Mapped[float] = mapped_column(Float, default=0.0)
    result: Mapped[dict[str, Any]] = mapped_column(Json)
