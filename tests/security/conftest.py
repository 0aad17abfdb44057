"""The attack suite runs against the same real app and store as the web tests."""

from tests.web.conftest import app_client, token_for, world

__all__ = ["app_client", "token_for", "world"]
