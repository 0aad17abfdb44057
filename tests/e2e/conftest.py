"""The e2e tests use the same small world (departments, users of every role, sources) as the web tests."""

from tests.web.conftest import worker_id, world

__all__ = ["worker_id", "world"]
