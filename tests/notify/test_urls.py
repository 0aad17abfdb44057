"""The SSRF guard refuses loopback, private, link-local and odd-scheme targets unless allowed."""

from __future__ import annotations

import pytest

from voxpop.errors import ValidationError
from voxpop.notify.urls import check_outbound_url


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hook",
        "http://localhost/hook",
        "http://10.0.0.5/feed",
        "http://192.168.1.1/",
        "http://172.16.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "http://0.0.0.0/",
    ],
)
def test_private_and_loopback_targets_are_refused(url: str) -> None:
    with pytest.raises(ValidationError, match="private, loopback or reserved"):
        check_outbound_url(url)


@pytest.mark.parametrize("url", ["file:///etc/passwd", "gopher://x/", "ftp://example.com/", "http://"])
def test_other_schemes_and_hostless_urls_are_refused(url: str) -> None:
    with pytest.raises(ValidationError):
        check_outbound_url(url)


def test_credentials_in_the_url_are_refused() -> None:
    with pytest.raises(ValidationError, match="credentials"):
        check_outbound_url("https://user:pw@93.184.216.34/")


def test_public_addresses_pass_and_private_ones_pass_when_allowed() -> None:
    assert check_outbound_url("https://93.184.216.34/feed.xml") == "https://93.184.216.34/feed.xml"
    assert check_outbound_url(" http://127.0.0.1:9/x ", allow_private=True) == "http://127.0.0.1:9/x"
