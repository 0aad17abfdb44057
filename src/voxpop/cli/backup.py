"""``voxpop backup`` and ``voxpop restore``: consistent snapshots of the whole store."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import typer

from voxpop.accounts.audit import record
from voxpop.cli import app
from voxpop.cli.common import console, load_settings, open_store, user_errors
from voxpop.store.backup import backup, default_name, fingerprint, restore


@app.command("backup")
def backup_command(
    target: Path | None = typer.Argument(None, help="Backup file (default: <home>/backups/voxpop-<time>.…)."),
) -> None:
    """Write a consistent snapshot of the store while voxpop keeps running (SQLite backup API / pg_dump)."""
    settings = load_settings()
    with user_errors(), open_store(settings) as store:
        path = target or settings.ensure_home() / "backups" / default_name(store, datetime.now(UTC))
        done = backup(store, path)
        with store.write() as session:  # after the snapshot: the backup holds the store as it was
            record(session, "store.backup", actor="cli", object_type="backup", object_id=done.name, path=str(done))
    console.print(f"backup written: {done} ({done.stat().st_size:,} bytes)")


@app.command("restore")
def restore_command(
    source: Path = typer.Argument(..., help="A file written by voxpop backup."),
    yes: bool = typer.Option(False, "--yes", help="Confirm: everything in the store now is replaced."),
) -> None:
    """Replace the whole store with a backup, then migrate it. Stop voxpop serve and the workers first."""
    if not yes:
        console.print("restore replaces everything in the store: run again with --yes to go ahead")
        raise typer.Exit(2)
    with user_errors(), open_store() as store:
        restore(store, source)
        rows = sum(count for count, _ in fingerprint(store).values())
        with store.write() as session:
            record(session, "store.restore", actor="cli", object_type="backup", object_id=source.name, rows=rows)
    console.print(f"restored {source}: {rows:,} rows")
