"""``voxpop alerts run|test`` and ``voxpop digest send``."""

from __future__ import annotations

import typer

from voxpop.act.alerts.destinations import Outgoing, TransportError, get_destination_by_name, send
from voxpop.act.alerts.digest import parse_week, send_digests
from voxpop.act.alerts.tasks import run_alerts
from voxpop.cli import app
from voxpop.cli.common import console, err_console, open_store, user_errors
from voxpop.store.types import utcnow

alerts_app = typer.Typer(help="Alert rules: run the window rules, deliver, test a destination.", no_args_is_help=True)
digest_app = typer.Typer(help="The weekly e-mail digest of each department.", no_args_is_help=True)
app.add_typer(alerts_app, name="alerts")
app.add_typer(digest_app, name="digest")


@alerts_app.command("run")
def alerts_run() -> None:
    """Run the window rules (negative spike, SLA breach, fake burst) and deliver every due alert,
    retries and rate-limited digests included. Schedule it (cron) or let `voxpop serve` do it."""
    with user_errors(), open_store() as store:
        report = run_alerts(store)
    d = report.delivery
    console.print(
        f"{len(report.fired)} new alerts; {d.messages} messages sent ({d.digests} digests, {d.alerts} alerts), "
        f"{d.failed} failed (kept for a retry), {d.held} held by the rate limit"
    )


@alerts_app.command("test")
def alerts_test(destination: str = typer.Argument(..., help="The destination's name.")) -> None:
    """Send a test message to a destination, to check its address, URL or secret."""
    with user_errors(), open_store() as store:
        session = store.read()
        try:
            target = get_destination_by_name(session, destination)
        finally:
            session.close()
        message = Outgoing(
            subject="[voxpop] test alert",
            text="This is a test of a voxpop alert destination.",
            html="<p>This is a test of a voxpop alert destination.</p>",
            slack="This is a test of a voxpop alert destination.",
            payload={"type": "test", "sent_at": utcnow().isoformat()},
        )
        try:
            send(store.settings, target, message)
        except TransportError as exc:
            err_console.print(f"[red]error:[/red] {exc}", highlight=False)
            raise typer.Exit(1) from exc
    console.print(f"test message sent to '{destination}'")


@digest_app.command("send")
def digest_send(
    department: str | None = typer.Option(None, help="Only this department (default: every one)."),
    week: str | None = typer.Option(None, help="2026-W47 or a date in the week (default: the last complete week)."),
    resend: bool = typer.Option(False, help="Send again even if this week's digest went out already."),
) -> None:
    """E-mail each department its numbers and most important items for a week."""
    with user_errors(), open_store() as store:
        monday = parse_week(week, utcnow().date())
        report = send_digests(store, week=monday, department=department, resend=resend)
    for name, to in report.sent.items():
        console.print(f"{name}: sent to {', '.join(to)}")
    for name, why in report.skipped.items():
        console.print(f"{name}: not sent ({why})")
