"""``voxpop sources list|add|poll|health|kinds``: live sources from the command line (and cron)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from voxpop.cli import app
from voxpop.cli.common import console, err_console, open_store, user_errors
from voxpop.ingest.live import service
from voxpop.ingest.live.catalogue import live_connector, live_connectors
from voxpop.ingest.live.scheduler import PollOutcome, poll_due, poll_source

sources_app = typer.Typer(help="Live sources: feeds, platform APIs, webhooks, mailboxes.", no_args_is_help=True)
app.add_typer(sources_app, name="sources")


def _pairs(values: list[str], what: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for value in values:
        key, sep, val = value.partition("=")
        if not sep or not key.strip():
            err_console.print(f"[red]error:[/red] {what} must be NAME=VALUE, not {value!r}")
            raise typer.Exit(2)
        out[key.strip()] = val
    return out


def _from_file(value: str) -> str:
    """``@path`` reads the value from a file (an App Store Connect .p8 key has several lines)."""
    if not value.startswith("@"):
        return value
    path = Path(value[1:]).expanduser()
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        err_console.print(f"[red]error:[/red] cannot read {path}: {exc.strerror}")
        raise typer.Exit(2) from exc


@sources_app.command("kinds")
def kinds() -> None:
    """The live source kinds and what each platform allows (the capability matrix)."""
    table = Table("kind", "reads", "how far back", "replies", "needs", "settings")
    for c in live_connectors():
        cap = c.capabilities
        names = ", ".join(f"{f.name}{'*' if f.required else ''}{' (secret)' if f.secret else ''}" for f in c.fields)
        table.add_row(
            c.name,
            ", ".join(cap.reads),
            cap.history,
            "yes" if cap.can_reply else "no",
            "credentials" if cap.needs_credentials else "-",
            names,
        )
    console.print(table)


@sources_app.command("add")
def add(
    name: str = typer.Argument(..., help="A name for the source."),
    kind: str = typer.Option(..., "--kind", help="rss, app_store_feed, reddit_search, trustpilot_api, …"),
    config: list[str] = typer.Option([], "--set", help="A setting, NAME=VALUE (repeat)."),
    secret: list[str] = typer.Option(
        [], "--secret", help="A credential, NAME=VALUE or NAME=@FILE (a key file); or leave out and be prompted."
    ),
    interval: int = typer.Option(0, help="Poll every N minutes (default: the kind's own)."),
) -> None:
    """Add a live source. Credentials are stored encrypted and never printed back."""
    with user_errors(), open_store() as store:
        connector = live_connector(kind)
        secrets = {name: _from_file(value) for name, value in _pairs(secret, "--secret").items()}
        for spec in connector.fields:
            if spec.secret and spec.required and spec.name not in secrets:
                secrets[spec.name] = typer.prompt(spec.label, hide_input=True)
        with store.write() as session:
            source, hook_secret = service.add_source(
                session,
                store.settings,
                name=name,
                kind=kind,
                config=_pairs(config, "--set"),
                credentials=secrets,
                interval_seconds=interval * 60 or None,
            )
            source_id = source.id
        console.print(f"added source {source_id} ({kind}) '{name}'")
        if hook_secret:
            url = f"{store.settings.base_url.rstrip('/')}/api/v1/hooks/sources/{source_id}"
            console.print(f"webhook URL: {url}")
            console.print(f"signing secret (shown once): {hook_secret}")


@sources_app.command("competitor")
def competitor(
    source: str = typer.Argument(..., help="Source name or id."),
    brand: str = typer.Option("", "--brand", help="The competitor's name (default: the source's name)."),
    ours: bool = typer.Option(False, "--ours", help="The source is ours again, not a competitor's."),
) -> None:
    """Mark a source (an import or a live source) as a competitor's: its items count only in the
    competitor benchmark and share of voice, never in your own metrics."""
    from sqlalchemy import or_, select

    from voxpop.errors import NotFoundError
    from voxpop.measure.competitors import set_competitor
    from voxpop.store.models import Source

    with user_errors(), open_store() as store, store.write() as session:
        match = Source.name == source
        if source.isdigit():
            match = or_(match, Source.id == int(source))
        found = session.scalars(select(Source).where(match)).first()
        if found is None:
            raise NotFoundError(f"no source named or numbered {source!r} (voxpop sources list)")
        set_competitor(session, None, found.id, None if ours else (brand or found.name))
        console.print(
            f"source '{found.name}' is ours" if ours else f"source '{found.name}' is {found.competitor}'s",
            markup=False,
        )


@sources_app.command("list")
def list_sources() -> None:
    """Every live source with its health, last success and last error."""
    with user_errors(), open_store() as store, store.read() as db:
        table = Table("id", "name", "kind", "health", "last success", "last error", "next poll", "credentials")
        for s in service.health(db):
            health = "healthy" if s.healthy else f"UNHEALTHY ({s.failures})"
            table.add_row(
                str(s.id),
                s.name,
                s.kind,
                health if s.enabled else f"{health}, paused",
                s.last_success_at.isoformat(timespec="seconds") if s.last_success_at else "never",
                (s.last_error or "")[:80],
                "webhook" if s.pushed else (s.next_poll_at.isoformat(timespec="seconds") if s.next_poll_at else ""),
                s.credentials_hint,
            )
        console.print(table)


@sources_app.command("health")
def health(source: str = typer.Argument(..., help="Source name or id."), limit: int = 20) -> None:
    """A source's health log: each poll or delivery, newest first."""
    with user_errors(), open_store() as store, store.read() as db:
        row, state = service.find(db, source)
        console.print(f"{row.name}: {'healthy' if state.healthy else 'UNHEALTHY'}; last error: {row.last_error or '-'}")
        table = Table("when", "result", "new", "updated", "message")
        for e in service.events(db, row.id, limit):
            table.add_row(
                e.at.isoformat(timespec="seconds"), "ok" if e.ok else "FAILED", str(e.added), str(e.updated), e.message
            )
        console.print(table)


@sources_app.command("poll")
def poll(
    source: str = typer.Argument(None, help="Source name or id (default: every due source with --due)."),
    due: bool = typer.Option(False, "--due", help="Poll every source whose time has come (for cron)."),
) -> None:
    """Poll one source now, or every due one (exit 1 if any poll failed)."""
    with user_errors(), open_store() as store:
        if due:
            outcomes = poll_due(store)
        elif source:
            with store.read() as db:
                row, _ = service.find(db, source)
            outcomes = [poll_source(store, row.id)]
        else:
            err_console.print("[red]error:[/red] name a source, or use --due")
            raise typer.Exit(2)
        for outcome in outcomes:
            _print(outcome)
        if any(not o.ok for o in outcomes):
            raise typer.Exit(1)


def _print(outcome: PollOutcome) -> None:
    if outcome.ok:
        console.print(f"{outcome.name}: ok — {outcome.message}")
    else:
        err_console.print(f"[red]{outcome.name}: failed[/red] — {outcome.message}")
