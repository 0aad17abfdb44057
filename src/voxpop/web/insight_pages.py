"""Insight pages: /trends, /events, /journey, /competitors, /personas, /business.

Thin shells over ``voxpop.measure`` (trends, events, journey, competitors, personas, business); every
number drills down to the items behind it through ``/inbox`` filters or the items themselves.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from voxpop.accounts.audit import record
from voxpop.errors import ValidationError
from voxpop.measure import business, competitors, events, journey, personas, trends
from voxpop.measure.daily_series import METRIC_LABELS, METRICS
from voxpop.measure.rollups import ensure_fresh
from voxpop.store import Store
from voxpop.store.models import Role
from voxpop.web.auth import PageUser, ReadDb, get_store
from voxpop.web.insight_charts import journey_picture, line_chart
from voxpop.web.templating import render

router = APIRouter(include_in_schema=False)
MAX_UPLOAD = 5 * 1024 * 1024


def _text(params: Mapping[str, str], name: str) -> str | None:
    return params.get(name, "").strip() or None


def _date(params: Mapping[str, str], name: str) -> date | None:
    value = _text(params, name)
    try:
        return date.fromisoformat(value) if value else None
    except ValueError as exc:
        raise ValidationError(f"{name}: '{value}' is not a date (YYYY-MM-DD)") from exc


def inbox_link(**filters: object) -> str:
    """A link to the inbox narrowed to the items behind a number."""
    clean = {k: str(v) for k, v in filters.items() if v not in (None, "")}
    return "/inbox?" + urlencode(clean)


def _is_manager(user: Any) -> bool:
    return bool(user.role in (Role.admin.value, Role.manager.value))


def _fresh(store: Store, db: Session) -> None:
    """Bring the roll-ups up to date, then end the read transaction so that they are seen (the dashboard's rule)."""
    ensure_fresh(store)
    db.rollback()


@router.get("/trends")
def trends_page(request: Request, user: PageUser, db: ReadDb, store: Annotated[Store, Depends(get_store)]) -> Response:
    params = request.query_params
    metric = _text(params, "metric") or "negative_share"
    if metric not in METRICS:
        raise ValidationError(f"metric: '{metric}' is not one of {', '.join(METRICS)}")
    location, channel = _text(params, "location"), _text(params, "channel")
    _fresh(store, db)
    report = trends.trend_report(
        db,
        user,
        metric,
        start=_date(params, "date_from"),
        end=_date(params, "date_to"),
        location=location,
        channel=channel,
    )
    marked = events.list_events(db, start=report.start, end=report.end)
    chart = line_chart(report.series, report.changes, marked)

    def drill(change: Any, dimension: str | None = None, segment: str | None = None) -> str:
        filters: dict[str, object] = {
            "date_from": change.day,
            "date_to": change.after_to,
            "location": location,
            "channel": channel,
        }
        if metric == "negative_share" and change.delta > 0:
            filters["sentiment"] = "negative"
        if dimension in ("location", "channel", "aspect"):
            filters[dimension] = segment
        return inbox_link(**filters)

    return render(
        request,
        "insight/trends.html",
        {
            "active": "trends",
            "report": report,
            "chart": chart,
            "events": marked,
            "metrics": [(m, METRIC_LABELS[m]) for m in METRICS],
            "values": {k: params.get(k, "") for k in ("metric", "date_from", "date_to", "location", "channel")}
            | {"metric": metric},
            "drill": drill,
        },
    )


@router.get("/events")
def events_page(request: Request, user: PageUser, db: ReadDb) -> Response:
    return render(
        request,
        "insight/events.html",
        {"active": "events", "events": events.list_events(db), "kinds": events.KINDS, "can_edit": _is_manager(user)},
    )


@router.post("/events")
async def add_event(request: Request, user: PageUser, store: Annotated[Store, Depends(get_store)]) -> Response:
    form = await request.form()

    def field(name: str) -> str:
        value = form.get(name)
        return value.strip() if isinstance(value, str) else ""

    starts = field("starts_on")
    ends = field("ends_on")
    try:
        starts_on = date.fromisoformat(starts)
        ends_on = date.fromisoformat(ends) if ends else None
    except ValueError as exc:
        raise ValidationError("starts_on / ends_on: dates as YYYY-MM-DD") from exc
    with store.write() as s:
        event = events.add_event(
            s,
            s.merge(user),
            name=field("name"),
            kind=field("kind") or "other",
            starts_on=starts_on,
            ends_on=ends_on,
            location=field("location") or None,
            description=field("description"),
        )
        event_id = event.id
    return RedirectResponse(f"/events/{event_id}", status_code=303)


@router.get("/events/{event_id}")
def event_page(request: Request, event_id: int, user: PageUser, db: ReadDb) -> Response:
    event = events.get_event(db, event_id)
    raw_window = _text(request.query_params, "window") or str(events.WINDOW_DAYS)
    if not raw_window.isdigit():
        raise ValidationError(f"window: '{raw_window}' is not a whole number of days")
    window = int(raw_window)
    found = events.reaction(db, user, event, window=window)
    return render(
        request,
        "insight/event.html",
        {
            "active": "events",
            "event": event,
            "reaction": found,
            "window": window,
            "can_edit": _is_manager(user),
            "before_link": inbox_link(
                date_from=found.before_from,
                date_to=event.starts_on.fromordinal(event.starts_on.toordinal() - 1),
                location=event.location,
            ),
            "after_link": inbox_link(date_from=event.starts_on, date_to=found.after_to, location=event.location),
        },
    )


@router.post("/events/{event_id}/delete")
def delete_event(event_id: int, user: PageUser, store: Annotated[Store, Depends(get_store)]) -> Response:
    with store.write() as s:
        events.delete_event(s, s.merge(user), event_id)
    return RedirectResponse("/events", status_code=303)


@router.get("/journey")
def journey_page(request: Request, user: PageUser, db: ReadDb, store: Annotated[Store, Depends(get_store)]) -> Response:
    params = request.query_params
    start, end = _date(params, "date_from"), _date(params, "date_to")
    location = _text(params, "location")
    _fresh(store, db)
    view = journey.journey_view(db, user, start=start, end=end, location=location)
    base = {"date_from": start, "date_to": end, "location": location}
    links = [
        [
            inbox_link(aspect=p.aspects[0] if len(p.aspects) == 1 else None, sentiment="negative", **base)
            if p.aspects
            else "/inbox"
            for p in stage.touchpoints
        ]
        for stage in view.stages
    ]
    issue_link = {
        a: inbox_link(aspect=a, sentiment="negative", **base)
        for s in view.stages
        for p in s.touchpoints
        for a in p.aspects
    }
    picture = journey_picture(view, links, [inbox_link(**base) for _ in view.stages])
    return render(
        request,
        "insight/journey.html",
        {
            "active": "journey",
            "view": view,
            "picture": picture,
            "issue_link": issue_link,
            "values": {k: params.get(k, "") for k in ("date_from", "date_to", "location")},
            "can_edit": _is_manager(user),
            "map_text": journey.dump_map(journey.load_map(db)),
            "quote_scan": f"{journey.QUOTE_SCAN:,}",
        },
    )


@router.post("/journey/map")
async def save_journey_map(request: Request, user: PageUser, store: Annotated[Store, Depends(get_store)]) -> Response:
    form = await request.form()
    text = form.get("map")
    with store.write() as s:
        journey.save_map(s, s.merge(user), journey.parse_map(text if isinstance(text, str) else ""))
    return RedirectResponse("/journey?saved=1", status_code=303)


@router.get("/competitors")
def competitors_page(
    request: Request, user: PageUser, db: ReadDb, store: Annotated[Store, Depends(get_store)]
) -> Response:
    params = request.query_params
    start, end = _date(params, "date_from"), _date(params, "date_to")
    _fresh(store, db)
    found = competitors.competitor_benchmark(db, user, start=start, end=end)
    return render(
        request,
        "insight/competitors.html",
        {
            "active": "competitors",
            "bench": found,
            "own": competitors.OWN,
            "sources": competitors.sources_for_marking(db) if user.role in ("admin", "manager") else [],
            "values": {k: params.get(k, "") for k in ("date_from", "date_to")},
        },
    )


@router.post("/competitors/sources")
async def mark_competitor(request: Request, user: PageUser, store: Annotated[Store, Depends(get_store)]) -> Response:
    """Mark a source as a competitor's (``brand`` given) or as ours again (``brand`` empty)."""
    form = await request.form()
    source_id, brand = form.get("source_id"), form.get("brand")
    if not isinstance(source_id, str) or not source_id.isdigit():
        raise ValidationError("source_id: choose a source")
    with store.write() as s:
        competitors.set_competitor(
            s, s.merge(user), int(source_id), brand.strip() if isinstance(brand, str) and brand.strip() else None
        )
    return RedirectResponse("/competitors", status_code=303)


@router.get("/personas")
def personas_page(request: Request, user: PageUser, db: ReadDb) -> Response:
    """The personas as last computed in the background for the viewer's scope (the page never fits them)."""
    found = personas.stored(db, user)
    return render(
        request,
        "insight/personas.html",
        {
            "active": "personas",
            "found": found,
            "result": found.result if found else None,
            "period_days": personas.PERIOD_DAYS,
            "every_minutes": personas.REFRESH_SECONDS // 60,
        },
    )


@router.get("/business")
def business_page(request: Request, user: PageUser, db: ReadDb) -> Response:
    table = business.monthly_table(db, user)
    correlations = [
        business.correlate(db, user, metric, by=by)
        for metric in business.METRICS
        for by in ("period", "location", "customer")
    ]
    return render(
        request,
        "insight/business.html",
        {
            "active": "business",
            "table": table,
            "metrics": business.METRICS,
            "labels": business.LABELS,
            "correlations": [c for c in correlations if c.n],
            "caveat": business.CAVEAT,
            "can_edit": _is_manager(user),
            "imported": _text(request.query_params, "imported"),
            "month_link": lambda m: inbox_link(date_from=m, date_to=business._month_end(m)),
        },
    )


@router.post("/business/import")
async def business_import(request: Request, user: PageUser, store: Annotated[Store, Depends(get_store)]) -> Response:
    if not _is_manager(user):
        from voxpop.errors import PermissionDeniedError

        raise PermissionDeniedError("only a manager or an admin can import business metrics")
    form = await request.form()
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise ValidationError("file: choose a CSV file")
    data = await upload.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        raise ValidationError(f"file: at most {MAX_UPLOAD // (1024 * 1024)} MB")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationError(f"{upload.filename}: not UTF-8 text") from exc
    rows = business.parse_csv(text, name=upload.filename or "the file")
    with store.write() as s:
        count = business.import_rows(s, rows)
        record(s, "business.import", user=user, object_type="business_metrics", file=upload.filename, values=count)
    return RedirectResponse(f"/business?imported={count}", status_code=303)
