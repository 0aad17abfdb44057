"""The store: SQLAlchemy models, engine set-up and Alembic migrations for SQLite and PostgreSQL."""

from voxpop.store.db import Store

__all__ = ["Store"]
