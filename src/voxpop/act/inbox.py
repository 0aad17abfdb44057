"""The unified inbox: every item from every channel, newest first, scoped to what the viewer may see.

Pages and the API both come through here, so the department scoping is enforced in one place. Paging
is keyset on ``(created_at desc, id desc)`` with an opaque cursor: no OFFSET and no COUNT(*), so a deep
page costs what the first one does.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Integer, Select, and_, false, literal_column, or_, select, text, tuple_
from sqlalchemy.orm import Session

from voxpop.errors import NotFoundError, ValidationError
from voxpop.store.models import Item, User
from voxpop.store.search import fts5_query, matches

MAX_LIMIT = 500
# Above this many full-text matches, SQLite walks the date index instead of sorting the matches.
DENSE_MATCHES = 1000


@dataclass
class InboxFilters:
    """What the inbox can be narrowed by. Every field is optional; ``None`` means "any".

    ``rating_min``/``rating_max`` are on the normalised 0–1 scale of ``Item.rating``. ``date_from`` is
    inclusive; ``date_to`` is inclusive when a date (the whole day) and exclusive when a datetime.
    """

    channel: str | None = None
    source_id: int | None = None
    kind: str | None = None
    status: str | None = None
    department_id: int | None = None
    rating_min: float | None = None
    rating_max: float | None = None
    sentiment: str | None = None
    date_from: date | datetime | None = None
    date_to: date | datetime | None = None
    q: str | None = None
    location: str | None = None
    # Drill-down from the dashboard and reports (measure/): an aspect the item mentions, its product,
    # whether it was answered, whether it missed its SLA deadline (answered late or still open past it).
    aspect: str | None = None
    product: str | None = None
    responded: bool | None = None
    breached: bool | None = None
    question: bool | None = None  # the analysis found a question to the business (or, False, none)

    def active(self) -> dict[str, Any]:
        """The filters that are set, by name."""
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) not in (None, "")}


@dataclass
class InboxPage:
    items: list[Item] = field(default_factory=list)
    next_cursor: str | None = None


def encode_cursor(item: Item) -> str:
    payload = json.dumps([item.created_at.astimezone(UTC).isoformat(), item.id], separators=(",", ":"))
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        created, item_id = json.loads(base64.urlsafe_b64decode(padded.encode()))
        when = datetime.fromisoformat(created)
        if when.tzinfo is None or not isinstance(item_id, int):
            raise ValueError("malformed")
        return when, item_id
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError) as exc:
        raise ValidationError("the page cursor is not valid (start again from the first page)") from exc


def _as_datetime(value: date | datetime, *, end_of_day: bool) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    start = datetime.combine(value, time.min, tzinfo=UTC)
    return start + timedelta(days=1) if end_of_day else start


def visible_to(viewer: User) -> ColumnElement[bool] | None:
    """The scoping rule: agents see their departments' items only; other roles see everything."""
    if viewer.sees_all_departments:
        return None
    ids = viewer.department_ids
    return Item.department_id.in_(ids) if ids else false()


def _search(session: Session, query: str, dialect: str) -> ColumnElement[bool] | None:
    """The full-text condition, shaped so the newest matches come fast on SQLite too.

    SQLite can either look up every match and sort them by date (fast when few items match), or walk
    the date index newest first and test each item against the set of matches (fast when many do).
    A bounded probe of the FTS index tells which case this is; ``items.id + 0`` stops SQLite from
    driving the query by the match list, so it walks the date index instead.
    """
    if dialect != "sqlite":
        return matches(query, dialect)
    expression = fts5_query(query)
    if expression is None:
        return None
    probe = text("SELECT count(*) FROM (SELECT 1 FROM items_fts WHERE items_fts MATCH :fts LIMIT :n)")
    found = session.scalar(probe, {"fts": expression, "n": DENSE_MATCHES}) or 0
    if found < DENSE_MATCHES:
        return matches(query, dialect)
    ids: Select[int] = (
        select(literal_column("rowid", Integer))
        .select_from(text("items_fts"))
        .where(text("items_fts MATCH :fts").bindparams(fts=expression))
    )
    return (Item.id + 0).in_(ids)


def _conditions(session: Session, filters: InboxFilters, dialect: str) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    equal = {
        "channel": Item.channel,
        "source_id": Item.source_id,
        "kind": Item.kind,
        "status": Item.status,
        "department_id": Item.department_id,
        "sentiment": Item.sentiment,
        "location": Item.location,
    }
    for name, column in equal.items():
        value = getattr(filters, name)
        if value not in (None, ""):
            where.append(column == value)
    if filters.rating_min is not None:
        where.append(Item.rating >= filters.rating_min)
    if filters.rating_max is not None:
        where.append(Item.rating <= filters.rating_max)
    if filters.date_from is not None:
        where.append(Item.created_at >= _as_datetime(filters.date_from, end_of_day=False))
    if filters.date_to is not None:
        where.append(Item.created_at < _as_datetime(filters.date_to, end_of_day=True))
    if filters.q:
        found = _search(session, filters.q, dialect)
        if found is not None:
            where.append(found)
    where.extend(_drill_down(filters, dialect))
    return where


