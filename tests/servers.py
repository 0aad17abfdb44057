"""Real local servers for the tests: an SMTP server (aiosmtpd) that keeps what it receives, and an HTTP
server that records every request and answers what the test tells it to. Nothing outside this machine
is ever contacted, and no transport is mocked."""

from __future__ import annotations

import email
import email.policy
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from voxpop.settings import Settings

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class ReceivedMail:
    sender: str
    recipients: list[str]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    def part(self, subtype: str = "plain") -> str:
        """The decoded text/<subtype> part ('' when there is none)."""
        body = self.message.get_body(preferencelist=(subtype,))
        return "" if body is None else str(body.get_content())  # type: ignore[attr-defined]


class SmtpSink:
    """An SMTP server on 127.0.0.1 that keeps every mail it receives in ``messages``."""

    def __init__(self) -> None:
        self.messages: list[ReceivedMail] = []
        self._lock = threading.Lock()
        self.port = free_port()
        self.host = "127.0.0.1"
        self._controller = Controller(self, hostname=self.host, port=self.port)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        message = email.message_from_bytes(content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        with self._lock:
            self.messages.append(ReceivedMail(str(envelope.mail_from), list(envelope.rcpt_tos), message))
        return "250 OK"

    def start(self) -> SmtpSink:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def wait_for(self, count: int, timeout: float = 10.0) -> list[ReceivedMail]:
        """Wait until at least ``count`` mails arrived; returns them all."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            time.sleep(0.02)
        raise AssertionError(f"expected {count} mails, got {len(self.messages)}")

    def settings_overrides(self) -> dict[str, Any]:
        """Settings fields that point voxpop's mail at this server."""
        return {"smtp_host": self.host, "smtp_port": self.port, "smtp_security": "none"}


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Response:
    status: int = 200
    body: bytes | str | dict[str, Any] | list[Any] = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering (for timeout tests)


Route = Callable[[Request], Response]


class HttpSink:
    """An HTTP server on 127.0.0.1. ``routes[(method, path)]`` answers a request (a ``Response`` or a
    function of the ``Request``); anything else gets ``default``. Every request lands in ``requests``."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.routes: dict[tuple[str, str], Response | Route] = {}
        self.default = Response(200, b"ok")
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                request = Request(self.command, self.path, dict(self.headers.items()), self.rfile.read(length))
                sink.requests.append(request)
                path = self.path.split("?", 1)[0]
                route = sink.routes.get((self.command, self.path)) or sink.routes.get((self.command, path))
                answer = route(request) if callable(route) else (route or sink.default)
                if answer.delay:
                    time.sleep(answer.delay)
                body = answer.body
                content_type = "text/plain; charset=utf-8"
                if isinstance(body, (dict, list)):
                    body, content_type = json.dumps(body).encode(), "application/json"
                elif isinstance(body, str):
                    body = body.encode()
                self.send_response(answer.status)
                headers = {"Content-Type": content_type, **answer.headers}
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = int(self._server.server_address[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> HttpSink:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@contextmanager
def voxpop_server(settings: Settings, log_dir: Path, **env: str) -> Iterator[str]:
    """A real ``voxpop serve`` on a free port over ``settings``' database; ``env`` adds VOXPOP_* variables.
    Yields its URL; its output goes to a log file in ``log_dir`` (quoted when it fails to start)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    full_env = {
        **os.environ,
        "VOXPOP_HOME": str(settings.home),
        "VOXPOP_DATABASE_URL": settings.database_url,
        "VOXPOP_SECRET_KEY": settings.secret_key.get_secret_value(),
        "VOXPOP_BASE_URL": url,
        **env,
    }
    log_path = log_dir / f"server-{port}.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "voxpop", "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=full_env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            for _ in range(900):
                try:
                    if httpx.get(f"{url}/login", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
                if process.poll() is not None:
                    raise RuntimeError("voxpop serve exited: " + log_path.read_text())
            else:
                raise RuntimeError("voxpop serve did not start: " + log_path.read_text())
            yield url
        finally:
            process.terminate()
            process.wait(timeout=10)
