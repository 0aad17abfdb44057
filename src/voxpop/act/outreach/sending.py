"""Sending the thank-you-and-ask mails: sandboxed templates, SMTP, every send audited."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from jinja2 import PackageLoader, select_autoescape
from jinja2.sandbox import ImmutableSandboxedEnvironment
from sqlalchemy import select

from voxpop.accounts import audit
from voxpop.act.alerts.access import require_manager
from voxpop.act.outreach.eligibility import ASK_KINDS, why_not
from voxpop.act.outreach.links import click_url, new_token, unsubscribe_url
from voxpop.errors import ValidationError
from voxpop.notify.mail import Mail, Mailer, MailError
from voxpop.settings import Settings
from voxpop.store import Store
from voxpop.store.models import Customer, Item, User
from voxpop.store.models.outreach import OutreachSend
from voxpop.store.types import utcnow

SUBJECTS = {
    "testimonial": "Thank you, {{ first_name }} — would you say a few words?",
    "survey": "Thank you, {{ first_name }} — help us get even better?",
    "referral": "Thank you, {{ first_name }} — know someone who'd like us too?",
}
QUOTE = 300

# Sandboxed (a template can never reach Python internals) and autoescaping for the HTML part.
_env = ImmutableSandboxedEnvironment(
    loader=PackageLoader("voxpop.act.outreach", "templates"),
    autoescape=select_autoescape(["html"], default_for_string=False, default=False),
    keep_trailing_newline=True,
)


@dataclass
class SendReport:
    sent: list[int] = field(default_factory=list)  # outreach_sends ids
    failed: dict[int, str] = field(default_factory=dict)  # item id → error
    skipped: Counter[str] = field(default_factory=Counter)  # reason → count


def first_name(customer: Customer) -> str:
    name = (customer.name or "").strip()
    return name.split()[0] if name else "there"


def compose(settings: Settings, send: OutreachSend, item: Item, customer: Customer) -> Mail:
    """The mail for one ask, with the List-Unsubscribe headers (RFC 2369 and one-click RFC 8058)."""
    quote = " ".join((item.text or "").split())
    context = {
        "first_name": first_name(customer),
        "business": settings.business_name or "us",
        "location": item.location or "",
        "quote": quote if len(quote) <= QUOTE else quote[: QUOTE - 1] + "…",
        "action_url": click_url(settings, send.token),
        "unsubscribe_url": unsubscribe_url(settings, customer.id),
    }
    subject = _env.from_string(SUBJECTS[send.kind]).render(context).strip()
    return Mail(
        to=send.email,
        to_name=customer.name or None,
        subject=subject,
        text=_env.get_template(f"{send.kind}.txt").render(context),
        html=_env.get_template(f"{send.kind}.html").render(context),
        headers={
            "List-Unsubscribe": f"<{context['unsubscribe_url']}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )


def _check_kind(settings: Settings, kind: str) -> None:
    if kind not in ASK_KINDS:
        raise ValidationError(f"unknown ask '{kind}' (choose from {', '.join(ASK_KINDS)})")
    if kind == "survey" and not settings.outreach_survey_url:
        raise ValidationError("set outreach_survey_url before sending survey asks")


def _reserve(store: Store, user: User | None, item_ids: Sequence[int], kind: str, now: datetime) -> SendReport:
    """Check each item and record a 'sending' row for those that may be asked, in one unit of work."""
    report = SendReport()
    with store.write() as session:
        items = {i.id: i for i in session.scalars(select(Item).where(Item.id.in_(list(item_ids))))}
        # Lock the customers (PostgreSQL; SQLite's write transaction is exclusive already), so two managers
        # sending at once cannot both pass the once-per-period check for the same customer.
        customer_ids = sorted({i.customer_id for i in items.values() if i.customer_id is not None})
        if customer_ids:
            session.execute(select(Customer.id).where(Customer.id.in_(customer_ids)).with_for_update())
        for item_id in item_ids:
            item = items.get(item_id)
            reason = "no such item" if item is None else why_not(session, store.settings, item, now)
            if reason is not None or item is None or item.customer is None or item.customer.email is None:
                report.skipped[reason or "no such item"] += 1
                continue
            send = OutreachSend(
                customer_id=item.customer.id,
                item_id=item.id,
                kind=kind,
                token=new_token(),
                email=item.customer.email,
                status="sending",
                sent_by_id=user.id if user else None,
                created_at=now,
            )
            session.add(send)
            session.flush()  # the next item of the same customer sees this ask
            report.sent.append(send.id)
    return report


def send_asks(
    store: Store, user: User | None, item_ids: Sequence[int], kind: str = "testimonial", *, now: datetime | None = None
) -> SendReport:
    """Thank and ask the customers behind ``item_ids``. ``user`` is the manager (None: the CLI/system)."""
    if user is not None:
        require_manager(user)
    settings = store.settings
    _check_kind(settings, kind)
    now = now or utcnow()
    reserved = _reserve(store, user, item_ids, kind, now)
    report = SendReport(skipped=reserved.skipped)
    if not reserved.sent:
        return report
    with store.read() as session:
        rows = session.execute(
            select(OutreachSend, Item, Customer)
            .join(Item, Item.id == OutreachSend.item_id)
            .join(Customer, Customer.id == OutreachSend.customer_id)
            .where(OutreachSend.id.in_(reserved.sent))
        ).all()
    outcomes: dict[int, str | None] = {}
    try:
        with Mailer(settings) as mailer:
            for send, item, customer in rows:
                try:
                    mailer.send(compose(settings, send, item, customer))
                    outcomes[send.id] = None
                except (MailError, ValidationError) as exc:
                    outcomes[send.id] = str(exc)
    except MailError as exc:  # the server could not be reached at all
        outcomes.update({send.id: str(exc) for send, _, _ in rows if send.id not in outcomes})
    with store.write() as session:
        for send, item, _ in rows:
            record = session.get(OutreachSend, send.id)
            assert record is not None
            error = outcomes.get(send.id, "not sent")
            record.status = "failed" if error else "sent"
            record.error = error
            record.sent_at = None if error else now
            audit.record(
                session,
                "outreach.send" if not error else "outreach.send_failed",
                user=session.get(User, user.id) if user else None,
                object_type="item",
                object_id=item.id,
                kind=kind,
                customer_id=send.customer_id,
                **({"error": error} if error else {}),
            )
            if error:
                report.failed[item.id] = error
            else:
                report.sent.append(send.id)
    return report
