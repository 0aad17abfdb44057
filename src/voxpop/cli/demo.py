"""``voxpop demo``: a ready-to-explore store for a fictional café-bakery chain, then the web UI."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from voxpop.cli import app
from voxpop.cli.common import console, err_console, load_settings, open_store, user_errors
from voxpop.demo.installer import Login
from voxpop.errors import VoxpopError
from voxpop.settings import Settings
from voxpop.store import Store


@app.command("demo")
def demo(
    host: str | None = typer.Option(None, help="Interface to listen on (default: settings.host)."),
    port: int | None = typer.Option(None, help="Port (default: settings.port)."),
    serve: bool = typer.Option(True, "--serve/--no-serve", help="Start the web UI once the demo is ready."),
    reset: bool = typer.Option(False, "--reset", help="Throw the existing demo away and make a fresh one."),
    items: int = typer.Option(3000, "--items", min=1, max=200_000, help="How many feedback items to generate."),
    analyze: bool = typer.Option(
        True, "--analyze/--no-analyze", help="Run the offline analysis (sentiment, urgency, fakes…) on the items."
    ),
) -> None:
    """Create a demo store — six months of reviews, social posts, survey answers, tickets, widget posts and
    staff notes for Crumb & Kettle, a fictional café-bakery chain — and serve it.

    The demo has its own data folder (<VOXPOP_HOME>/demo) and SQLite file: your own database is never
    touched. It is reused on the next run unless --reset is given. The data is synthetic, written for voxpop.
    """
    from voxpop.demo import installer
    from voxpop.demo.generator import generate

    settings = installer.demo_settings(load_settings())
    with user_errors():
        if reset:
            installer.reset(settings)
        password, fresh_password = installer.demo_password(settings)
        with open_store(settings) as store:
            if installer.is_installed(settings):
                console.print(f"Using the existing demo in {settings.home} (--reset for a fresh one).")
                logins = installer.install(
                    store, [], password=password, now=datetime.now(UTC), reset_passwords=fresh_password
                ).logins
            else:
                now = datetime.now(UTC)
                with console.status("Writing six months of customer feedback for Crumb & Kettle…"):
                    generated = generate(now, items=items)
                with _progress() as progress:
                    task = progress.add_task("storing the demo items", total=len(generated))
                    result = installer.install(
                        store,
                        generated,
                        password=password,
                        now=now,
                        reset_passwords=fresh_password,
                        on_progress=lambda n: progress.advance(task, n),
                    )
                installer.mark_installed(settings)
                logins = result.logins
                console.print(f"Added {result.added} items ({result.duplicates} already there).")
            _seed_setup(store, installer.created_at(store) or datetime.now(UTC))
            if analyze:
                with _quiet_alert_delivery():
                    _analyze(store)
                _print_alerts(store)
            _seed_replies(store)
            _print_counts(installer.counts(store))
        _print_logins(logins, password, settings.home)
        _print_guide(installer.created_at(store) or datetime.now(UTC))
        if serve:
            _serve(settings, host, port)


def _seed_setup(store: Store, created: datetime) -> None:
    """Routing rules, reply templates, events, alerts, widget, survey and ideas — before the analysis, so
    the pipeline routes and alerts with the rules in place."""
    from voxpop.demo.features import seed_setup
    from voxpop.demo.installer import ADMIN_EMAIL

    with console.status("Setting up rules, templates, alerts, events, a survey and the idea board…"):
        report = seed_setup(store, admin_email=ADMIN_EMAIL, created=created)
    if any(report.added.values()):
        added = ", ".join(f"{n} {what}" for what, n in report.added.items() if n)
        console.print(f"Added {added}.", highlight=False)
    for step in report.skipped:
        err_console.print(f"[yellow]warning:[/yellow] skipped {step}", highlight=False)


@contextmanager
def _quiet_alert_delivery() -> Iterator[None]:
    """The demo's alert rules fire while its history is analysed; without SMTP each delivery attempt
    would log a warning over the progress bar. They are summed up once afterwards instead."""
    logger = logging.getLogger("voxpop.act.alerts.delivery")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def _print_alerts(store: Store) -> None:
    from sqlalchemy import func, select

    from voxpop.store.models.outreach import Alert

    with store.read() as session:
        fired = int(session.scalar(select(func.count(Alert.id))) or 0)
    if fired:
        mail = "handed to your SMTP server" if store.settings.smtp_host else "not mailed (no SMTP is set)"
        console.print(f"{fired} alerts fired on the demo's history, {mail}: see Alerts → Alert history.")


def _seed_replies(store: Store) -> None:
    """Agents' replies on older items (after the analysis: the templates match the item's sentiment)."""
    from voxpop.demo.features import seed_replies

    with console.status("Answering older items as the demo agents…"):
        sent = seed_replies(store)
    if sent:
        console.print(f"Added {sent} agent replies.")


def _analyze(store: Store) -> None:
    """Analyse what is not analysed yet. When the analysis cannot run here (a model or module missing),
    say so and carry on: the demo is still worth exploring, and the next run picks up where this stopped."""
    from voxpop.demo.analysis import analyze_pending, pending_ids

    todo = len(pending_ids(store))
    if not todo:
        return
    try:
        from voxpop.workers.analysis import shared_analyzer

        with console.status("Loading the offline models…"):
            analyzer, _ = shared_analyzer(store.settings)  # the taxonomy `voxpop serve` checks against
            analyzer.warm_up()
        with _progress() as progress:
            task = progress.add_task("analysing the demo items", total=todo)
            analyze_pending(store, analyzer, on_progress=lambda n: progress.advance(task, n))
        from voxpop.analyze.store_topics import refresh_topics

        with console.status("Finding the topics across the items…"):
            found = refresh_topics(store)  # what `voxpop serve` would do at start, done before the first page
        console.print(f"{found.new + found.kept} topics found (Measure → Topics, or `voxpop topics list`).")
    except (ImportError, OSError, VoxpopError) as exc:
        err_console.print(
            f"[yellow]warning:[/yellow] the analysis could not run ({type(exc).__name__}: {exc}); the demo "
            "items without it are shown unanalysed, and the next `voxpop demo` tries again.",
            highlight=False,
        )


def _progress() -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )


def _print_counts(counts: dict[str, int]) -> None:
    table = Table(title="Demo sources", show_edge=False)
    table.add_column("source")
    table.add_column("items", justify="right")
    for name, count in sorted(counts.items()):
        table.add_row(name, str(count))
    console.print(table)


def _print_logins(logins: list[Login], password: str, home: Path) -> None:
    table = Table(title="Demo logins (one password for all)", show_edge=False)
    table.add_column("e-mail")
    table.add_column("role")
    table.add_column("department")
    for login in logins:
        table.add_row(login.email, login.role, login.department or "all")
    console.print(table)
    console.print(f"Password: [bold]{password}[/bold]  (kept in {home}/demo-login.txt)", highlight=False)


def _print_guide(created: datetime) -> None:
    from voxpop.demo.business import story_guide

    console.print("[bold]What happened at Crumb & Kettle[/bold] (go and find it in the inbox):")
    for day, label in story_guide(created):
        console.print(f"  {day.isoformat()}  {label}", highlight=False)


def _serve(settings: Settings, host: str | None, port: int | None) -> None:
    try:
        from voxpop.cli.serve import run_server
    except ModuleNotFoundError as exc:
        raise VoxpopError(
            "the web UI is not available in this build (voxpop.cli.serve is missing); "
            "the demo store is ready — run with --no-serve"
        ) from exc
    url = f"http://{host or settings.host}:{port or settings.port}/"
    console.print(f"Serving the demo at [bold]{url}[/bold] — Ctrl+C to stop.")
    run_server(settings, host=host, port=port)
    err_console.print("demo server stopped")
