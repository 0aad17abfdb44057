"""What every command shares: the settings, the store, and printing errors the same way."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from pydantic import ValidationError as SettingsError
from rich.console import Console

from voxpop.errors import VoxpopError
from voxpop.settings import Settings
from voxpop.store import Store
from voxpop.store.failures import DATABASE_ERRORS, unavailable_reason

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
    except DATABASE_ERRORS as exc:
        reason = unavailable_reason(exc)
        if reason is None:
            raise
        err_console.print(f"[red]error:[/red] {reason}", markup=True, highlight=False)
        raise typer.Exit(1) from exc
