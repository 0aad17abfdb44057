"""``voxpop db``: the schema, and ``voxpop config``: what voxpop is configured with."""

from __future__ import annotations

import json

import typer

from voxpop.cli import app
from voxpop.cli.common import console, load_settings
from voxpop.store import Store
from voxpop.store.migrate import current_revisions, downgrade, head_revisions

db_app = typer.Typer(help="The database: migrate, inspect.", no_args_is_help=True)
app.add_typer(db_app, name="db")


def _names(revisions: frozenset[str]) -> str:
    return ", ".join(sorted(revisions)) or "none"


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Bring the database to the newest schema (voxpop also does this on start)."""
    store = Store(load_settings(), migrate=False)
    changed = store.migrate()
    state = "upgraded" if changed else "up to date"
    console.print(f"schema at {_names(current_revisions(store.engine))} ({state})")
    store.dispose()


@db_app.command("downgrade")
def db_downgrade(revision: str = typer.Argument(..., help="Alembic revision, or base")) -> None:
    """Step the schema back (destroys data in dropped tables)."""
    store = Store(load_settings(), migrate=False)
    downgrade(store.engine, revision)
    console.print(f"schema at {_names(current_revisions(store.engine))}")
    store.dispose()


@db_app.command("status")
def db_status() -> None:
    """Which database, and at which schema revision."""
    settings = load_settings()
    store = Store(settings, migrate=False)
    console.print(f"database: {settings.public_dict()['database_url']}")
    console.print(f"revision: {_names(current_revisions(store.engine))} (newest: {_names(head_revisions())})")
    store.dispose()


@app.command("config")
def show_config() -> None:
    """Print the settings in force (secrets masked)."""
    console.print_json(json.dumps(load_settings().public_dict(), default=str))
