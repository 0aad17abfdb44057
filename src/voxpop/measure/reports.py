"""Reports for any period: a self-contained HTML page (charts as inline SVG, styles inline, no script),
the same as PDF (printed by headless Chromium), and scheduled e-mailing to chosen recipients.

A report holds the dashboard's numbers (KPIs against the previous period, trend, drivers, ratings per
platform), the top praise and complaints with quotes, and a section per department. Quotes are text
written by customers: the template escapes them, in the page and in the e-mail alike.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from importlib.resources import files
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from voxpop.act.departments import list_departments
from voxpop.act.inbox import visible_to
from voxpop.errors import NotFoundError, ValidationError
from voxpop.measure.metrics import Metrics, format_minutes
from voxpop.measure.overview import Driver, Overview, build_overview, drivers
from voxpop.measure.series import Slice, breakdown, summary
from voxpop.measure.svgcharts import bars_svg, trend_svg
from voxpop.notify.mail import Mail, Mailer, MailError
from voxpop.settings import Settings
from voxpop.store import Store
from voxpop.store.models import Item, User
from voxpop.store.models.measure import ReportSchedule
from voxpop.store.types import utcnow

log = logging.getLogger(__name__)
QUOTES = 3
DEPARTMENT_QUOTES = 1
PERIODS = ("week", "month")
CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
PDF_TIMEOUT_SECONDS = 90

_env = Environment(
    loader=FileSystemLoader(str(files("voxpop.web") / "templates")),
    autoescape=select_autoescape(["html"], default_for_string=True, default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


@dataclass(frozen=True)
class Quote:
    item_id: int
    text: str
    channel: str
    location: str | None
    created_at: datetime
    stars: float | None


@dataclass
class DepartmentSection:
    id: int
    name: str
    metrics: Metrics
    previous: Metrics
    drivers_down: list[Driver]
    praise: list[Quote]
    complaints: list[Quote]


@dataclass
class Report:
    title: str
    overview: Overview
    praise: list[Quote]
    complaints: list[Quote]
    departments: list[DepartmentSection] = field(default_factory=list)
    generated_at: datetime = field(default_factory=utcnow)
    business_name: str = ""
    base_url: str = ""


def _quotes(session: Session, viewer: User | None, s: Slice, sentiment: str, limit: int) -> list[Quote]:
    """The period's clearest praise (or complaints): the most confident positive (negative) items."""
    start = datetime.combine(s.date_from, datetime.min.time(), tzinfo=UTC)
    end = datetime.combine(s.date_to + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    query = select(Item).where(Item.created_at >= start, Item.created_at < end, Item.sentiment == sentiment)
    for column, value in (
        (Item.channel, s.channel),
        (Item.location, s.location),
        (Item.department_id, s.department_id),
    ):
        if value not in (None, ""):
            query = query.where(column == value)
    if viewer is not None:
        scope = visible_to(viewer)
        if scope is not None:
            query = query.where(scope)
    score = Item.sentiment_score.desc() if sentiment == "positive" else Item.sentiment_score.asc()
    rows = session.scalars(query.order_by(score.nulls_last(), Item.created_at.desc()).limit(limit))
    return [
        Quote(
            item_id=item.id,
            text=(item.text or item.title or "")[:400],
            channel=item.channel,
            location=item.location,
            created_at=item.created_at,
            stars=None if item.rating is None else 1 + 4 * item.rating,
        )
        for item in rows
    ]


def build_report(
    session: Session, viewer: User | None, s: Slice, *, settings: Settings, title: str | None = None
) -> Report:
    """Everything a report shows for the slice, scoped to ``viewer`` (None: every department)."""
    min_n = settings.metrics_min_sample
    overview = build_overview(session, viewer, s, min_n=min_n)
    report = Report(
        title=title or f"Customer experience report {s.date_from.isoformat()} – {s.date_to.isoformat()}",
        overview=overview,
        praise=_quotes(session, viewer, s, "positive", QUOTES),
        complaints=_quotes(session, viewer, s, "negative", QUOTES),
        business_name=settings.business_name,
        base_url=settings.base_url.rstrip("/"),
    )
    if s.department_id is None:
        names = {d.id: d.name for d in list_departments(session)}
        for dep_id, _name, metrics in overview.departments:
            if not dep_id:
                continue
            mine = replace(s, department_id=dep_id)
            previous = summary(session, viewer, mine.previous(), min_n=min_n)
            now_aspects = breakdown(session, viewer, mine, "aspect", min_n=min_n) if not s.dimension else {}
            before_aspects = (
                breakdown(session, viewer, mine.previous(), "aspect", min_n=min_n) if not s.dimension else {}
            )
            ranked = drivers(mine, now_aspects, before_aspects, min_n)
            report.departments.append(
                DepartmentSection(
                    id=dep_id,
                    name=names.get(dep_id, str(dep_id)),
                    metrics=metrics,
                    previous=previous,
                    drivers_down=[d for d in ranked if d.impact < 0][:3],
                    praise=_quotes(session, viewer, mine, "positive", DEPARTMENT_QUOTES),
                    complaints=_quotes(session, viewer, mine, "negative", DEPARTMENT_QUOTES),
                )
            )
    return report


def _charts(report: Report) -> dict[str, Markup]:
    overview = report.overview
    trend = trend_svg(
        [p.start.isoformat() for p in overview.trend],
        [p.metrics.volume for p in overview.trend],
        [p.metrics.sentiment.shown for p in overview.trend],
    )
    rated = [(channel, m.stars) for channel, m in overview.platforms if m.stars is not None]
    platforms = bars_svg([c for c, _ in rated], [v for _, v in rated if v is not None], maximum=5, unit="★")
    return {"trend": trend, "platforms": platforms}


def render_html(report: Report) -> str:
    """The report as one self-contained HTML document (inline styles and SVG, no script, no link out
    except to the items in voxpop)."""
    template = _env.get_template("report.html")
    return template.render(
        report=report,
        overview=report.overview,
        charts=_charts(report),
        minutes=format_minutes,
        fmt=lambda v, d=1, u="": "–" if v is None else f"{v:.{d}f}{u}",
    )


def render_text(report: Report) -> str:
    """A plain-text summary for the e-mail's text part."""
    lines = [report.title, ""]
    for kpi in report.overview.kpis:
        change = f" ({kpi.delta_text} vs previous)" if kpi.delta_text else ""
        lines.append(f"- {kpi.label}: {kpi.text}{change}")
    if report.complaints:
        lines += ["", "Top complaints:"] + [f'- "{q.text[:160]}" ({q.channel})' for q in report.complaints]
    if report.praise:
        lines += ["", "Top praise:"] + [f'- "{q.text[:160]}" ({q.channel})' for q in report.praise]
    return "\n".join(lines) + "\n"


def chromium_path() -> str:
    """The headless browser that prints PDFs (``VOXPOP_CHROMIUM`` or the first one on the PATH)."""
    given = os.environ.get("VOXPOP_CHROMIUM")
    if given:
        return given
    for name in CHROMIUM_CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    raise ValidationError("PDF reports need Chromium: install it, or set VOXPOP_CHROMIUM to its path")


def render_pdf(html: str) -> bytes:
    """Print the HTML report to PDF with headless Chromium (the page is loaded from a local file; it has
    no script and fetches nothing)."""
    with tempfile.TemporaryDirectory(prefix="voxpop-report-") as folder:
        page, pdf = Path(folder) / "report.html", Path(folder) / "report.pdf"
        page.write_text(html, encoding="utf-8")
        command = [
            chromium_path(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--no-pdf-header-footer",
            f"--user-data-dir={Path(folder) / 'profile'}",
            f"--print-to-pdf={pdf}",
            page.as_uri(),
        ]
        try:
            subprocess.run(command, capture_output=True, timeout=PDF_TIMEOUT_SECONDS, check=False)  # noqa: S603
        except subprocess.TimeoutExpired as exc:
            raise ValidationError("Chromium took too long to print the report") from exc
        if not pdf.is_file() or pdf.stat().st_size == 0:
            raise ValidationError("Chromium did not print the report (is it installed and working?)")
        return pdf.read_bytes()


# Scheduled reports ---------------------------------------------------------------------------------


def previous_period(period: str, today: date) -> tuple[date, date]:
    """The last full week (Monday–Sunday) or calendar month before ``today``."""
    if period == "week":
        end = today - timedelta(days=today.weekday() + 1)
        return end - timedelta(days=6), end
    if period == "month":
        end = today.replace(day=1) - timedelta(days=1)
        return end.replace(day=1), end
    raise ValidationError(f"period must be one of {', '.join(PERIODS)}")


def next_run(period: str, after: datetime) -> datetime:
    """The next Monday (weekly) or 1st of the month (monthly) at 06:00 UTC after ``after``."""
    day = after.astimezone(UTC).date()
    if period == "week":
        target = day + timedelta(days=7 - day.weekday())
    elif period == "month":
        target = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    else:
        raise ValidationError(f"period must be one of {', '.join(PERIODS)}")
    return datetime.combine(target, datetime.min.time(), tzinfo=UTC).replace(hour=6)


def _recipients(values: list[str]) -> list[str]:
    cleaned = [v.strip() for v in values if v.strip()]
    if not cleaned:
        raise ValidationError("recipients: give at least one e-mail address")
    for address in cleaned:
        if "@" not in address or any(c.isspace() or c in "\r\n,;<>" for c in address):
            raise ValidationError(f"recipients: {address!r} is not an e-mail address")
    return cleaned


def create_schedule(
    session: Session,
    *,
    name: str,
    recipients: list[str],
    period: str = "week",
    department_id: int | None = None,
    user: User | None = None,
    now: datetime | None = None,
) -> ReportSchedule:
    if not name.strip():
        raise ValidationError("name: give the schedule a name")
    if period not in PERIODS:
        raise ValidationError(f"period must be one of {', '.join(PERIODS)}")
    schedule = ReportSchedule(
        name=name.strip()[:200],
        recipients=_recipients(recipients),
        period=period,
        department_id=department_id,
        next_run_at=next_run(period, now or utcnow()),
        created_by=user.id if user is not None else None,
    )
    session.add(schedule)
    session.flush()
    return schedule


def delete_schedule(session: Session, schedule_id: int) -> None:
    schedule = session.get(ReportSchedule, schedule_id)
    if schedule is None:
        raise NotFoundError(f"no report schedule {schedule_id}")
    session.delete(schedule)


def list_schedules(session: Session) -> list[ReportSchedule]:
    return list(session.scalars(select(ReportSchedule).order_by(ReportSchedule.name)))


def send_due(store: Store, settings: Settings, *, now: datetime | None = None) -> int:
    """Mail every report whose time has come; returns how many schedules were sent.

    Each schedule is claimed first (its ``next_run_at`` moved on by a conditional UPDATE), so two
    runners at once send it once; a failure is kept in ``last_error`` and the next period tries again.
    """
    from voxpop.measure.rollups import ensure_fresh

    now = now or utcnow()
    ensure_fresh(store, now=now)
    sent = 0
    with store.read() as session:
        due = [
            (s.id, s.next_run_at)
            for s in session.scalars(select(ReportSchedule).where(ReportSchedule.next_run_at <= now))
        ]
    for schedule_id, was_due in due:
        with store.write() as session:
            schedule = session.get(ReportSchedule, schedule_id)
            if schedule is None:
                continue
            claimed = session.execute(
                update(ReportSchedule)
                .where(ReportSchedule.id == schedule_id, ReportSchedule.next_run_at == was_due)
                .values(next_run_at=next_run(schedule.period, now))
            )
            if claimed.rowcount != 1:  # type: ignore[attr-defined]
                continue
            recipients, period, department_id, name = (
                list(schedule.recipients),
                schedule.period,
                schedule.department_id,
                schedule.name,
            )
        error: str | None = None
        try:
            date_from, date_to = previous_period(period, now.date())
            with store.read() as session:
                report = build_report(
                    session,
                    None,
                    Slice(date_from, date_to, department_id=department_id),
                    settings=settings,
                    title=f"{name}: {date_from.isoformat()} – {date_to.isoformat()}",
                )
            html, text = render_html(report), render_text(report)
            with Mailer(settings) as mailer:
                for address in recipients:
                    mailer.send(Mail(to=address, subject=report.title, text=text, html=html))
            sent += 1
        except (MailError, ValidationError) as exc:
            error = str(exc)[:1000]
            log.warning("report schedule %s not sent: %s", schedule_id, error)
        with store.write() as session:
            schedule = session.get(ReportSchedule, schedule_id)
            if schedule is not None:
                schedule.last_error = error
                if error is None:
                    schedule.last_sent_at = now
    return sent
