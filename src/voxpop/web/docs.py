"""The OpenAPI document and its Swagger UI page, both behind a log-in or an API token.

Swagger UI is vendored (no CDN) and started from a static script, so the strict CSP holds; its
stylesheet sets inline styles, so this one page allows them (scripts stay 'self' only).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse

from voxpop.web.auth import ApiCaller
from voxpop.web.security import CSP

router = APIRouter(prefix="/api", include_in_schema=False)
DOCS_CSP = CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
DOCS_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>voxpop API</title>
<link rel="stylesheet" href="/static/vendor/swagger-ui/swagger-ui.css"></head>
<body><div id="swagger-ui" data-url="/api/openapi.json"></div>
<script src="/static/vendor/swagger-ui/swagger-ui-bundle.js"></script>
<script src="/static/docs.js"></script></body></html>"""


@router.get("/openapi.json")
def openapi(request: Request, caller: ApiCaller) -> JSONResponse:
    schema: dict[str, Any] = request.app.openapi()
    return JSONResponse(schema)


@router.get("/docs")
def docs(caller: ApiCaller) -> HTMLResponse:
    return HTMLResponse(DOCS_HTML, headers={"Content-Security-Policy": DOCS_CSP})
