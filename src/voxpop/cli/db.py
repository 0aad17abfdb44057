"""``voxpop db``: the schema, and ``voxpop config``: what voxpop is configured with."""

from __future__ import annotations

import json

import typer

from voxpop.cli import app
from voxpop.cli.common import console, load_settings
from voxpop.store import Store
from voxpop.store.migrate import current_revision, downgrade, head_revision

db_app = typer.Typer(help="The database: migrate, inspect.", no_args_is_help=True)
app.add_typer(db_app, name="db")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Bring the database to the newest schema (voxpop also does this on start)."""
    store = Store(load_settings(), migrate=False)
    changed = store.migrate()
    console.print(f"schema at {current_revision(store.engine)}" + (" (upgraded)" if changed else " (up to date)"))
    store.dispose()


@db_app.command("downgrade")
def db_downgrade(revision: str = typer.Argument(..., help="Alembic revision, or base")) -> None:
    """Step the schema back (destroys data in dropped tables)."""
    store = Store(load_settings(), migrate=False)
    downgrade(store.engine, revision)
    console.print(f"schema at {current_revision(store.engine)}")
    store.dispose()


@db_app.command("status")
def db_status() -> None:
    """Which database, and at which schema revision."""
    settings = load_settings()
    store = Store(settings, migrate=False)
    console.print(f"database: {settings.public_dict()['database_url']}")
    console.print(f"revision: {current_revision(store.engine)} (newest: {head_revision()})")
    store.dispose()


@app.command("config")
def show_config() -> None:
    """Print the settings in force (secrets masked)."""
    console.print_json(json.dumps(load_settings().public_dict(), default=str))
