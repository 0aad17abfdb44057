"""Domain errors mapped to HTTP once, with one JSON error shape for the API and an HTML page otherwise."""

from __future__ import annotations

import logging
import sqlite3
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import DataError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from voxpop.errors import (
    AuthenticationError,
    NotFoundError,
    NotUniqueError,
    PermissionDeniedError,
    ValidationError,
    VoxpopError,
)
from voxpop.store.failures import unavailable_reason
from voxpop.web.templating import render

log = logging.getLogger(__name__)

STATUS: dict[type[VoxpopError], int] = {
    NotFoundError: 404,
    PermissionDeniedError: 403,
    ValidationError: 422,
    NotUniqueError: 409,
    AuthenticationError: 401,
}


class LoginRequired(Exception):
    """A page was asked for without a live session: send the browser to the log-in page."""

    def __init__(self, next_path: str) -> None:
        self.next_path = next_path


def status_of(exc: VoxpopError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 400


def error_body(message: str, status: int, errors: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"ok": False, "error": message, "status": status}
    if errors:
        body["errors"] = errors
    return body


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def error_response(request: Request, message: str, status: int, errors: list[dict[str, Any]] | None = None) -> Response:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    if _is_api(request):
        return JSONResponse(error_body(message, status, errors), status_code=status, headers=headers)
    return render(request, "error.html", {"message": message, "status": status}, status_code=status)


def install(app: FastAPI) -> None:
    @app.exception_handler(VoxpopError)
    async def _domain(request: Request, exc: VoxpopError) -> Response:
        return error_response(request, str(exc), status_of(exc))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        errors = [
            {"field": ".".join(str(p) for p in e.get("loc", ())), "message": e.get("msg", "invalid")}
            for e in exc.errors()
        ]
        first = errors[0] if errors else {"field": "", "message": "invalid request"}
        return error_response(request, f"{first['field']}: {first['message']}", 422, errors)

    @app.exception_handler(OverflowError)
    @app.exception_handler(DataError)
    async def _bad_value(request: Request, exc: Exception) -> Response:
        # A value the database cannot hold: a number beyond 64 bits (an id of 10**40 in a path or a
        # filter), or a NUL byte in text, which PostgreSQL refuses. The client's mistake, not a server
        # error; the unit of work was rolled back (found by tests/security/test_sql_injection.py).
        return error_response(request, "a value in the request is out of range or contains a NUL character", 422)

    @app.exception_handler(OperationalError)
    @app.exception_handler(sqlite3.OperationalError)
    async def _store_unavailable(request: Request, exc: Exception) -> Response:
        # A locked or full database: the unit of work was rolled back whole; say so, and when to retry.
        reason = unavailable_reason(exc)
        if reason is None:
            raise exc  # any other database error: the server error handler logs it and answers 500
        log.warning("%s %s: %s", request.method, request.url.path, reason)
        response = error_response(request, reason, 503)
        response.headers["Retry-After"] = "5"
        return response

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        return error_response(request, str(exc.detail), exc.status_code)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        # Logged by the server; the client gets the same shape as every other error, and no details.
        return error_response(request, "internal error", 500)

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired) -> Response:
        return RedirectResponse("/login?" + urlencode({"next": exc.next_path}), status_code=303)
