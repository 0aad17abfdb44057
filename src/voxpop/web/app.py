"""The FastAPI application: pages, the REST API and the static files, over one store."""

from __future__ import annotations

import importlib
from importlib.resources import files

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from voxpop.settings import Settings, get_settings
from voxpop.store import Store
from voxpop.web import errors
from voxpop.web.security import RequestSizeLimit, SecurityHeaders

API_DESCRIPTION = (
    "Feedback items from every channel. Authenticate with `Authorization: Bearer <token>` "
    "(`voxpop token create`); scopes `items:read` and `items:write` (items), `metrics:read` (the CX metrics, "
    "`/api/v1/metrics`) and `ops:read` (the Prometheus endpoint `/metrics`). Errors are always "
    '`{"ok": false, "error": "...", "status": N}`.'
)

# Each module has a ``router``; an area adds its pages and API by adding its module here.
ROUTER_MODULES: tuple[str, ...] = (
    "voxpop.web.login",
    "voxpop.web.pages",
    "voxpop.web.api",
    "voxpop.web.metrics_api",  # /api/v1/metrics: CX metrics, series and change points from the roll-ups
    "voxpop.web.workflow_api",  # routing and the inbox workflow: PATCH items, notes, bulk, rules
    "voxpop.web.routing_pages",  # routing rules, the item's workflow panel, bulk actions, views, mentions
    "voxpop.web.docs",
    "voxpop.web.dashboard_pages",
    "voxpop.web.replies_pages",
    "voxpop.web.replies_api",
    "voxpop.web.sources_pages",  # live sources: list/health, add, credentials; the signed webhook
    "voxpop.web.public_pages",
    "voxpop.web.loop_pages",
    "voxpop.web.loop_api",
    "voxpop.web.idea_pages",
    "voxpop.web.invitation_pages",
    "voxpop.web.outreach_pages",
    "voxpop.web.alerts_pages",
    "voxpop.web.alerts_api",
    "voxpop.web.ops",
    "voxpop.web.insight_pages",  # trends and why, events, journey map, competitors, personas, business
    "voxpop.web.topics_pages",  # the store-wide topics and their items
    "voxpop.web.questions_pages",  # recurring questions: FAQ candidates
    "voxpop.web.questions_api",
    "voxpop.web.audit_pages",  # the audit log, for admins
)


def create_app(settings: Settings | None = None, store: Store | None = None) -> FastAPI:
    """The web app. It opens (and migrates) the store unless one is given."""
    settings = settings or (store.settings if store is not None else get_settings())
    store = store or Store(settings)
    app = FastAPI(
        title="voxpop",
        version="1",
        description=API_DESCRIPTION,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,  # served by voxpop.web.docs, behind authentication
    )
    app.state.settings = settings
    app.state.store = store
    app.add_middleware(SecurityHeaders, hsts=settings.cookie_secure)
    app.add_middleware(RequestSizeLimit, max_bytes=settings.max_request_bytes)
    app.mount("/static", StaticFiles(directory=str(files("voxpop.web") / "static")), name="static")
    errors.install(app)
    for name in ROUTER_MODULES:
        app.include_router(importlib.import_module(name).router)
    return app
