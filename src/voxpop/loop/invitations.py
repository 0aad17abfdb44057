"""Review invitations: ask recent customers to review the business on a platform.

Every customer gets the same invitation. There is no "review gating" (asking only the happy customers,
or asking how they felt first and sending only the happy ones to the public site), which Google, Yelp,
Trustpilot and TripAdvisor forbid, and no incentive of any kind, which the US FTC rule on fake reviews
(16 CFR Part 465, in force since October 2024) forbids when tied to a positive review. Opt-outs
(``customers.unsubscribed_at``) are honoured, a customer is invited at most once per
``review_invite_min_days``, every send is in the audit log, and clicks are tracked through a signed
redirect.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from voxpop.accounts.audit import record
from voxpop.errors import IngestError, NotFoundError, ValidationError
from voxpop.loop.mailtext import render_mail
from voxpop.loop.signing import sign, unsign
from voxpop.loop.survey_mail import normalise_email, unsubscribe_token
from voxpop.notify.mail import Mail, Mailer, MailError
from voxpop.settings import Settings
from voxpop.store import Store
from voxpop.store.models import Customer, User
from voxpop.store.models.loop import ReviewInvitation, ReviewLink

PLATFORMS = {"google": "Google", "yelp": "Yelp", "tripadvisor": "Tripadvisor", "trustpilot": "Trustpilot"}
CLICK_MAX_AGE = 365 * 24 * 3600
MAX_ROWS = 50_000


def check_platform(platform: str) -> str:
    value = platform.strip().lower()
    if value not in PLATFORMS:
        raise ValidationError(f"field 'platform': {platform!r} is not one of {', '.join(PLATFORMS)}")
    return value


def set_link(session: Session, platform: str, url: str, location: str | None = None) -> ReviewLink:
    """Where ``platform``'s reviews of ``location`` (None: every location without its own) are written."""
    platform = check_platform(platform)
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname or len(url) > 2000:
        raise ValidationError(f"field 'url': {url!r} is not a web address (https://…)")
    location = (location or "").strip() or None
    link = session.scalars(
        select(ReviewLink).where(ReviewLink.platform == platform, _same_location(location))
    ).one_or_none()
    if link is None:
        link = ReviewLink(platform=platform, location=location, url=url)
        session.add(link)
    else:
        link.url = url
    session.flush()
    return link


def _same_location(location: str | None):  # type: ignore[no-untyped-def]
    return ReviewLink.location.is_(None) if location is None else ReviewLink.location == location


def list_links(session: Session) -> list[ReviewLink]:
    return list(session.scalars(select(ReviewLink).order_by(ReviewLink.platform, ReviewLink.location)))


def link_for(session: Session, platform: str, location: str | None) -> str | None:
    if location:
        own = session.scalars(
            select(ReviewLink.url).where(ReviewLink.platform == platform, ReviewLink.location == location)
        ).first()
        if own:
            return own
    return session.scalars(
        select(ReviewLink.url).where(ReviewLink.platform == platform, ReviewLink.location.is_(None))
    ).first()


@dataclass(frozen=True)
class CustomerRow:
    row: int
    email: str
    name: str | None
    location: str | None


def read_customers(text: str, source: str = "upload") -> list[CustomerRow]:
    """Customers from CSV text with an ``email`` column (``name`` and ``location`` optional).

    All or nothing: the first bad row raises ``IngestError`` naming the row and field.
    """
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    columns = {(c or "").strip().lower(): c for c in reader.fieldnames or []}
    if "email" not in columns:
        raise IngestError(source, "needs an 'email' column (optional: name, location)", row=1, field="email")
    rows: list[CustomerRow] = []
    try:
        for record_ in reader:
            line = reader.line_num
            if len(rows) >= MAX_ROWS:
                raise IngestError(source, f"more than {MAX_ROWS} customers in one upload", row=line)
            raw_email = (record_.get(columns["email"]) or "").strip()
            if not raw_email and not any((v or "").strip() for v in record_.values() if isinstance(v, str)):
                continue  # a blank line
            try:
                email = normalise_email(raw_email, "email")
            except ValidationError:
                raise IngestError(source, f"{raw_email!r} is not an e-mail address", row=line, field="email") from None
            name = (record_.get(columns.get("name", ""), "") or "").strip()[:200] or None
            location = (record_.get(columns.get("location", ""), "") or "").strip()[:200] or None
            rows.append(CustomerRow(line, email, name, location))
    except csv.Error as exc:
        raise IngestError(source, f"is not valid CSV: {exc}", row=reader.line_num) from exc
    return rows


@dataclass
class InviteResult:
    sent: list[str] = field(default_factory=list)
    opted_out: list[str] = field(default_factory=list)
    capped: list[str] = field(default_factory=list)
    duplicates: int = 0
    errors: list[str] = field(default_factory=list)


def click_token(settings: Settings, invitation: ReviewInvitation) -> str:
    return sign(settings, "review-click", invitation.id)


