"""``voxpop report``, ``voxpop export`` and ``voxpop rollup``: reports for any period, CSV of the
dashboard's tables, and the daily roll-ups behind them."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer

from voxpop.cli import app
from voxpop.cli.common import console, err_console, open_store, user_errors
from voxpop.errors import ValidationError
from voxpop.measure import reports, rollups
from voxpop.measure.export import overview_tables, to_csv
from voxpop.measure.overview import PERIODS, build_overview, period_slice
from voxpop.measure.series import Slice
from voxpop.store.types import utcnow

report_app = typer.Typer(
    help="Reports for any period (HTML or PDF), and the scheduled e-mails.", invoke_without_command=True
)
app.add_typer(report_app, name="report")
rollup_app = typer.Typer(help="The daily roll-ups behind the dashboard.", no_args_is_help=True)
app.add_typer(rollup_app, name="rollup")

PERIOD_HELP = f"One of {', '.join(PERIODS)} (ending today), unless --from and --to are given."


def _slice(period: str, date_from: str | None, date_to: str | None, department: int | None) -> Slice:
    try:
        start = date.fromisoformat(date_from) if date_from else None
        end = date.fromisoformat(date_to) if date_to else None
    except ValueError as exc:
        raise ValidationError(f"--from/--to: {exc} (use YYYY-MM-DD)") from exc
    return period_slice(utcnow().date(), period, start, end, department_id=department)


@report_app.callback()
def report(
    ctx: typer.Context,
    period: str = typer.Option("30d", help=PERIOD_HELP),
    date_from: str | None = typer.Option(None, "--from", help="First day, YYYY-MM-DD."),
    date_to: str | None = typer.Option(None, "--to", help="Last day, YYYY-MM-DD (included)."),
    department: int | None = typer.Option(None, help="One department's report (its id)."),
    output: Path = typer.Option(Path("report.html"), "--output", "-o", help="report.html or report.pdf"),
) -> None:
    """Write a report for a period: KPIs, trend, drivers, quotes, a section per department."""
    if ctx.invoked_subcommand is not None:
        return
    with user_errors(), open_store() as store:
        if output.suffix.lower() not in (".html", ".pdf"):
            raise ValidationError("--output must end in .html or .pdf")
        s = _slice(period, date_from, date_to, department)
        rollups.ensure_fresh(store)
        with store.read() as session:
            html = reports.render_html(reports.build_report(session, None, s, settings=store.settings))
        if output.suffix.lower() == ".pdf":
            output.write_bytes(reports.render_pdf(html))
        else:
            output.write_text(html, encoding="utf-8")
        console.print(f"report {s.date_from} – {s.date_to} written to {output}")


@report_app.command("send-due")
def send_due() -> None:
    """Mail the scheduled reports whose time has come (run it from cron, e.g. hourly)."""
    with user_errors(), open_store() as store:
        sent = reports.send_due(store, store.settings)
        console.print(f"{sent} scheduled report(s) sent")


@report_app.command("schedule")
def schedule(
    name: str = typer.Argument(..., help="What the mail is called."),
    to: list[str] = typer.Option(..., "--to", help="A recipient (repeat for more)."),
    every: str = typer.Option("week", help="week (Mondays) or month (the 1st)."),
    department: int | None = typer.Option(None, help="Only this department (its id)."),
) -> None:
    """Mail a report to chosen recipients every week or month."""
    with user_errors(), open_store() as store, store.write() as session:
        created = reports.create_schedule(session, name=name, recipients=to, period=every, department_id=department)
        console.print(f"schedule {created.id} '{created.name}': next on {created.next_run_at:%Y-%m-%d %H:%M} UTC")


@report_app.command("schedules")
def schedules() -> None:
    """List the scheduled reports."""
    with open_store() as store, store.read() as session:
        for s in reports.list_schedules(session):
            last = f"{s.last_sent_at:%Y-%m-%d}" if s.last_sent_at else "never"
            error = f"  [red]failed: {s.last_error}[/red]" if s.last_error else ""
            console.print(
                f"{s.id}  {s.name}  every {s.period}  to {', '.join(s.recipients)}  next {s.next_run_at:%Y-%m-%d}"
                f"  last {last}{error}",
                markup=bool(error),
                highlight=False,
            )


@report_app.command("unschedule")
def unschedule(schedule_id: int) -> None:
    """Stop a scheduled report."""
    with user_errors(), open_store() as store, store.write() as session:
        reports.delete_schedule(session, schedule_id)
        console.print(f"schedule {schedule_id} removed")


@app.command("export")
def export(
    table: str = typer.Argument(..., help="kpis, trend, drivers, heatmap, platforms, departments or aspects"),
    period: str = typer.Option("30d", help=PERIOD_HELP),
    date_from: str | None = typer.Option(None, "--from"),
    date_to: str | None = typer.Option(None, "--to"),
    department: int | None = typer.Option(None),
    output: Path | None = typer.Option(None, "--output", "-o", help="A file (default: print the CSV)."),
) -> None:
    """One of the dashboard's tables as CSV (formula-safe for spreadsheets)."""
    with user_errors(), open_store() as store:
        s = _slice(period, date_from, date_to, department)
        rollups.ensure_fresh(store)
        with store.read() as session:
            tables = overview_tables(build_overview(session, None, s, min_n=store.settings.metrics_min_sample))
        if table not in tables:
            raise ValidationError(f"no table {table!r}; tables: {', '.join(tables)}")
        text = to_csv(*tables[table])
        if output is None:
            typer.echo(text, nl=False)
        else:
            output.write_text(text, encoding="utf-8")
            err_console.print(f"{table} written to {output}")


@rollup_app.command("rebuild")
def rollup_rebuild() -> None:
    """Recompute every day's roll-ups from the items (after a restore, or to check them)."""
    with open_store() as store:
        started = utcnow()
        days = rollups.rebuild(store)
        console.print(f"rebuilt {days} day(s) in {(utcnow() - started).total_seconds():.1f} s")


@rollup_app.command("refresh")
def rollup_refresh() -> None:
    """Recompute the days whose items changed or whose SLA deadlines passed (what the dashboard does lazily)."""
    with open_store() as store:
        console.print(f"refreshed {rollups.process_pending(store)} day(s)")
