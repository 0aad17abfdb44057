"""What happens after the mail: clicks, the testimonial, a referral used, unsubscribes, and the numbers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode, urlsplit, urlunsplit

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from voxpop.accounts import audit
from voxpop.act.outreach.links import base, customer_of
from voxpop.errors import NotFoundError, ValidationError
from voxpop.settings import Settings
from voxpop.store.models import Customer
from voxpop.store.models.outreach import OutreachSend
from voxpop.store.types import utcnow

MAX_TESTIMONIAL = 2000


def get_send(session: Session, token: str) -> OutreachSend:
    send = session.scalar(select(OutreachSend).where(OutreachSend.token == token, OutreachSend.status == "sent"))
    if send is None:
        raise NotFoundError("this link is not valid")
    return send


def _with_ref(url: str, token: str) -> str:
    parts = urlsplit(url)
    query = (parts.query + "&" if parts.query else "") + urlencode({"ref": token})
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def record_click(session: Session, settings: Settings, token: str, now: datetime | None = None) -> str:
    """Count the click and return where it leads (never a URL taken from the request: no open redirect)."""
    send = get_send(session, token)
    send.clicks += 1
    send.clicked_at = send.clicked_at or now or utcnow()
    if send.kind == "survey" and settings.outreach_survey_url:
        return _with_ref(settings.outreach_survey_url, token)
    if send.kind == "referral":
        return f"{base(settings)}/o/{token}/share"
    return f"{base(settings)}/o/{token}/testimonial"


def mark_completed(session: Session, token: str, now: datetime | None = None) -> OutreachSend:
    """The ask was answered (a survey page calls this with the ``ref`` it was given)."""
    send = get_send(session, token)
    send.completed_at = send.completed_at or now or utcnow()
    return send


def submit_testimonial(session: Session, token: str, text: str, *, public: bool) -> OutreachSend:
    text = text.strip()
    if not text:
        raise ValidationError("please write a few words")
    if len(text) > MAX_TESTIMONIAL:
        raise ValidationError(f"a testimonial is at most {MAX_TESTIMONIAL} characters")
    send = get_send(session, token)
    if send.kind != "testimonial":
        raise NotFoundError("this link is not valid")
    send.testimonial = text
    send.testimonial_public = public
    mark_completed(session, token)
    audit.record(
        session,
        "outreach.testimonial",
        actor=f"customer:{send.customer_id}",
        object_type="outreach",
        object_id=send.id,
        public=public,
    )
    return send


def use_referral(session: Session, settings: Settings, token: str) -> str | None:
    """A friend opened the referral link: the ask is completed. Returns where the friend goes, if set."""
    send = get_send(session, token)
    if send.kind != "referral":
        raise NotFoundError("this link is not valid")
    mark_completed(session, token)
    return settings.outreach_referral_url or None


def unsubscribe(session: Session, settings: Settings, code: str) -> Customer:
    """The customer of the signed ``code`` gets no more outreach mail, from now on."""
    customer = session.get(Customer, customer_of(settings, code))
    if customer is None:
        raise NotFoundError("this unsubscribe link is not valid")
    if customer.unsubscribed_at is None:
        customer.unsubscribed_at = utcnow()
        audit.record(
            session,
            "outreach.unsubscribe",
            actor=f"customer:{customer.id}",
            object_type="customer",
            object_id=customer.id,
        )
    return customer


@dataclass(frozen=True)
class KindNumbers:
    kind: str
    sent: int
    clicked: int
    completed: int
    failed: int

    @property
    def click_rate(self) -> float | None:
        return self.clicked / self.sent if self.sent else None

    @property
    def completion_rate(self) -> float | None:
        return self.completed / self.sent if self.sent else None


def status_numbers(session: Session, *, days: int = 90, now: datetime | None = None) -> list[KindNumbers]:
    since = (now or utcnow()) - timedelta(days=days)
    rows = session.execute(
        select(
            OutreachSend.kind,
            func.count().filter(OutreachSend.status == "sent"),
            func.count(OutreachSend.clicked_at),
            func.count(OutreachSend.completed_at),
            func.count().filter(OutreachSend.status == "failed"),
        )
        .where(OutreachSend.created_at >= since)
        .group_by(OutreachSend.kind)
    ).all()
    found = {kind: KindNumbers(kind, int(s), int(c), int(d), int(f)) for kind, s, c, d, f in rows}
    return [found.get(k, KindNumbers(k, 0, 0, 0, 0)) for k in ("testimonial", "survey", "referral")]


def recent_sends(session: Session, limit: int = 50) -> list[OutreachSend]:
    return list(session.scalars(select(OutreachSend).order_by(OutreachSend.id.desc()).limit(limit)))


def list_testimonials(session: Session, limit: int = 50) -> list[OutreachSend]:
    """The testimonials customers wrote, newest first (``testimonial_public``: they allowed showing it)."""
    query = (
        select(OutreachSend)
        .where(OutreachSend.testimonial.is_not(None))
        .order_by(OutreachSend.completed_at.desc(), OutreachSend.id.desc())
        .limit(limit)
    )
    return list(session.scalars(query))
