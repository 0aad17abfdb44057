"""A PostgreSQL test database of this process's own (see tests/web/conftest.py)."""

from tests.web.conftest import worker_id

__all__ = ["worker_id"]
