"""The store's core tables. The feedback item is the centre: every channel lands in ``items``.

Schema changes go through Alembic (``store/migrations``); these models and the migrations must agree,
which ``tests/store/test_migrations.py`` checks on SQLite and PostgreSQL.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from voxpop.store.types import BigIntId, Json, UtcDateTime, utcnow

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Role(enum.StrEnum):
    admin = "admin"  # everything, including users and settings
    manager = "manager"  # every department's items, rules, templates, reports
    agent = "agent"  # only the items of their own departments
    viewer = "viewer"  # read-only, every department


class ItemKind(enum.StrEnum):
    review = "review"
    mention = "mention"  # social media
    survey = "survey"  # a survey answer
    ticket = "ticket"  # support ticket / e-mail
    feedback = "feedback"  # website widget or form
    note = "note"  # staff note
    idea = "idea"  # idea board


class ItemStatus(enum.StrEnum):
    new = "new"
    assigned = "assigned"
    waiting = "waiting"
    responded = "responded"
    resolved = "resolved"
    ignored = "ignored"
    spam = "spam"


user_departments = Table(
    "user_departments",
    Base.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("department_id", ForeignKey("departments.id", ondelete="CASCADE"), primary_key=True),
)


class Department(Base):
    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    email: Mapped[str | None] = mapped_column(String(320))
    sla_hours: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20), default=Role.agent.value)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    departments: Mapped[list[Department]] = relationship(secondary=user_departments, lazy="selectin")

    @property
    def sees_all_departments(self) -> bool:
        return self.role != Role.agent.value

    @property
    def department_ids(self) -> list[int]:
        return [d.id for d in self.departments]


class WebSession(Base):
    """A logged-in browser. Only a hash of the cookie's token is stored."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(300))

    user: Mapped[User] = relationship(lazy="joined")


