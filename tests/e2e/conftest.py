"""The e2e tests use the same small world (departments, users of every role, sources) as the web tests."""

from tests.web.conftest import world

__all__ = ["world"]
