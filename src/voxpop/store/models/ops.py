"""Running the pipeline: what each stage did (for /metrics and ``voxpop status``) and the batches that
failed every retry, parked with their error until someone retries them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from voxpop.store.models.core import Base
from voxpop.store.types import BigIntId, Json, UtcDateTime, utcnow


class StageStat(Base):
    """Per stage and minute: batches and items done, errors and seconds spent — summed by every process."""

    __tablename__ = "stage_stats"
    __table_args__ = (UniqueConstraint("stage", "minute"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    stage: Mapped[str] = mapped_column(String(50))
    minute: Mapped[datetime] = mapped_column(UtcDateTime)
    batches: Mapped[int] = mapped_column(Integer, default=0)
    items: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    seconds: Mapped[float] = mapped_column(Float, default=0.0)


class TaskFailure(Base):
    """A batch of one item that failed a stage on every retry ("poison"): parked, shown in the UI and in
    ``voxpop failures``, and sent through the pipeline again by hand once the cause is fixed."""

    __tablename__ = "task_failures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    stage: Mapped[str] = mapped_column(String(50))
    ids: Mapped[list[int]] = mapped_column(Json)
    rest: Mapped[list[str]] = mapped_column(Json, default=list)
    error: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    retried_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
