"""``voxpop dump``: every table of the store as CSV, JSON lines or Parquet (your data, to take anywhere)."""

from __future__ import annotations

from pathlib import Path

import typer

from voxpop.accounts import audit
from voxpop.cli import app
from voxpop.cli.common import console, open_store, user_errors
from voxpop.store.dump import FORMATS, dump


@app.command("dump")
def dump_command(
    folder: Path = typer.Argument(..., help="Folder to write one file per table into."),
    fmt: str = typer.Option("csv", "--format", "-f", help=f"One of {', '.join(FORMATS)}."),
) -> None:
    """Export everything: one file per table (secrets such as password and token hashes left out)."""
    with user_errors(), open_store() as store:
        counts = dump(store, folder, fmt)
        with store.write() as session:
            audit.record(session, "store.dump", actor="cli", folder=str(folder), format=fmt, rows=sum(counts.values()))
    total = sum(counts.values())
    console.print(f"wrote {total:,} rows from {len(counts)} tables to {folder} ({fmt})")
