"""The FastAPI application: pages, the REST API and the static files, over one store."""

from __future__ import annotations

from importlib.resources import files

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from voxpop.settings import Settings, get_settings
from voxpop.store import Store
from voxpop.web import api, docs, errors, login, pages
from voxpop.web.security import SecurityHeaders

API_DESCRIPTION = (
    "Feedback items from every channel. Authenticate with `Authorization: Bearer <token>` "
    "(`voxpop token create`); scopes `items:read` and `items:write`. Errors are always "
    '`{"ok": false, "error": "...", "status": N}`.'
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
    app.mount("/static", StaticFiles(directory=str(files("voxpop.web") / "static")), name="static")
    errors.install(app)
    app.include_router(login.router)
    app.include_router(pages.router)
    app.include_router(api.router)
    app.include_router(docs.router)
    return app
