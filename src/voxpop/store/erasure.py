"""Erasing one customer's personal data on request (GDPR art. 17, CCPA), keeping the aggregates.

What goes: the customer's contact details; the words of everything they wrote (items' text, title,
author, links and raw records, earlier revisions, survey answers' e-mail, idea-board comments) and what
staff wrote about or to them (internal notes, replies), since those quote or name them. What stays: the
numbers — each item's date, channel, location, rating, sentiment and aspects, the reply times, the votes —
so dashboards and trends do not change. A re-import of the same review adds nothing (its dedup key
stays), so erased words do not come back. Everything happens in one transaction, and the audit log
records that an erasure was done (never what was erased).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import CursorResult, String, Table, delete, func, literal, or_, select, update
from sqlalchemy import cast as sa_cast
from sqlalchemy.orm import Session

from voxpop.accounts import audit
from voxpop.errors import NotFoundError
from voxpop.store import Store
from voxpop.store.models import Base, Customer, Item
from voxpop.store.types import utcnow

ERASED = "[erased at the customer's request]"


@dataclass
class ErasureReport:
    customer_id: int | None
    counts: dict[str, int] = field(default_factory=dict)


def _table(name: str) -> Table | None:
    return Base.metadata.tables.get(name)


def erase_customer(store: Store, who: str, *, actor: str = "system") -> ErasureReport:
    """Erase the personal data of the customer with this e-mail address (or ``#<id>``)."""
    with store.write() as session:
        report = _erase(session, who.strip())
        audit.record(
            session,
            "customer.erased",
            actor=actor,
            object_type="customer",
            object_id=report.customer_id,
            rows=report.counts,
        )
    return report


def _find(session: Session, who: str) -> tuple[Customer | None, str | None]:
    if who.startswith("#") and who[1:].isdigit():
        customer = session.get(Customer, int(who[1:]))
        if customer is None:
            raise NotFoundError(f"no customer #{who[1:]}")
        return customer, customer.email
    email = who.lower()
    customer = session.scalar(select(Customer).where(func.lower(Customer.email) == email))
    return customer, email


def _erase(session: Session, who: str) -> ErasureReport:
    customer, email = _find(session, who)
    counts: dict[str, int] = {}
    item_ids: set[int] = set()
    if customer is not None:
        item_ids |= set(session.scalars(select(Item.id).where(Item.customer_id == customer.id)))

    responses = _table("loop_survey_responses")
    if responses is not None:
        match = _by_person(responses, customer, email)
        item_ids |= {i for i in session.scalars(select(responses.c.item_id).where(match)) if i is not None}
        counts["survey_responses"] = _changed(session, update(responses).where(match).values(email=None))
    recipients = _table("loop_survey_recipients")
    if recipients is not None:
        match = _by_person(recipients, customer, email)
        counts["survey_recipients"] = _changed(
            session, update(recipients).where(match).values(email=_placeholder(recipients.c.id), name=None)
        )
    identities = _table("loop_identities")
    comments = _table("loop_idea_comments")
    if identities is not None and email:
        ids = list(session.scalars(select(identities.c.id).where(func.lower(identities.c.email) == email)))
        if ids and comments is not None:
            counts["idea_comments"] = _changed(
                session, update(comments).where(comments.c.identity_id.in_(ids)).values(body=ERASED)
            )
        # Kept, anonymous, so their votes still count.
        counts["idea_identities"] = _changed(
            session,
            update(identities).where(identities.c.id.in_(ids)).values(email=_placeholder(identities.c.id), name=None),
        )
    for name in ("loop_review_invitations", "outreach_sends"):
        table = _table(name)
        if table is not None:
            match = _by_person(table, customer, email)
            counts[name] = _changed(session, update(table).where(match).values(email=_placeholder(table.c.id)))

    if item_ids:
        ids = sorted(item_ids)
        counts["items"] = _changed(
            session,
            update(Item)
            .where(Item.id.in_(ids))
            .values(text=ERASED, title=None, author_name=None, author_handle=None, url=None, raw={}, customer_id=None),
        )
        for name, column, values in (
            ("item_revisions", "item_id", {"text": ERASED, "title": None}),
            ("item_notes", "item_id", {"text": ERASED}),
            ("replies", "item_id", {"text": ERASED, "item_vector": None}),
        ):
            table = _table(name)
            if table is not None:
                counts[name] = _changed(session, update(table).where(table.c[column].in_(ids)).values(**values))
        vectors = _table("item_embeddings")  # an embedding is derived from the words: it goes too
        if vectors is not None:
            counts["item_embeddings"] = _changed(session, delete(vectors).where(vectors.c.item_id.in_(ids)))
    if customer is not None:
        customer.email = None
        customer.name = None
        customer.external_ref = None
        customer.handles = {}
        customer.attributes = {}
        customer.unsubscribed_at = customer.unsubscribed_at or utcnow()
    if customer is None and not any(counts.values()):
        raise NotFoundError(f"no customer or answers found for {who!r}")
    return ErasureReport(customer.id if customer is not None else None, {k: v for k, v in counts.items() if v})


def _changed(session: Session, statement: Any) -> int:
    """Run an UPDATE (or DELETE); how many rows it changed."""
    result = session.execute(statement)
    return int(cast(CursorResult[Any], result).rowcount)


def _by_person(table: Table, customer: Customer | None, email: str | None):  # type: ignore[no-untyped-def]
    conditions = []
    if customer is not None and "customer_id" in table.c:
        conditions.append(table.c.customer_id == customer.id)
    if email and "email" in table.c:
        conditions.append(func.lower(table.c.email) == email)
    return or_(*conditions) if conditions else table.c.id.is_(None)


def _placeholder(id_column):  # type: ignore[no-untyped-def]
    """A unique, undeliverable address where a column may not be empty (``.invalid`` never resolves)."""
    return literal("erased-", String) + sa_cast(id_column, String) + literal("@erased.invalid", String)
