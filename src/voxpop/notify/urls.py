"""Outbound URLs a user typed (feed URLs, webhook and Slack targets, an LLM endpoint) are checked before
voxpop fetches or posts to them, so nobody can point voxpop at the machines behind its firewall (SSRF).

Only http(s) is allowed, and the host must resolve to public addresses only — unless the admin sets
``allow_private_urls`` (a self-hosted voxpop talking to an intranet service, or the tests' local servers).
The check resolves the name, so a public name that points at 127.0.0.1 is refused too; and the HTTP
clients connect to the very address that was checked (``PinnedTransport``), so the name cannot be
re-pointed between the check and the connection (DNS rebinding).
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any
from urllib.parse import urlsplit

import httpx

from voxpop.errors import ValidationError


def _addresses(host: str) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        return [ipaddress.ip_address(host.strip("[]"))]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        raise ValidationError(f"the host {host!r} cannot be resolved: {exc.strerror}") from exc
    return [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]


def check_outbound_url(url: str, *, allow_private: bool = False) -> str:
    """Return ``url`` when voxpop may connect to it; raise ``ValidationError`` saying why not."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https"):
        raise ValidationError(f"only http:// and https:// URLs are allowed, not {url!r}")
    if not parts.hostname:
        raise ValidationError(f"the URL {url!r} has no host")
    if parts.username or parts.password:
        raise ValidationError("put credentials in the source's credentials, not in the URL")
    if allow_private:
        return url.strip()
    for address in _addresses(parts.hostname):
        if not address.is_global or address.is_multicast:
            raise ValidationError(
                f"{parts.hostname} is a private, loopback or reserved address ({address}); "
                "an admin can allow such targets with the allow_private_urls setting"
            )
    return url.strip()


def pinned_address(url: str, *, allow_private: bool = False) -> str:
    """The address voxpop connects to for ``url``: its host resolved once and checked (as
    :func:`check_outbound_url` does). Connecting to this address, not to the name, closes the window in
    which a name could resolve to a public address for the check and to a private one for the connection
    (DNS rebinding)."""
    check_outbound_url(url, allow_private=True)  # scheme, host, no credentials
    host = urlsplit(url.strip()).hostname or ""
    addresses = _addresses(host)
    if not addresses:
        raise ValidationError(f"the host {host!r} resolves to no address")
    if not allow_private:
        for address in addresses:
            if not address.is_global or address.is_multicast:
                raise ValidationError(
                    f"{host} is a private, loopback or reserved address ({address}); "
                    "an admin can allow such targets with the allow_private_urls setting"
                )
    return str(addresses[0])


class PinnedTransport(httpx.BaseTransport):
    """An httpx transport that checks each request's host and connects to the address it checked.

    The request keeps its ``Host`` header, and for HTTPS the original name is sent as SNI and verified
    against the certificate (httpcore's ``sni_hostname``), so only the TCP connection is pinned.
    """

    def __init__(self, *, allow_private: bool = False, **transport: Any) -> None:
        self.allow_private = allow_private
        self._inner = httpx.HTTPTransport(**transport)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        host = request.url.host
        address = pinned_address(str(request.url), allow_private=self.allow_private)
        if address != host:
            if request.url.scheme == "https":
                request.extensions = {**request.extensions, "sni_hostname": host}
            request.url = request.url.copy_with(host=address)
        return self._inner.handle_request(request)

    def close(self) -> None:
        self._inner.close()


def pinned_client(*, allow_private: bool, **client: Any) -> httpx.Client:
    """An ``httpx.Client`` whose every connection goes through :class:`PinnedTransport`."""
    return httpx.Client(transport=PinnedTransport(allow_private=allow_private), **client)
