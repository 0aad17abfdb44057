"""The dashboard (``/dashboard``), its CSV export, and the reports page (``/reports``)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from voxpop.accounts.audit import record
from voxpop.act.departments import list_departments
from voxpop.errors import PermissionDeniedError, ValidationError
from voxpop.measure.cache import remember
from voxpop.measure.cell_dimensions import MONTHLY
from voxpop.measure.export import overview_tables, to_csv
from voxpop.measure.metrics import format_minutes
from voxpop.measure.overview import (
    PERIODS,
    ChangePoint,
    Overview,
    build_overview,
    change_points,
    inbox_link,
    period_slice,
)
from voxpop.measure.reports import (
    Report,
    build_report,
    create_schedule,
    delete_schedule,
    list_schedules,
    render_html,
    render_pdf,
)
from voxpop.measure.rollups import ensure_fresh, pending_days
from voxpop.measure.series import TREND_COUNTERS, Slice, series
from voxpop.settings import Settings
from voxpop.store import Store
from voxpop.store.models import Role, Source, User
from voxpop.store.models.measure import DailyCell
from voxpop.store.types import utcnow
from voxpop.web.auth import PageUser, ReadDb, get_settings, get_store
from voxpop.web.templating import render

router = APIRouter(include_in_schema=False)
MIN_CHANGE_DAYS = 7  # a change needs a week of data on each side
MAX_CHANGE_DAYS = 92  # longer periods: the trends page (the permutation test costs ~0.6 s a year here)
FILTERS = ("period", "date_from", "date_to", "channel", "location", "department_id")


def _text(params: Mapping[str, str], name: str) -> str | None:
    return params.get(name, "").strip() or None


def _date(params: Mapping[str, str], name: str) -> date | None:
    value = _text(params, name)
    try:
        return date.fromisoformat(value) if value else None
    except ValueError as exc:
        raise ValidationError(f"{name}: '{value}' is not a date (YYYY-MM-DD)") from exc


def _int(params: Mapping[str, str], name: str) -> int | None:
    value = _text(params, name)
    if value is None:
        return None
    if not value.isdigit():
        raise ValidationError(f"{name}: '{value}' is not a whole number")
    return int(value)


def parse_slice(params: Mapping[str, str], today: date) -> Slice:
    """The dashboard's filters from a query string; ValidationError names the bad parameter."""
    return period_slice(
        today,
        _text(params, "period") or "30d",
        _date(params, "date_from"),
        _date(params, "date_to"),
        channel=_text(params, "channel"),
        location=_text(params, "location"),
        department_id=_int(params, "department_id"),
    )


def _choices(db: Session, user: User) -> dict[str, Any]:
    """The filter form's options, from small tables (the locations come from :func:`_locations`)."""
    departments = list_departments(db)
    if not user.sees_all_departments:
        departments = [d for d in departments if d.id in user.department_ids]
    return {
        "periods": list(PERIODS),
        "channels": sorted(set(db.scalars(select(Source.channel)))),
        "locations": [],
        "departments": departments,
    }


def _locations(db: Session, user: User, s: Slice) -> list[str]:
    """The locations of the period's months, from the month cells (one row per month, not per day)."""
    query = (
        select(DailyCell.value)
        .distinct()
        .where(
            DailyCell.dimension == MONTHLY + "location",
            DailyCell.day >= s.date_from.replace(day=1),
            DailyCell.day <= s.date_to,
        )
        .order_by(DailyCell.value)
    )
    if not user.sees_all_departments:
        query = query.where(DailyCell.department_id.in_(user.department_ids))
    locations = list(db.scalars(query))
    if s.location and s.location not in locations:
        locations.append(s.location)
    return locations


def trend_chart(overview: Overview, marks: list[date] | None = None) -> str:
    """The trend chart's data for ``static/charts.js`` (a data attribute, never an inline script)."""
    points = overview.trend
    return json.dumps(
        {
            "type": "trend",
            "labels": [p.start.isoformat() for p in points],
            "links": [overview.point_link(p) for p in points],
            "marks": sorted(
                {
                    i
                    for i, p in enumerate(points)
                    for day in marks or []
                    if p.start <= day <= overview.bucket_end(p.start)
                }
            ),
            "series": [
                {"label": "Feedback", "kind": "bar", "axis": "count", "data": [p.metrics.volume for p in points]},
                {
                    "label": "Sentiment index",
                    "kind": "line",
                    "axis": "index",
                    "data": [_round(p.metrics.sentiment.shown) for p in points],
                },
                {
                    "label": "Average rating (★)",
                    "kind": "line",
                    "axis": "stars",
                    "data": [_round(p.metrics.stars, 2) for p in points],
                },
            ],
        }
    )


