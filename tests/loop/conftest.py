"""The loop tests use the web tests' small world (departments, one user per role, sources) and client."""

from __future__ import annotations

import re

from tests.web.conftest import app_client, token_for, world

__all__ = ["app_client", "links_in", "token_for", "world"]


def links_in(text: str) -> list[str]:
    """Every http(s) link in a mail's text part, in order."""
    return re.findall(r"https?://[^\s<>\"]+", text)
