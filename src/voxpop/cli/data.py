"""Data ownership: ``voxpop dump`` (every table as CSV, JSON lines or Parquet) and ``voxpop customer
erase`` (one customer's personal data, on request)."""

from __future__ import annotations

from pathlib import Path

import typer

from voxpop.accounts import audit
from voxpop.cli import app
from voxpop.cli.common import console, open_store, user_errors
from voxpop.store.dump import FORMATS, dump
from voxpop.store.erasure import erase_customer

customer_app = typer.Typer(help="Customers' personal data.", no_args_is_help=True)
app.add_typer(customer_app, name="customer")


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


@customer_app.command("erase")
def erase_command(
    who: str = typer.Argument(..., help="The customer's e-mail address, or #<customer id>."),
    yes: bool = typer.Option(False, "--yes", help="Confirm: this cannot be undone."),
    actor: str = typer.Option("cli", help="Who asked for it, for the audit log (e.g. your e-mail)."),
) -> None:
    """Erase one customer's personal data everywhere (their words, contact details, what staff wrote to or
    about them), keeping the numbers (ratings, sentiment, dates) so dashboards do not change."""
    if not yes:
        console.print("erasure cannot be undone: run again with --yes to go ahead")
        raise typer.Exit(2)
    with user_errors(), open_store() as store:
        report = erase_customer(store, who, actor=actor)
    done = ", ".join(f"{n} {name.replace('_', ' ')}" for name, n in sorted(report.counts.items())) or "contact details"
    console.print(f"erased: {done}")