def _drill_down(filters: InboxFilters, dialect: str) -> list[ColumnElement[bool]]:
    """The dashboard's drill-down conditions (aspect, product, answered, SLA missed)."""
    where: list[ColumnElement[bool]] = []
    if filters.aspect:
        if dialect == "sqlite":
            exists = text(
                "EXISTS (SELECT 1 FROM json_each(items.aspects) AS a "
                "WHERE json_extract(a.value, '$.name') = :drill_aspect)"
            ).bindparams(drill_aspect=filters.aspect)
            where.append(and_(exists))
        else:
            contains = text("items.aspects @> CAST(:drill_aspect AS jsonb)").bindparams(
                drill_aspect=json.dumps([{"name": filters.aspect}])
            )
            where.append(and_(contains))
    if filters.product:
        where.append(Item.product == filters.product)
    if filters.question is not None:
        where.append(Item.is_question.is_(True) if filters.question else Item.is_question.is_not(True))
    if filters.responded is not None:
        where.append(Item.responded_at.is_not(None) if filters.responded else Item.responded_at.is_(None))
    if filters.breached:
        where.append(
            and_(
                Item.due_at.is_not(None),
                or_(
                    Item.responded_at > Item.due_at,
                    and_(
                        Item.responded_at.is_(None),
                        Item.due_at <= datetime.now(UTC),
                        Item.status.not_in(("resolved", "ignored", "spam")),
                    ),
                ),
            )
        )
    return where


def inbox_query(session: Session, viewer: User, filters: InboxFilters, *, order: str = "date") -> Select[Item]:
    """The scoped, filtered, ordered query behind the inbox (without paging).

    ``order="urgency"`` leaves the order to ``list_items`` (most urgent first, in two index-backed runs).
    """
    dialect = session.get_bind().dialect.name
    where = _conditions(session, filters, dialect)
    scope = visible_to(viewer)
    if scope is not None:
        where.append(scope)
    query = select(Item).where(*where)
    if order == "urgency":
        return query
    return query.order_by(Item.created_at.desc(), Item.id.desc())


# Orders the inbox offers: newest first (the default) or most urgent first.
ORDERS = ("date", "urgency")


def encode_urgency_cursor(item: Item) -> str:
    payload = json.dumps(["u", item.urgency, item.id], separators=(",", ":"))
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def decode_urgency_cursor(cursor: str) -> tuple[float | None, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        tag, urgency, item_id = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if tag != "u" or not isinstance(item_id, int) or not (urgency is None or isinstance(urgency, int | float)):
            raise ValueError("malformed")
        return (None if urgency is None else float(urgency)), item_id
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError) as exc:
        raise ValidationError("the page cursor is not valid (start again from the first page)") from exc


def _urgency_page(session: Session, base: Select[Item], cursor: str | None, limit: int) -> InboxPage:
    """Most urgent first: items with an urgency (``ix_items_urgency`` walked backwards), then the ones
    not analysed yet, newest id first. Two keyset runs instead of ``NULLS LAST``, which PostgreSQL could
    not serve from the plain index."""
    urgency, last_id = decode_urgency_cursor(cursor) if cursor else (None, None)
    in_null_run = cursor is not None and urgency is None
    rows: list[Item] = []
    if not in_null_run:
        scored = base.where(Item.urgency.is_not(None))
        if urgency is not None and last_id is not None:
            scored = scored.where(or_(Item.urgency < urgency, and_(Item.urgency == urgency, Item.id < last_id)))
        query = scored.order_by(Item.urgency.desc(), Item.id.desc()).limit(limit + 1)
        rows = list(session.scalars(query).unique())
    if len(rows) <= limit:
        unscored = base.where(Item.urgency.is_(None))
        if in_null_run and last_id is not None:
            unscored = unscored.where(Item.id < last_id)
        query = unscored.order_by(Item.id.desc()).limit(limit + 1 - len(rows))
        rows.extend(session.scalars(query).unique())
    items = rows[:limit]
    return InboxPage(items=items, next_cursor=encode_urgency_cursor(items[-1]) if len(rows) > limit else None)


def list_items(
    session: Session,
    viewer: User,
    filters: InboxFilters,
    *,
    cursor: str | None = None,
    limit: int = 50,
    order: str = "date",
) -> InboxPage:
    """One page of the inbox, newest first (or ``order="urgency"``: most urgent first), and the cursor
    of the next page (None on the last one)."""
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationError(f"limit must be between 1 and {MAX_LIMIT}")
    if order not in ORDERS:
        raise ValidationError(f"order: choose {' or '.join(ORDERS)}")
    if order == "urgency":
        return _urgency_page(session, inbox_query(session, viewer, filters, order=order), cursor, limit)
    query = inbox_query(session, viewer, filters)
    if cursor:
        created, item_id = decode_cursor(cursor)
        query = query.where(
            or_(Item.created_at < created, and_(Item.created_at == created, Item.id < item_id))
            if session.get_bind().dialect.name == "sqlite"
            else tuple_(Item.created_at, Item.id) < tuple_(created, item_id)
        )
    rows: Sequence[Item] = session.scalars(query.limit(limit + 1)).unique().all()
    items = list(rows[:limit])
    next_cursor = encode_cursor(items[-1]) if len(rows) > limit else None
    return InboxPage(items=items, next_cursor=next_cursor)


def get_item(session: Session, viewer: User, item_id: int) -> Item:
    """One item, or NotFoundError — also when it is outside the viewer's departments, so an agent
    cannot even learn that another department's item exists."""
    query = select(Item).where(Item.id == item_id)
    scope = visible_to(viewer)
    if scope is not None:
        query = query.where(scope)
    item = session.scalar(query)
    if item is None:
        raise NotFoundError(f"no item {item_id}")
    return item
