"""The REST API's request and response bodies (pydantic)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from voxpop.store.models import Item, ItemKind, User


class ItemIn(BaseModel):
    """One item to add. ``rating`` is on the ``rating_min``–``rating_max`` scale (default 1–5)."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1)
    created_at: datetime | None = None
    external_id: str | None = Field(default=None, max_length=200)
    kind: ItemKind = ItemKind.review
    channel: str | None = Field(default=None, max_length=50)
    title: str | None = None
    url: str | None = None
    author_name: str | None = None
    author_handle: str | None = None
    author_email: str | None = None
    rating: float | None = None
    rating_min: float | None = None
    rating_max: float | None = None
    language: str | None = Field(default=None, max_length=8)
    location: str | None = None
    product: str | None = None
    reach_followers: int | None = Field(default=None, ge=0)
    reach_likes: int | None = Field(default=None, ge=0)
    reach_shares: int | None = Field(default=None, ge=0)
    raw: dict[str, Any] = Field(default_factory=dict)


class CreatedOut(BaseModel):
    ok: bool = True
    source_id: int
    added: list[int]
    duplicates: int
    updated: list[int] = Field(default_factory=list, description="Stored items this request edited in place.")


class ItemOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    source_id: int
    source: str
    external_id: str | None
    kind: str
    channel: str
    url: str | None
    author_name: str | None
    author_handle: str | None
    title: str | None
    text: str
    rating: float | None
    rating_raw: float | None
    rating_min: float | None
    rating_max: float | None
    language: str | None
    location: str | None
    product: str | None
    created_at: datetime
    ingested_at: datetime
    reach_followers: int | None
    reach_likes: int | None
    reach_shares: int | None
    sentiment: str | None
    sentiment_score: float | None
    sentiment_confidence: float | None
    aspects: list[dict[str, Any]] | None
    topics: list[str] | None
    is_question: bool | None
    urgency: float | None
    authenticity_risk: float | None
    analyzed_at: datetime | None
    status: str
    department_id: int | None
    department: str | None
    assignee_id: int | None
    priority: int
    due_at: datetime | None
    responded_at: datetime | None

    @classmethod
    def of(cls, item: Item) -> ItemOut:
        data = {name: getattr(item, name) for name in cls.model_fields if name not in {"source", "department"}}
        return cls(
            **data,
            source=item.source.name,
            department=item.department.name if item.department else None,
        )


class ItemDetailOut(ItemOut):
    raw: dict[str, Any]
    analysis: dict[str, Any] | None

    @classmethod
    def of(cls, item: Item) -> ItemDetailOut:
        base = ItemOut.of(item).model_dump()
        return cls(**base, raw=item.raw, analysis=item.analysis)


class ItemPageOut(BaseModel):
    items: list[ItemOut]
    next_cursor: str | None


class MeOut(BaseModel):
    id: int
    email: str
    name: str
    role: str
    department_ids: list[int]
    scopes: list[str]

    @classmethod
    def of(cls, user: User, scopes: frozenset[str]) -> MeOut:
        return cls(
            id=user.id,
            email=user.email,
            name=user.name,
            role=user.role,
            department_ids=user.department_ids,
            scopes=sorted(scopes),
        )


class ErrorOut(BaseModel):
    ok: bool = False
    error: str
    status: int
    errors: list[dict[str, Any]] | None = None
