"""Live sources: the list with health, adding one (with its capability-matrix row), write-only
credentials, "poll now" — and the signed inbound webhook, which needs no login (its signature is the
credential) and answers JSON like the rest of /api/v1."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from voxpop.accounts.audit import record
from voxpop.accounts.permissions import require_admin
from voxpop.errors import PermissionDeniedError, ValidationError
from voxpop.ingest.live import service
from voxpop.ingest.live.catalogue import live_connector, live_connectors
from voxpop.ingest.live.scheduler import poll_source
from voxpop.ingest.live.webhook import receive
from voxpop.loop.ratelimit import RateLimited, TokenBucket
from voxpop.store import Store
from voxpop.store.models import Role, User
from voxpop.web.auth import PageUser, ReadDb, get_store
from voxpop.web.templating import render

router = APIRouter(include_in_schema=False)
StoreDep = Annotated[Store, Depends(get_store)]


def _require_manager(user: User) -> None:
    if user.role not in (Role.admin.value, Role.manager.value):
        raise PermissionDeniedError("only managers and admins can see the sources")


@router.get("/sources")
def sources_list(request: Request, user: PageUser, db: ReadDb) -> Response:
    _require_manager(user)
    context: dict[str, Any] = {"sources": service.health(db), "connectors": live_connectors()}
    return render(request, "sources/list.html", context)


@router.get("/sources/new")
def source_form(request: Request, user: PageUser, kind: str = "") -> Response:
    require_admin(user)
    connector = live_connector(kind) if kind else None
    context: dict[str, Any] = {"connectors": live_connectors(), "connector": connector, "values": {}, "error": ""}
    return render(request, "sources/new.html", context)


@router.post("/sources/new")
async def source_create(request: Request, user: PageUser, store: StoreDep) -> Response:
    require_admin(user)
    form = await request.form()
    kind = str(form.get("kind") or "")
    connector = live_connector(kind)
    values = {k: str(v) for k, v in form.items() if isinstance(v, str)}
    secret_names = {f.name for f in connector.fields if f.secret}
    config = {f.name: values.get(f.name, "") for f in connector.fields if not f.secret and values.get(f.name)}
    creds = {name: values[name] for name in secret_names if values.get(name)}
    try:
        interval = int(values.get("interval_minutes") or 0) * 60 or None
        with store.write() as session:
            source, webhook_secret = service.add_source(
                session, store.settings, name=values.get("name", ""), kind=kind, config=config,
                credentials=creds, interval_seconds=interval,
            )  # fmt: skip
            record(
                session,
                "source.create",
                user=user,
                object_type="source",
                object_id=source.id,
                kind=kind,
                name=source.name,
            )
            source_id = source.id
    except (ValidationError, ValueError) as exc:
        shown = {k: v for k, v in values.items() if k not in secret_names}
        context: dict[str, Any] = {
            "connectors": live_connectors(),
            "connector": connector,
            "values": shown,
            "error": str(exc),
        }
        return render(request, "sources/new.html", context, status_code=422)
    if webhook_secret:
        with store.read() as db:
            source_row, state = service.load(db, source_id)
        hook_url = f"{store.settings.base_url.rstrip('/')}/api/v1/hooks/sources/{source_id}"
        context = {
            "source": source_row,
            "state": state,
            "events": [],
            "connector": connector,
            "secret": webhook_secret,
            "hook_url": hook_url,
        }
        return render(request, "sources/detail.html", context, status_code=201)
    return RedirectResponse(f"/sources/{source_id}", status_code=303)


@router.get("/sources/{source_id}")
def source_detail(request: Request, source_id: int, user: PageUser, db: ReadDb, store: StoreDep) -> Response:
    _require_manager(user)
    source, state = service.load(db, source_id)
    connector = live_connector(source.kind)
    hook_url = f"{store.settings.base_url.rstrip('/')}/api/v1/hooks/sources/{source_id}" if connector.pushed else ""
    context: dict[str, Any] = {
        "source": source, "state": state, "connector": connector,
        "events": service.events(db, source_id), "secret": "", "hook_url": hook_url,
    }  # fmt: skip
    return render(request, "sources/detail.html", context)


@router.post("/sources/{source_id}/credentials")
async def source_credentials(request: Request, source_id: int, user: PageUser, store: StoreDep) -> Response:
    require_admin(user)
    form = await request.form()
    values = {k: str(v) for k, v in form.items() if isinstance(v, str) and k != "csrf_token" and str(v).strip()}
    with store.write() as session:
        service.set_credentials(session, store.settings, source_id, values)
        record(
            session, "source.credentials", user=user, object_type="source", object_id=source_id, changed=sorted(values)
        )
    return RedirectResponse(f"/sources/{source_id}", status_code=303)


@router.post("/sources/{source_id}/enabled")
async def source_enabled(request: Request, source_id: int, user: PageUser, store: StoreDep) -> Response:
    require_admin(user)
    form = await request.form()
    enabled = form.get("enabled") == "1"
    with store.write() as session:
        service.set_enabled(session, source_id, enabled)
        record(session, "source.enabled", user=user, object_type="source", object_id=source_id, enabled=enabled)
    return RedirectResponse(f"/sources/{source_id}", status_code=303)


@router.post("/sources/{source_id}/poll")
def source_poll(source_id: int, user: PageUser, store: StoreDep, background: BackgroundTasks) -> Response:
    _require_manager(user)
    with store.read() as db:
        service.load(db, source_id)
    background.add_task(poll_source, store, source_id)
    return RedirectResponse(f"/sources/{source_id}", status_code=303)


@router.post("/api/v1/hooks/sources/{source_id}")
async def webhook(request: Request, source_id: int, store: StoreDep, background: BackgroundTasks) -> Response:
    """No session, no token: the HMAC signature over timestamp, delivery id and body authenticates.

    Each source takes at most ``webhook_rate_burst`` deliveries at once and ``webhook_rate_per_minute``
    after that; beyond it the answer is 429 with ``Retry-After``, before the body is read or the store
    touched (so a flood costs the store nothing; a sender retrying on 429 loses nothing)."""
    try:
        _webhook_bucket(request).take(str(source_id))
    except RateLimited as exc:
        content = {"ok": False, "error": f"this webhook is rate-limited: {exc}", "status": 429}
        return JSONResponse(content, status_code=429, headers={"Retry-After": str(exc.retry_after)})
    body = await request.body()
    delivery = receive(store, source_id, request.headers, body)
    if delivery.added_ids and store.settings.analyze_on_ingest:
        from voxpop.workers.executor import get_executor
        from voxpop.workers.pipeline import run_pipeline

        background.add_task(run_pipeline, get_executor(store), delivery.added_ids)
    content = {
        "ok": True,
        "delivery": delivery.delivery_id,
        "added": len(delivery.added_ids),
        "duplicates": delivery.duplicates,
    }
    return JSONResponse(content, status_code=202)


def _webhook_bucket(request: Request) -> TokenBucket:
    """The app's per-source bucket for inbound webhooks, made from the settings on first use."""
    bucket: TokenBucket | None = getattr(request.app.state, "webhook_bucket", None)
    if bucket is None:
        settings = request.app.state.settings
        bucket = request.app.state.webhook_bucket = TokenBucket(
            settings.webhook_rate_burst, settings.webhook_rate_per_minute
        )
    return bucket
