"""The weekly digest: each department's numbers for a week (Monday to Monday, UTC), the change
against the week before, and its most important items, by e-mail to the department's address and
its agents. One digest per department and week: ``digest_sends`` remembers what went out."""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from jinja2 import PackageLoader, select_autoescape
from jinja2.sandbox import ImmutableSandboxedEnvironment
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from voxpop.act.alerts.firing import excerpt
from voxpop.errors import ValidationError
from voxpop.notify.mail import Mail, MailError, send_all
from voxpop.store import Store
from voxpop.store.models import Department, Item, Role, User, user_departments
from voxpop.store.models.outreach import DigestSend
from voxpop.store.types import utcnow

TOP = 5
_env = ImmutableSandboxedEnvironment(
    loader=PackageLoader("voxpop.act.alerts", "templates"),
    autoescape=select_autoescape(["html"], default=False),
    trim_blocks=True,
    lstrip_blocks=True,
)


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def parse_week(value: str | None, today: date) -> date:
    """``2026-W47`` or a date inside the week → its Monday; empty → the last complete week."""
    if not value:
        return monday(today) - timedelta(days=7)
    match = re.fullmatch(r"(\d{4})-W(\d{1,2})", value.strip())
    try:
        if match:
            return date.fromisocalendar(int(match.group(1)), int(match.group(2)), 1)
        return monday(date.fromisoformat(value.strip()))
    except ValueError as exc:
        raise ValidationError(f"--week: '{value}' is not a week (2026-W47) or a date (2026-11-16)") from exc


@dataclass(frozen=True)
class WeekNumbers:
    volume: int
    positive: int
    neutral: int
    negative: int
    responded: int
    median_response_hours: float | None
    sla_breaches: int

    @property
    def response_rate(self) -> float | None:
        return self.responded / self.volume if self.volume else None

    @property
    def negative_share(self) -> float | None:
        return self.negative / self.volume if self.volume else None


def _bounds(week: date) -> tuple[datetime, datetime]:
    start = datetime.combine(week, time.min, tzinfo=UTC)
    return start, start + timedelta(days=7)


def week_numbers(session: Session, department_id: int, week: date, now: datetime) -> WeekNumbers:
    start, end = _bounds(week)
    rows = session.execute(
        select(Item.sentiment, Item.created_at, Item.responded_at, Item.due_at).where(
            Item.department_id == department_id, Item.created_at >= start, Item.created_at < end
        )
    ).all()
    by = {s: sum(1 for r in rows if r.sentiment == s) for s in ("positive", "neutral", "negative")}
    waits = [(r.responded_at - r.created_at).total_seconds() / 3600 for r in rows if r.responded_at is not None]
    breaches = sum(1 for r in rows if r.due_at is not None and r.due_at < (r.responded_at or now))
    return WeekNumbers(
        volume=len(rows),
        positive=by["positive"],
        neutral=by["neutral"],
        negative=by["negative"],
        responded=len(waits),
        median_response_hours=statistics.median(waits) if waits else None,
        sla_breaches=breaches,
    )


def important_items(session: Session, department_id: int, week: date) -> dict[str, list[Item]]:
    """The week's most urgent items, and its negatives still without a response."""
    start, end = _bounds(week)
    scope = (Item.department_id == department_id, Item.created_at >= start, Item.created_at < end)
    urgent = session.scalars(
        select(Item).where(*scope, Item.urgency.is_not(None)).order_by(Item.urgency.desc(), Item.id).limit(TOP)
    )
    unanswered = session.scalars(
        select(Item)
        .where(*scope, Item.sentiment == "negative", Item.responded_at.is_(None))
        .order_by(Item.urgency.desc().nulls_last(), Item.created_at)
        .limit(TOP)
    )
    return {"urgent": list(urgent), "unanswered": list(unanswered)}


