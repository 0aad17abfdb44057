"""``voxpop outreach send|status``: promoter outreach from the command line."""

from __future__ import annotations

import typer
from rich.table import Table

from voxpop.act.outreach.eligibility import find_candidates
from voxpop.act.outreach.sending import send_asks
from voxpop.act.outreach.tracking import status_numbers
from voxpop.cli import app
from voxpop.cli.common import console, open_store, user_errors
from voxpop.store.types import utcnow

outreach_app = typer.Typer(help="Thank promoters and ask for a testimonial, survey or referral.", no_args_is_help=True)
app.add_typer(outreach_app, name="outreach")


@outreach_app.command("send")
def outreach_send(
    kind: str = typer.Option("testimonial", help="testimonial, survey or referral (never a public review)."),
    limit: int = typer.Option(50, min=1, max=1000, help="At most this many customers."),
    dry_run: bool = typer.Option(False, "--dry-run", help="List who would be asked; send nothing."),
) -> None:
    """Ask the current candidates (recent promoters with an e-mail address, not asked lately)."""
    with user_errors(), open_store() as store:
        session = store.read()
        try:
            candidates = find_candidates(session, store.settings, utcnow(), limit=limit)
        finally:
            session.close()
        if dry_run:
            for c in candidates:
                console.print(f"item {c.item.id}: {c.customer.email}", highlight=False)
            console.print(f"{len(candidates)} customers would be asked")
            return
        report = send_asks(store, None, [c.item.id for c in candidates], kind)
    console.print(f"{len(report.sent)} sent, {len(report.failed)} failed, {sum(report.skipped.values())} skipped")
    for item_id, error in report.failed.items():
        console.print(f"  item {item_id}: {error}", highlight=False)


@outreach_app.command("status")
def outreach_status(days: int = typer.Option(90, min=1, help="Over the last this many days.")) -> None:
    """Sent, clicked and completed asks, by kind."""
    with open_store() as store:
        session = store.read()
        try:
            table = Table("ask", "sent", "clicked", "completed", "failed")
            for n in status_numbers(session, days=days):
                table.add_row(n.kind, str(n.sent), str(n.clicked), str(n.completed), str(n.failed))
        finally:
            session.close()
    console.print(table)