def invitation_mail(settings: Settings, invitation: ReviewInvitation, name: str | None) -> Mail:
    base = settings.base_url.rstrip("/")
    text, html = render_mail(
        "review_invitation",
        name=name,
        business=settings.business_name or "us",
        platform=PLATFORMS[invitation.platform],
        link=f"{base}/r/{click_token(settings, invitation)}",
        unsubscribe_link=f"{base}/s/unsubscribe/{unsubscribe_token(settings, invitation.email)}",
    )
    subject = f"Would you review {settings.business_name or 'us'} on {PLATFORMS[invitation.platform]}?"
    unsubscribe = f"<{base}/s/unsubscribe/{unsubscribe_token(settings, invitation.email)}>"
    return Mail(
        to=invitation.email,
        to_name=name,
        subject=subject,
        text=text,
        html=html,
        headers={"List-Unsubscribe": unsubscribe},
    )


def send_invitations(
    store: Store,
    rows: list[CustomerRow],
    platform: str,
    *,
    location: str | None = None,
    user: User | None = None,
    dry_run: bool = False,
) -> InviteResult:
    """Invite every customer in ``rows`` to review on ``platform`` — the same mail for each.

    ``location`` applies to rows without their own. A missing platform link for a row's location is an
    error before anything is sent. With ``dry_run`` nothing is stored or sent; the result says who would
    be invited, who opted out and who was invited too recently.
    """
    platform = check_platform(platform)
    settings = store.settings
    result = InviteResult()
    since = datetime.now(UTC) - timedelta(days=settings.review_invite_min_days)
    seen: set[str] = set()
    plan: list[tuple[CustomerRow, str | None, str]] = []
    with store.read() as session:
        for row in rows:
            if row.email in seen:
                result.duplicates += 1
                continue
            seen.add(row.email)
            where = row.location or location
            url = link_for(session, platform, where)
            if url is None:
                raise ValidationError(
                    f"row {row.row}, field 'location': no {PLATFORMS[platform]} link for "
                    f"{where or 'the default location'} (set one first)"
                )
            customer = session.scalars(select(Customer).where(func.lower(Customer.email) == row.email)).first()
            if customer is not None and customer.unsubscribed_at is not None:
                result.opted_out.append(row.email)
                continue
            recent = session.scalars(
                select(ReviewInvitation.id).where(
                    ReviewInvitation.email == row.email, ReviewInvitation.created_at >= since
                )
            ).first()
            if recent is not None:
                result.capped.append(row.email)
                continue
            plan.append((row, where, url))
    if dry_run:
        result.sent = [row.email for row, _, _ in plan]
        return result
    if not plan:
        return result
    with Mailer(settings) as mailer:
        for row, where, url in plan:
            with store.write() as session:
                customer = session.scalars(select(Customer).where(func.lower(Customer.email) == row.email)).first()
                if customer is None:
                    customer = Customer(email=row.email, name=row.name, handles={}, attributes={})
                    session.add(customer)
                    session.flush()
                invitation = ReviewInvitation(
                    customer_id=customer.id, email=row.email, platform=platform, location=where, url=url
                )
                session.add(invitation)
                session.flush()
                mail = invitation_mail(settings, invitation, row.name or customer.name)
                try:
                    mailer.send(mail)
                except MailError as exc:
                    result.errors.append(f"{row.email}: {exc}")
                    session.rollback()
                    continue
                invitation.sent_at = datetime.now(UTC)
                record(
                    session,
                    "review_invite_sent",
                    user=user,
                    object_type="customer",
                    object_id=customer.id,
                    email=row.email,
                    platform=platform,
                    location=where,
                )
            result.sent.append(row.email)
    return result


def click(session: Session, settings: Settings, token: str) -> str:
    """Record the click of an invitation's link; returns the platform page to send the browser to."""
    invitation_id = unsign(settings, "review-click", token, max_age_seconds=CLICK_MAX_AGE)
    invitation = session.get(ReviewInvitation, invitation_id) if isinstance(invitation_id, int) else None
    if invitation is None:
        raise NotFoundError("this link is not valid")
    if invitation.clicked_at is None:
        invitation.clicked_at = datetime.now(UTC)
    return invitation.url


@dataclass
class PlatformStats:
    platform: str
    sent: int
    clicked: int


def stats(session: Session) -> list[PlatformStats]:
    rows = session.execute(
        select(
            ReviewInvitation.platform,
            func.count(ReviewInvitation.sent_at),
            func.count(ReviewInvitation.clicked_at),
        ).group_by(ReviewInvitation.platform)
    )
    return [PlatformStats(p, int(s), int(c)) for p, s, c in rows]


def recent(session: Session, limit: int = 50) -> list[ReviewInvitation]:
    return list(session.scalars(select(ReviewInvitation).order_by(ReviewInvitation.id.desc()).limit(limit)))
