"""``voxpop topics rebuild|refresh|list``: the store-wide topics (``voxpop.analyze.store_topics``)."""

from __future__ import annotations

import json

import typer
from rich.table import Table
from rich.text import Text

from voxpop.analyze import store_topics
from voxpop.cli import app
from voxpop.cli.common import console, open_store, user_errors

topics_app = typer.Typer(help="Topics found over the whole store, with stable ids and weekly volume.")
app.add_typer(topics_app, name="topics")


def _print(report: store_topics.TopicsReport) -> None:
    line = f"{report.assigned} items placed, {report.embedded} embedded"
    if report.rebuilt:
        line += f"; topics: {report.kept} kept, {report.new} new, {report.retired} retired"
    console.print(Text(line))


@topics_app.command("rebuild")
def rebuild(
    min_cluster_size: int = typer.Option(0, help="Smallest topic, in items (0: from the store's size)"),
) -> None:
    """Re-cluster every item; topics that match an old one keep its id and name."""
    with user_errors(), open_store() as store:
        _print(store_topics.rebuild_topics(store, min_cluster_size=min_cluster_size or None))


@topics_app.command("refresh")
def refresh() -> None:
    """What the scheduler runs: place new items, or rebuild if there are no topics or they are a week old."""
    with user_errors(), open_store() as store:
        _print(store_topics.refresh_topics(store))


@topics_app.command("list")
def list_command(
    retired: bool = typer.Option(False, help="Also list topics that vanished at a rebuild"),
    as_json: bool = typer.Option(False, "--json", help="JSON with the weekly volume of each topic"),
) -> None:
    """The topics, largest first."""
    with user_errors(), open_store() as store, store.read() as session:
        found = store_topics.list_topics(session, retired=retired)
    if as_json:
        console.print_json(json.dumps([vars(t) for t in found]))
        return
    table = Table("id", "name", "items", "weeks", "last week")
    for topic in found:
        weeks = list(topic.volume_by_week.items())
        last = f"{weeks[-1][0]}: {weeks[-1][1]}" if weeks else ""
        name = topic.name + (" (retired)" if topic.retired else "")
        table.add_row(str(topic.id), Text(name), str(topic.size), str(len(weeks)), last)
    console.print(table)
