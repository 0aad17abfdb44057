"""What every command shares: the settings, the store, and printing errors the same way."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import typer
from pydantic import ValidationError as SettingsError
from rich.console import Console

from voxpop.errors import VoxpopError
from voxpop.settings import Settings

if TYPE_CHECKING:
    from voxpop.store import Store

# The store (SQLAlchemy) is imported when a command opens it or meets an error: ``voxpop analyze`` on a
# file never does, and the import is a good part of its start-up.

console = Console()
err_console = Console(stderr=True)


def load_settings() -> Settings:
    try:
        return Settings()
    except SettingsError as exc:
        err_console.print(f"[red]error:[/red] bad setting: {exc}")
        raise typer.Exit(2) from exc


@contextmanager
def open_store(settings: Settings | None = None) -> Iterator[Store]:
    from voxpop.store import Store

    store = Store(settings or load_settings())
    try:
        yield store
    finally:
        store.dispose()


@contextmanager
def user_errors() -> Iterator[None]:
    """Print a VoxpopError (or a locked or full database) as one clear line and exit 1, not a traceback."""
    try:
        yield
    except VoxpopError as exc:
        err_console.print(f"[red]error:[/red] {exc}", markup=True, highlight=False)
        raise typer.Exit(1) from exc
    except Exception as exc:
        if not _database_error(exc):
            raise
        from voxpop.store.failures import unavailable_reason

        reason = unavailable_reason(exc)
        if reason is None:
            raise
        err_console.print(f"[red]error:[/red] {reason}", markup=True, highlight=False)
        raise typer.Exit(1) from exc


def _database_error(exc: Exception) -> bool:
    """Is ``exc`` a database error (``voxpop.store.failures.DATABASE_ERRORS``)? Only a module already
    imported can have raised one, so other errors (``typer.Exit`` included) do not import the store."""
    if "sqlalchemy" not in sys.modules and "sqlite3" not in sys.modules:
        return False
    from voxpop.store.failures import DATABASE_ERRORS

    return isinstance(exc, DATABASE_ERRORS)