def platform_chart(overview: Overview) -> str:
    rated = [(channel, m) for channel, m in overview.platforms if m.totals.rated]
    return json.dumps(
        {
            "type": "bars",
            "labels": [channel for channel, _ in rated],
            "links": [inbox_link(overview.slice, channel=channel) for channel, _ in rated],
            "series": [
                {
                    "label": "Average rating (★)",
                    "kind": "bar",
                    "axis": "stars",
                    "data": [_round(m.stars, 2) for _, m in rated],
                }
            ],
        }
    )


def fmt(value: float | None, digits: int = 1, unit: str = "") -> str:
    """A number for a table cell ("–" when there is none or too few answers)."""
    return "–" if value is None else f"{value:.{digits}f}{unit}"


def _round(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


def _computed(db: Session, user: User, s: Slice, settings: Settings) -> tuple[Overview, list[ChangePoint], list[str]]:
    """What the dashboard page reads from the roll-ups for this slice (cached while they are unchanged):
    only the counters it shows (see ``build_overview``)."""
    min_n = settings.metrics_min_sample
    if not 2 * MIN_CHANGE_DAYS <= s.days <= MAX_CHANGE_DAYS:
        return build_overview(db, user, s, min_n=min_n, shown_only=True), [], _locations(db, user, s)
    # The change-point test needs the day series: read it once, and sum the trend's weeks from it.
    daily = series(db, user, s, grain="day", min_n=min_n, counters=TREND_COUNTERS)
    overview = build_overview(db, user, s, min_n=min_n, shown_only=True, daily=daily)
    return overview, change_points(db, user, s, daily), _locations(db, user, s)


def _cached(
    db: Session, user: User, store: Store, settings: Settings, s: Slice, departments: list[Any]
) -> tuple[Overview, list[ChangePoint], list[str]]:
    """:func:`_computed`, kept until the roll-ups change, per viewer scope and department names."""
    scope = None if user.sees_all_departments else tuple(sorted(user.department_ids))
    names = tuple((d.id, d.name) for d in departments)
    key = ("dashboard", s, settings.metrics_min_sample, scope, names)
    return remember(store, db, key, lambda: _computed(db, user, s, settings))


def _context(request: Request, db: Session, user: User, store: Store, settings: Settings) -> dict[str, Any]:
    params = request.query_params
    values = {name: params.get(name, "").strip() for name in FILTERS}
    context: dict[str, Any] = {"values": values, "active": "dashboard", "error": ""}
    try:
        s = parse_slice(params, utcnow().date())
    except ValidationError as exc:
        context.update(_choices(db, user), error=str(exc), overview=None)
        return context
    ensure_fresh(store)
    db.rollback()  # end the read transaction the log-in check began, so the fresh roll-ups are seen
    choices = _choices(db, user)
    overview, changes, locations = _cached(db, user, store, settings, s, choices["departments"])
    context.update(choices, locations=locations)
    context.update(
        pending=pending_days(db),
        overview=overview,
        trend_chart=trend_chart(overview, [c.day for c in changes]),
        platform_chart=platform_chart(overview),
        changes=changes,
        inbox_link=inbox_link,
        export_query=request.url.query,
        has_ratings=any(m.totals.rated for _, m in overview.platforms),
        fmt=fmt,
        minutes=format_minutes,
    )
    return context


@router.get("/dashboard")
def dashboard(
    request: Request,
    user: PageUser,
    db: ReadDb,
    store: Annotated[Store, Depends(get_store)],
    settings: Annotated[Settings, Depends(get_settings)],
) -> Response:
    context = _context(request, db, user, store, settings)
    return render(request, "dashboard.html", context, status_code=422 if context["error"] else 200)


@router.get("/dashboard/export/{table}.csv")
def dashboard_csv(
    request: Request,
    table: str,
    user: PageUser,
    db: ReadDb,
    store: Annotated[Store, Depends(get_store)],
    settings: Annotated[Settings, Depends(get_settings)],
) -> Response:
    """One table of the dashboard as CSV (cells that a spreadsheet would run as a formula are defused)."""
    s = parse_slice(request.query_params, utcnow().date())
    ensure_fresh(store)
    db.rollback()
    # Every metric of every table: the full overview, not the page's (which sums only what it shows).
    departments = _choices(db, user)["departments"]
    scope = None if user.sees_all_departments else tuple(sorted(user.department_ids))
    key = ("dashboard-export", s, settings.metrics_min_sample, scope, tuple((d.id, d.name) for d in departments))
    overview = remember(store, db, key, lambda: build_overview(db, user, s, min_n=settings.metrics_min_sample))
    tables = overview_tables(overview)
    if table not in tables:
        raise ValidationError(f"no table {table!r}; tables: {', '.join(tables)}")
    header, rows = tables[table]
    filename = f"voxpop-{table}-{s.date_from.isoformat()}-{s.date_to.isoformat()}.csv"
    with store.write() as session:
        record(session, "dashboard.export", user=user, object_type="csv", object_id=filename)
    return Response(
        to_csv(header, rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


# Reports ---------------------------------------------------------------------------------------------

REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"


def _report(request: Request, db: Session, user: User, store: Store, settings: Settings) -> Report:
    s = parse_slice(request.query_params, utcnow().date())
    ensure_fresh(store)
    db.rollback()
    return build_report(db, user, s, settings=settings)


def _may_schedule(user: User) -> bool:
    return user.role in (Role.admin.value, Role.manager.value)


@router.get("/reports")
def reports_page(request: Request, user: PageUser, db: ReadDb) -> Response:
    params = request.query_params
    values = {name: params.get(name, "").strip() for name in FILTERS}
    error = ""
    try:
        parse_slice(params, utcnow().date())
    except ValidationError as exc:
        error = str(exc)
    context: dict[str, Any] = {
        "values": values,
        "query": request.url.query,
        "error": error,
        "active": "reports",
        "may_schedule": _may_schedule(user),
        "schedules": list_schedules(db) if _may_schedule(user) else [],
        "all_departments": list_departments(db),
        "saved": params.get("saved", ""),
    }
    context.update(_choices(db, user))
    return render(request, "reports.html", context, status_code=422 if error else 200)


@router.get("/reports/view")
def report_view(
    request: Request,
    user: PageUser,
    db: ReadDb,
    store: Annotated[Store, Depends(get_store)],
    settings: Annotated[Settings, Depends(get_settings)],
) -> Response:
    """The report as its self-contained page: inline styles and SVG, no script (its own strict CSP)."""
    html = render_html(_report(request, db, user, store, settings))
    return HTMLResponse(html, headers={"Content-Security-Policy": REPORT_CSP})


@router.get("/reports/report.{fmt}")
def report_download(
    request: Request,
    fmt: str,
    user: PageUser,
    db: ReadDb,
    store: Annotated[Store, Depends(get_store)],
    settings: Annotated[Settings, Depends(get_settings)],
) -> Response:
    """The report as a file: ``report.html`` or ``report.pdf`` (printed by headless Chromium)."""
    if fmt not in ("html", "pdf"):
        raise ValidationError("a report is html or pdf")
    report = _report(request, db, user, store, settings)
    html = render_html(report)
    s = report.overview.slice
    name = f"voxpop-report-{s.date_from.isoformat()}-{s.date_to.isoformat()}.{fmt}"
    with store.write() as session:
        record(session, "report.download", user=user, object_type="report", object_id=name)
    headers = {"Content-Disposition": f'attachment; filename="{name}"', "Content-Security-Policy": REPORT_CSP}
    if fmt == "html":
        return Response(html, media_type="text/html; charset=utf-8", headers=headers)
    return Response(render_pdf(html), media_type="application/pdf", headers=headers)


@router.post("/reports/schedules")
async def schedule_create(request: Request, user: PageUser, store: Annotated[Store, Depends(get_store)]) -> Response:
    if not _may_schedule(user):
        raise PermissionDeniedError("only managers and admins schedule reports")
    form = await request.form()
    department = str(form.get("department_id") or "")
    if department and not department.isdigit():
        raise ValidationError("department_id must be a department's id")
    recipients = str(form.get("recipients") or "").replace(";", ",").replace("\n", ",").split(",")
    with store.write() as session:
        schedule = create_schedule(
            session,
            name=str(form.get("name") or ""),
            recipients=recipients,
            period=str(form.get("period") or "week"),
            department_id=int(department) if department else None,
            user=user,
        )
        record(session, "report.schedule.create", user=user, object_type="report_schedule", object_id=schedule.id)
    return RedirectResponse("/reports?saved=1", status_code=303)


@router.post("/reports/schedules/{schedule_id}/delete")
async def schedule_delete(schedule_id: int, user: PageUser, store: Annotated[Store, Depends(get_store)]) -> Response:
    if not _may_schedule(user):
        raise PermissionDeniedError("only managers and admins schedule reports")
    with store.write() as session:
        delete_schedule(session, schedule_id)
        record(session, "report.schedule.delete", user=user, object_type="report_schedule", object_id=schedule_id)
    return RedirectResponse("/reports", status_code=303)