class ApiToken(Base):
    """A bearer token for the REST API. Shown once at creation; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[list[str]] = mapped_column(Json, default=list)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    user: Mapped[User] = relationship(lazy="joined")


class Source(Base):
    """Where items come from: an import, a feed, an API account, the widget, staff notes…"""

    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(50), default="file")
    channel: Mapped[str] = mapped_column(String(50), default="other")
    config: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    is_competitor: Mapped[bool] = mapped_column(Boolean, default=False)
    competitor: Mapped[str | None] = mapped_column(String(200))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    last_success_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Customer(Base):
    __tablename__ = "customers"
    __table_args__ = (UniqueConstraint("email"), UniqueConstraint("external_ref"))

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    email: Mapped[str | None] = mapped_column(String(320))
    external_ref: Mapped[str | None] = mapped_column(String(200))
    name: Mapped[str | None] = mapped_column(String(200))
    handles: Mapped[dict[str, str]] = mapped_column(Json, default=dict)
    attributes: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    unsubscribed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Item(Base):
    """One piece of feedback: a review, social mention, survey answer, ticket, form post or note."""

    __tablename__ = "items"
    __table_args__ = (
        # Idempotent imports: the same record from the same source is stored once. ``dedup_key`` is
        # "id:<external id>" when the source has ids, else "sha:<content hash>".
        UniqueConstraint("source_id", "dedup_key"),
        Index("ix_items_created", "created_at", "id"),
        Index("ix_items_channel_created", "channel", "created_at", "id"),
        Index("ix_items_source_created", "source_id", "created_at", "id"),
        Index("ix_items_status_created", "status", "created_at", "id"),
        Index("ix_items_department_created", "department_id", "created_at", "id"),
        # Routing and workflow (migration 0003): the inbox's urgency order and the SLA clock.
        Index("ix_items_urgency", "urgency", "id"),
        Index("ix_items_due_at", "due_at"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="RESTRICT"))
    dedup_key: Mapped[str] = mapped_column(String(200))
    external_id: Mapped[str | None] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20), default=ItemKind.review.value)
    channel: Mapped[str] = mapped_column(String(50))
    url: Mapped[str | None] = mapped_column(String(2000))
    author_name: Mapped[str | None] = mapped_column(String(200))
    author_handle: Mapped[str | None] = mapped_column(String(200))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"), index=True)
    title: Mapped[str | None] = mapped_column(String(500))
    text: Mapped[str] = mapped_column(Text, default="")
    rating_raw: Mapped[float | None] = mapped_column(Float)
    rating_min: Mapped[float | None] = mapped_column(Float)
    rating_max: Mapped[float | None] = mapped_column(Float)
    rating: Mapped[float | None] = mapped_column(Float, doc="Normalised to 0–1 from the original scale.")
    language: Mapped[str | None] = mapped_column(String(8))
    location: Mapped[str | None] = mapped_column(String(200), index=True)
    product: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ingested_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    reach_followers: Mapped[int | None] = mapped_column(Integer)
    reach_likes: Mapped[int | None] = mapped_column(Integer)
    reach_shares: Mapped[int | None] = mapped_column(Integer)
    raw: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)

    # Analysis, filled by voxpop.analyze.
    sentiment: Mapped[str | None] = mapped_column(String(10))
    sentiment_score: Mapped[float | None] = mapped_column(Float)
    sentiment_confidence: Mapped[float | None] = mapped_column(Float)
    aspects: Mapped[list[dict[str, Any]] | None] = mapped_column(Json)
    topics: Mapped[list[str] | None] = mapped_column(Json)
    is_question: Mapped[bool | None] = mapped_column(Boolean)
    urgency: Mapped[float | None] = mapped_column(Float)
    authenticity_risk: Mapped[float | None] = mapped_column(Float)
    analysis: Mapped[dict[str, Any] | None] = mapped_column(Json, doc="Evidence and extra enricher output.")
    analyzed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    # Workflow, used by voxpop.act.
    status: Mapped[str] = mapped_column(String(20), default=ItemStatus.new.value)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id", ondelete="SET NULL"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    due_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    responded_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Routing and the inbox workflow (act/routing, act/workflow; migration 0003).
    tags: Mapped[list[str] | None] = mapped_column(Json, doc="Labels set by routing rules and agents.")
    route: Mapped[dict[str, Any] | None] = mapped_column(
        Json, doc="How the item was routed and why; 'manual' when a person decided (routing keeps it)."
    )
    sla_breached_at: Mapped[datetime | None] = mapped_column(UtcDateTime, doc="Set once the SLA clock ran out.")

    source: Mapped[Source] = relationship(lazy="joined")
    department: Mapped[Department | None] = relationship(lazy="joined")
    customer: Mapped[Customer | None] = relationship()


class ImportRun(Base):
    """One run of ``voxpop ingest`` (or a connector poll): what was read, added and rejected."""

    __tablename__ = "import_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"), index=True)
    path: Mapped[str | None] = mapped_column(String(2000))
    status: Mapped[str] = mapped_column(String(20), default="running")
    started_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    added: Mapped[int] = mapped_column(Integer, default=0)
    duplicates: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[list[str]] = mapped_column(Json, default=list)


class AuditEvent(Base):
    """Who viewed, changed, sent or exported what."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_at", "at"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(String(200), default="system")
    action: Mapped[str] = mapped_column(String(100))
    object_type: Mapped[str | None] = mapped_column(String(50))
    object_id: Mapped[str | None] = mapped_column(String(100))
    detail: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)


class Correction(Base):
    """A person's correction of what the analysis said about an item (sentiment, aspects, department).

    The item shows the corrected value at once, re-analysis keeps it, and the corrections are training
    data for the next ``voxpop model fit``.
    """

    __tablename__ = "corrections"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    field: Mapped[str] = mapped_column(String(20))
    value: Mapped[Any] = mapped_column(Json)
    previous: Mapped[Any] = mapped_column(Json, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
