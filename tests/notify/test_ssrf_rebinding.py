"""DNS rebinding: a name that resolves to a public address for the SSRF check and to 127.0.0.1 a moment
later must not reach the machine behind the firewall — every outbound client connects to the address it
checked. DNS is outside the machine, so the resolver is replaced (``socket.getaddrinfo``) by one that
answers differently on its second call; the "private" target is a real local HTTP server."""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.servers import HttpSink
from voxpop.errors import ValidationError
from voxpop.ingest.live.errors import SourceError
from voxpop.ingest.live.http import LiveClient
from voxpop.notify.urls import check_outbound_url, pinned_client
from voxpop.notify.webhook import PostError, post_json
from voxpop.settings import Settings

NAME = "rebind.example"
PUBLIC = "93.184.215.14"  # a global address; nothing listens on the sink's port there
_real_getaddrinfo = socket.getaddrinfo


class Resolver:
    """Answers ``NAME`` with ``answers[0]`` first, then ``answers[1]`` forever; IP literals resolve as usual."""

    def __init__(self, *answers: str) -> None:
        self.answers = answers
        self.calls = 0

    def __call__(self, host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host != NAME:
            return _real_getaddrinfo(host, port, *args, **kwargs)
        address = self.answers[min(self.calls, len(self.answers) - 1)]
        self.calls += 1
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, port or 0))]


@pytest.fixture
def rebinding(monkeypatch: pytest.MonkeyPatch) -> Callable[..., Resolver]:
    def install(*answers: str) -> Resolver:
        resolver = Resolver(*answers)
        monkeypatch.setattr(socket, "getaddrinfo", resolver)
        return resolver

    return install


def _url(sink: HttpSink, path: str = "/feed") -> str:
    return f"http://{NAME}:{sink.url.rsplit(':', 1)[1]}{path}"


def test_the_hole_a_client_resolving_again_reaches_the_private_server(
    http_server: HttpSink, rebinding: Callable[..., Resolver]
) -> None:
    """The control: checked, then fetched by a plain client, the request lands on 127.0.0.1."""
    rebinding(PUBLIC, "127.0.0.1")
    url = _url(http_server)
    check_outbound_url(url)  # the check saw a public address
    assert httpx.get(url, timeout=10).status_code == 200
    assert len(http_server.requests) == 1  # the second answer won: this is what pinning closes


def test_a_pinned_client_connects_to_the_checked_address_only(
    http_server: HttpSink, rebinding: Callable[..., Resolver]
) -> None:
    resolver = rebinding(PUBLIC, "127.0.0.1")
    with pinned_client(allow_private=False, timeout=2) as client, pytest.raises(httpx.TransportError):
        client.get(_url(http_server))  # to PUBLIC, where nothing answers
    assert http_server.requests == []
    assert resolver.calls == 1


def test_a_pinned_client_keeps_the_host_header_and_refuses_a_private_first_answer(
    http_server: HttpSink, rebinding: Callable[..., Resolver]
) -> None:
    resolver = rebinding("127.0.0.1", "203.0.113.9")
    with pinned_client(allow_private=True, timeout=10) as client:
        answer = client.get(_url(http_server, "/ok"))
    assert answer.status_code == 200
    assert resolver.calls == 1  # one lookup: the connection went where the check looked
    assert http_server.requests[0].headers["Host"] == f"{NAME}:{http_server.url.rsplit(':', 1)[1]}"
    rebinding("127.0.0.1")
    with pinned_client(allow_private=False, timeout=2) as client, pytest.raises(ValidationError, match="private"):
        client.get(_url(http_server))
    assert len(http_server.requests) == 1


def test_live_sources_and_feeds_are_pinned(
    http_server: HttpSink, rebinding: Callable[..., Resolver], tmp_path: Path
) -> None:
    rebinding(PUBLIC, "127.0.0.1")
    settings = Settings(home=tmp_path, allow_private_urls=False)
    with LiveClient(settings, timeout=2) as client, pytest.raises(SourceError, match=r"rebind\.example"):
        client.get(_url(http_server))
    assert http_server.requests == []


def test_webhooks_and_slack_posts_are_pinned(http_server: HttpSink, rebinding: Callable[..., Resolver]) -> None:
    rebinding(PUBLIC, "127.0.0.1")
    with pytest.raises(PostError, match=NAME):
        post_json(_url(http_server, "/hook"), {"text": "alert"}, timeout=2, allow_private=False)
    assert http_server.requests == []
