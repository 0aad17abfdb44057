"""The act tests use the web tests' small world: Billing and Delivery, one user per role, two sources."""

from tests.web.conftest import app_client, token_for, world

__all__ = ["app_client", "token_for", "world"]
