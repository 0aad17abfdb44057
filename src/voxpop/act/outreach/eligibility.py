"""Who may be thanked and asked: a promoter with an e-mail address, not unsubscribed, not asked lately."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from voxpop.settings import Settings
from voxpop.store.models import Customer, Item
from voxpop.store.models.outreach import OutreachSend

ASK_KINDS = ("testimonial", "survey", "referral")
ACTIVE = ("sending", "sent")


def stars(rating: float | None) -> int | None:
    return None if rating is None else max(1, min(5, 1 + round(rating * 4)))


def is_promoter(item: Item) -> bool:
    """Positive sentiment and/or a top-box rating, with nothing pointing the other way: a negative
    sentiment or a rating below four stars rules the item out."""
    n = stars(item.rating)
    if item.sentiment == "negative" or (n is not None and n < 4):
        return False
    return item.sentiment == "positive" or n == 5


@dataclass(frozen=True)
class Candidate:
    item: Item
    customer: Customer


def why_not(session: Session, settings: Settings, item: Item, now: datetime) -> str | None:
    """The reason ``item``'s customer may not be asked now, or None when they may."""
    if not is_promoter(item):
        return "not a positive item"
    customer = item.customer
    if customer is None or not customer.email:
        return "no e-mail address"
    if customer.unsubscribed_at is not None:
        return "unsubscribed"
    if item.created_at < now - timedelta(days=settings.outreach_max_item_age_days):
        return "too old"
    asked_item = select(OutreachSend.id).where(OutreachSend.item_id == item.id, OutreachSend.status.in_(ACTIVE))
    if session.scalar(asked_item.limit(1)) is not None:
        return "already asked about this item"
    since = now - timedelta(days=settings.outreach_min_days_between_asks)
    recent = select(OutreachSend.id).where(
        OutreachSend.customer_id == customer.id,
        OutreachSend.status.in_(ACTIVE),
        OutreachSend.created_at >= since,
    )
    if session.scalar(recent.limit(1)) is not None:
        return "asked recently"
    unhappy = select(Item.id).where(
        Item.customer_id == customer.id,
        Item.sentiment == "negative",
        Item.created_at >= now - timedelta(days=settings.outreach_max_item_age_days),
    )
    if session.scalar(unhappy.limit(1)) is not None:
        return "has a recent negative item"
    return None


def find_candidates(session: Session, settings: Settings, now: datetime, *, limit: int = 100) -> list[Candidate]:
    """Recent promoters who may be asked now, newest first, one item per customer."""
    query = (
        select(Item)
        .join(Customer, Customer.id == Item.customer_id)
        .where(
            Customer.email.is_not(None),
            Customer.unsubscribed_at.is_(None),
            Item.created_at >= now - timedelta(days=settings.outreach_max_item_age_days),
            (Item.sentiment == "positive") | (Item.rating >= 0.875),
        )
        .order_by(Item.created_at.desc(), Item.id.desc())
        .limit(limit * 5)
    )
    found: list[Candidate] = []
    seen: set[int] = set()
    for item in session.scalars(query):
        if item.customer_id in seen or why_not(session, settings, item, now) is not None:
            continue
        assert item.customer is not None
        seen.add(item.customer.id)
        found.append(Candidate(item=item, customer=item.customer))
        if len(found) >= limit:
            break
    return found
