"""The OpenAPI document and its Swagger UI page, both behind a log-in or an API token.

Swagger UI is vendored (no CDN) and started from a static script, so the strict CSP holds; its
stylesheet sets inline styles, so this one page allows them (scripts stay 'self' only).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse

from voxpop.errors import AuthenticationError
from voxpop.web.auth import ApiCaller, Principal, ReadDb, api_principal
from voxpop.web.errors import LoginRequired
from voxpop.web.security import CSP

router = APIRouter(prefix="/api", include_in_schema=False)
DOCS_CSP = CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
DOCS_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>voxpop API</title>
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/static/vendor/swagger-ui/swagger-ui.css"></head>
<body><div id="swagger-ui" data-url="/api/openapi.json"></div>
<script src="/static/vendor/swagger-ui/swagger-ui-bundle.js"></script>
<script src="/static/docs.js"></script></body></html>"""


@router.get("/openapi.json")
def openapi(request: Request, caller: ApiCaller) -> JSONResponse:
    schema: dict[str, Any] = request.app.openapi()
    return JSONResponse(schema)


def docs_reader(request: Request, db: ReadDb) -> Principal:
    """Like any API call, but a browser that is not logged in is sent to the log-in page."""
    try:
        return api_principal(request, db)
    except AuthenticationError:
        if "text/html" in request.headers.get("accept", ""):
            raise LoginRequired("/api/docs") from None
        raise


@router.get("/docs")
def docs(caller: Annotated[Principal, Depends(docs_reader)]) -> HTMLResponse:
    return HTMLResponse(DOCS_HTML, headers={"Content-Security-Policy": DOCS_CSP})
