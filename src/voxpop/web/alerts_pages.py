"""Alert rules, destinations and the alert history: managers only."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from starlette.datastructures import FormData

from voxpop.act.alerts.access import require_manager
from voxpop.act.alerts.destinations import (
    TRANSPORTS,
    create_destination,
    list_destinations,
    set_destination_enabled,
    webhook_secret,
)
from voxpop.act.alerts.rules import PARAMS, RuleKind, create_rule, get_rule, list_rules, update_rule
from voxpop.errors import ValidationError, VoxpopError
from voxpop.settings import Settings
from voxpop.store import Store
from voxpop.store.models.outreach import Alert, AlertDelivery, AlertDestination, AlertRule
from voxpop.web.auth import PageUser, ReadDb, get_settings, get_store
from voxpop.web.templating import render

router = APIRouter(include_in_schema=False)
StoreDep = Annotated[Store, Depends(get_store)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
PARAM_NAMES = ("threshold", "stars", "keywords", "window_hours", "days", "k", "min_count", "risk", "rating_burst")
HISTORY = 100


def params_from(form: FormData, kind: str) -> dict[str, Any]:
    """The rule's parameters from the form's ``p_<name>`` fields that this kind has."""
    fields = PARAMS[kind].model_fields if kind in PARAMS else {}
    params: dict[str, Any] = {}
    for name in fields:
        value = str(form.get(f"p_{name}") or "").strip()
        if not value:
            continue
        params[name] = [w for w in re.split(r"[,\n]", value) if w.strip()] if name == "keywords" else value
    return params


def _ids(form: FormData) -> list[int]:
    values = [str(v) for v in form.getlist("destination_id")]
    if not all(v.isdigit() for v in values):
        raise ValidationError("destination_id must be a destination's id")
    return [int(v) for v in values]


def _page(
    request: Request,
    db: Any,
    *,
    error: str = "",
    values: dict[str, Any] | None = None,
    status: int = 200,
    secret: str | None = None,
) -> Response:
    context = {
        "active": "alerts",
        "rules": list_rules(db),
        "destinations": list_destinations(db),
        "kinds": [k.value for k in RuleKind],
        "transports": list(TRANSPORTS),
        "param_names": PARAM_NAMES,
        "error": error,
        "values": values or {},
        "secret": secret,
    }
    response = render(request, "alerts.html", context, status_code=status)
    if secret:
        response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/alerts")
def alerts_page(request: Request, user: PageUser, db: ReadDb) -> Response:
    require_manager(user)
    return _page(request, db)


@router.post("/alerts/rules")
async def rule_create(request: Request, user: PageUser, store: StoreDep, db: ReadDb) -> Response:
    require_manager(user)
    form = await request.form()
    kind = str(form.get("kind") or "")
    try:
        with store.write() as session:
            create_rule(
                session,
                user,
                name=str(form.get("name") or ""),
                kind=kind,
                params=params_from(form, kind),
                destination_ids=_ids(form),
                enabled=form.get("enabled") == "yes",
            )
    except VoxpopError as exc:
        return _page(request, db, error=str(exc), values=dict(form.items()), status=422)
    return RedirectResponse("/alerts?saved=1", status_code=303)


@router.get("/alerts/rules/{rule_id}")
def rule_page(request: Request, rule_id: int, user: PageUser, db: ReadDb) -> Response:
    require_manager(user)
    rule = get_rule(db, rule_id)
    return render(request, "alert_rule.html", _rule_context(db, rule))


def _rule_context(db: Any, rule: AlertRule, error: str = "") -> dict[str, Any]:
    return {
        "active": "alerts",
        "rule": rule,
        "fields": list(PARAMS[rule.kind].model_fields),
        "destinations": list_destinations(db),
        "error": error,
    }


@router.post("/alerts/rules/{rule_id}")
async def rule_update(request: Request, rule_id: int, user: PageUser, store: StoreDep, db: ReadDb) -> Response:
    require_manager(user)
    form = await request.form()
    rule = get_rule(db, rule_id)
    try:
        with store.write() as session:
            update_rule(
                session,
                user,
                rule_id,
                name=str(form.get("name") or rule.name),
                params=params_from(form, rule.kind),
                destination_ids=_ids(form),
                enabled=form.get("enabled") == "yes",
            )
    except VoxpopError as exc:
        return render(request, "alert_rule.html", _rule_context(db, rule, str(exc)), status_code=422)
    return RedirectResponse("/alerts?saved=1", status_code=303)


@router.post("/alerts/destinations")
async def destination_create(
    request: Request, user: PageUser, store: StoreDep, db: ReadDb, settings: SettingsDep
) -> Response:
    require_manager(user)
    form = await request.form()
    limit = str(form.get("max_per_hour") or "10")
    try:
        if not limit.isdigit():
            raise ValidationError("max_per_hour must be a whole number")
        with store.write() as session:
            destination = create_destination(
                session,
                user,
                settings,
                name=str(form.get("name") or ""),
                kind=str(form.get("kind") or ""),
                target=str(form.get("target") or ""),
                max_per_hour=int(limit),
                secret=str(form.get("secret") or ""),
            )
            secret = webhook_secret(settings, destination)
    except VoxpopError as exc:
        return _page(request, db, error=str(exc), values=dict(form.items()), status=422)
    if secret:  # shown once, so the receiver can verify the signatures
        return _page(request, db, secret=secret)
    return RedirectResponse("/alerts?saved=1", status_code=303)


@router.post("/alerts/destinations/{destination_id}/enabled")
async def destination_toggle(request: Request, destination_id: int, user: PageUser, store: StoreDep) -> Response:
    require_manager(user)
    form = await request.form()
    with store.write() as session:
        set_destination_enabled(session, user, destination_id, form.get("enabled") == "yes")
    return RedirectResponse("/alerts", status_code=303)


@router.get("/alerts/history")
def history(request: Request, user: PageUser, db: ReadDb) -> Response:
    require_manager(user)
    rows = db.execute(select(Alert, AlertRule).join(AlertRule).order_by(Alert.id.desc()).limit(HISTORY)).all()
    ids = [alert.id for alert, _ in rows]
    deliveries: dict[int, list[tuple[AlertDelivery, str]]] = {i: [] for i in ids}
    if ids:
        for delivery, name in db.execute(
            select(AlertDelivery, AlertDestination.name)
            .join(AlertDestination)
            .where(AlertDelivery.alert_id.in_(ids))
            .order_by(AlertDelivery.id)
        ):
            deliveries[delivery.alert_id].append((delivery, name))
    return render(request, "alert_history.html", {"active": "alerts", "rows": rows, "deliveries": deliveries})
