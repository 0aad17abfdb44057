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
    """Print a VoxpopError as one clear line and exit 1, instead of a traceback."""
    try:
        yield
    except VoxpopError as exc:
        err_console.print(f"[red]error:[/red] {exc}", markup=True, highlight=False)
        raise typer.Exit(1) from exc