def recipients(session: Session, department: Department) -> list[str]:
    """The department's own address and its active agents'."""
    agents = session.scalars(
        select(User.email)
        .join(user_departments, user_departments.c.user_id == User.id)
        .where(
            user_departments.c.department_id == department.id,
            User.is_active.is_(True),
            User.role == Role.agent.value,
        )
        .order_by(User.email)
    )
    found = ([department.email] if department.email else []) + list(agents)
    return list(dict.fromkeys(found))


def _delta(now: float | None, before: float | None, scale: float = 1.0) -> float | None:
    return None if now is None or before is None else (now - before) * scale


def compose(
    store: Store,
    department: Department,
    week: date,
    numbers: WeekNumbers,
    previous: WeekNumbers,
    items: dict[str, list[Item]],
) -> tuple[str, str, str]:
    """Subject, text and HTML of a department's digest."""
    base = store.settings.base_url.rstrip("/")
    view = {
        "department": department.name,
        "week": f"{week.isocalendar().year}-W{week.isocalendar().week:02d}",
        "week_start": week.isoformat(),
        "week_end": (week + timedelta(days=6)).isoformat(),
        "n": numbers,
        "p": previous,
        "volume_change": (
            None if not previous.volume else round(100 * (numbers.volume - previous.volume) / previous.volume)
        ),
        "negative_change": _delta(numbers.negative_share, previous.negative_share, 100),
        "response_change": _delta(numbers.response_rate, previous.response_rate, 100),
        "median_change": _delta(numbers.median_response_hours, previous.median_response_hours),
        "items": {
            name: [
                {
                    "link": f"{base}/items/{i.id}",
                    "excerpt": excerpt(i),
                    "urgency": i.urgency,
                    "sentiment": i.sentiment,
                    "channel": i.channel,
                }
                for i in found
            ]
            for name, found in items.items()
        },
        "inbox_link": f"{base}/inbox?department_id={department.id}",
        "business": store.settings.business_name,
    }
    subject = f"[voxpop] {department.name}: week {view['week']} — {numbers.volume} items"
    return subject, _env.get_template("digest.txt").render(view), _env.get_template("digest.html").render(view)


@dataclass
class DigestReport:
    sent: dict[str, list[str]] = field(default_factory=dict)  # department → recipients
    skipped: dict[str, str] = field(default_factory=dict)  # department → why


def send_digests(
    store: Store,
    *,
    week: date,
    department: str | None = None,
    resend: bool = False,
    now: datetime | None = None,
) -> DigestReport:
    """Send each department's digest for ``week`` (a Monday) once; ``resend`` sends it again."""
    now = now or utcnow()
    report = DigestReport()
    with store.read() as session:
        query = select(Department).order_by(Department.name)
        if department:
            query = query.where((Department.name == department) | (Department.slug == department))
        departments = list(session.scalars(query))
    if department and not departments:
        raise ValidationError(f"no department named '{department}'")
    for dept in departments:
        with store.read() as session:
            to = recipients(session, dept)
            numbers = week_numbers(session, dept.id, week, now)
            previous = week_numbers(session, dept.id, week - timedelta(days=7), now)
            items = important_items(session, dept.id, week)
            subject, text, html = compose(store, dept, week, numbers, previous, items)
        if not to:
            report.skipped[dept.name] = "no e-mail address and no agents"
            continue
        try:
            with store.write() as session:
                if resend:
                    session.execute(
                        delete(DigestSend).where(DigestSend.department_id == dept.id, DigestSend.week_start == week)
                    )
                session.add(DigestSend(department_id=dept.id, week_start=week, recipients=to, sent_at=now))
                session.flush()
        except IntegrityError:
            report.skipped[dept.name] = "already sent for this week"
            continue
        try:
            send_all(store.settings, [Mail(to=address, subject=subject, text=text, html=html) for address in to])
        except (MailError, ValidationError) as exc:
            with store.write() as session:  # not sent: free the week so a re-run retries it
                session.execute(
                    delete(DigestSend).where(DigestSend.department_id == dept.id, DigestSend.week_start == week)
                )
            report.skipped[dept.name] = f"mail failed: {exc}"
            continue
        report.sent[dept.name] = to
    return report
