"""Outbound URLs a user typed (feed URLs, webhook and Slack targets, an LLM endpoint) are checked before
voxpop fetches or posts to them, so nobody can point voxpop at the machines behind its firewall (SSRF).

Only http(s) is allowed, and the host must resolve to public addresses only — unless the admin sets
``allow_private_urls`` (a self-hosted voxpop talking to an intranet service, or the tests' local servers).
The check resolves the name, so a public name that points at 127.0.0.1 is refused too.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

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
