"""``voxpop personas refresh|show``: the personas computed in the background (``voxpop.measure.personas``)."""

from __future__ import annotations

import typer
from rich.table import Table
from rich.text import Text

from voxpop.cli import app
from voxpop.cli.common import console, open_store, user_errors
from voxpop.measure import personas

personas_app = typer.Typer(
    help="Personas: customers grouped by what they say, feel and do (computed in the background)."
)
app.add_typer(personas_app, name="personas")


def _describe(found: personas.StoredPersonas) -> str:
    result = found.result
    period = f"{found.start} – {found.end}" if found.start else "no items"
    line = f"{found.scope}: {result.people:,} customers and authors ({period}), "
    line += f"computed {found.computed_at:%Y-%m-%d %H:%M} UTC in {found.seconds:.1f} s CPU"
    if result.k:
        line += f"; {result.k} personas, silhouette {result.silhouette:.2f}"
        if result.sample:
            line += f", fitted on a sample of {result.sample:,}"
    elif result.reason:
        line += f"; none: {result.reason}"
    return line


@personas_app.command("refresh")
def refresh(
    force: bool = typer.Option(False, help="Refit even when the data did not change since the last fit"),
) -> None:
    """Refit the personas of every scope (everyone's, each agent's departments) whose data changed."""
    with user_errors(), open_store() as store:
        done = personas.refresh_all(store, force=force)
        with store.read() as session:
            for scope, fitted in done:
                found = personas.stored_scope(session, scope)
                if found is not None:
                    console.print(Text(("refitted " if fitted else "unchanged ") + _describe(found)))


@personas_app.command("show")
def show() -> None:
    """The personas of everyone, as last computed."""
    with user_errors(), open_store() as store, store.read() as session:
        found = personas.stored(session, None)
    if found is None:
        console.print("not computed yet: voxpop personas refresh")
        return
    console.print(Text(_describe(found) + (" (the data changed since)" if found.stale else "")))
    table = Table("persona", "people", "share", "sentiment", "negative", "talks about")
    for p in found.result.personas:
        table.add_row(
            p.name,
            f"{p.size:,}",
            f"{p.share:.0%}",
            f"{p.sentiment:+.2f}" if p.sentiment is not None else "–",
            f"{p.negative_share:.0%}" if p.negative_share is not None else "–",
            ", ".join(a for a, _ in p.top_aspects),
        )
    console.print(table)
