"""The SLA clock: an open item whose ``due_at`` has passed without a first response is breached.

``breached_items`` and ``count_breached`` answer from the live columns (status, ``due_at``,
``responded_at``), so they are right at any moment; ``mark_breaches`` stamps ``sla_breached_at`` once per
item and returns only the newly breached ids — what an alert should fire on, exactly once.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, Select, and_, func, select, update
from sqlalchemy.orm import Session

from voxpop.act.workflow import OPEN_STATUSES
from voxpop.store import Store
from voxpop.store.models import Item


def is_breached(now: datetime) -> ColumnElement[bool]:
    """The SQL condition "breached at ``now``"."""
    return and_(
        Item.due_at.is_not(None),
        Item.due_at < now,
        Item.responded_at.is_(None),
        Item.status.in_(OPEN_STATUSES),
    )


def item_breached(item: Item, now: datetime) -> bool:
    """The same rule for one loaded item (pages show it)."""
    return item.due_at is not None and item.due_at < now and item.responded_at is None and item.status in OPEN_STATUSES


def breached_query(now: datetime, *, department_id: int | None = None) -> Select[Item]:
    query = select(Item).where(is_breached(now)).order_by(Item.due_at, Item.id)
    if department_id is not None:
        query = query.where(Item.department_id == department_id)
    return query


def breached_items(
    store: Store | Session, now: datetime, *, department_id: int | None = None, limit: int | None = None
) -> list[Item]:
    """Items breached at ``now`` (most overdue first), optionally of one department.

    Takes a store (opens and closes its own read session; the items come back detached but loaded) or a
    session the caller holds.
    """
    query = breached_query(now, department_id=department_id)
    if limit is not None:
        query = query.limit(limit)
    if isinstance(store, Session):
        return list(store.scalars(query).unique())
    with store.read() as session:
        return list(session.scalars(query).unique())


def count_breached(session: Session, now: datetime, *, department_id: int | None = None) -> int:
    query = select(func.count()).select_from(Item).where(is_breached(now))
    if department_id is not None:
        query = query.where(Item.department_id == department_id)
    return int(session.scalar(query) or 0)


def mark_breaches(store: Store, now: datetime) -> list[int]:
    """Stamp ``sla_breached_at`` on items breached at ``now`` that were not stamped yet; their ids.

    Idempotent: run twice, the second run returns nothing. The conditional UPDATE makes it safe when two
    workers run it at once (each item is claimed by one of them).
    """
    with store.write() as session:
        ids = list(
            session.scalars(select(Item.id).where(is_breached(now), Item.sla_breached_at.is_(None)).order_by(Item.id))
        )
        claimed: list[int] = []
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            result = session.execute(
                update(Item)
                .where(Item.id.in_(chunk), Item.sla_breached_at.is_(None))
                .values(sla_breached_at=now)
                .returning(Item.id)
                .execution_options(synchronize_session=False)
            )
            claimed.extend(int(row[0]) for row in result)
        return sorted(claimed)
