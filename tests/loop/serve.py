"""A real ``voxpop serve`` on a free port for the loop's browser tests, with extra settings."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from voxpop.settings import Settings

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def voxpop_server(settings: Settings, log_dir: Path, **env: str) -> Iterator[str]:
    """Start ``voxpop serve`` over ``settings``' database; ``env`` adds VOXPOP_* variables. Yields its URL."""
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
