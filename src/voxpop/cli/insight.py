"""``voxpop trends``, ``voxpop questions``, ``voxpop events add|list`` and ``voxpop business import``: thin shells
over measure/."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import typer
from rich.table import Table
from rich.text import Text

from voxpop.cli import app
from voxpop.cli.common import console, open_store, user_errors
from voxpop.errors import ValidationError
from voxpop.measure import business, events, faq, trends
from voxpop.measure.daily_series import METRICS
from voxpop.store.types import utcnow

events_app = typer.Typer(help="Campaigns, policy and price changes, launches marked on the timeline.")
business_app = typer.Typer(help="Business metrics (churn, purchase frequency, return rate, click rate).")
app.add_typer(events_app, name="events")
app.add_typer(business_app, name="business")


def _day(value: str | None, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise ValidationError(f"{name}: '{value}' is not a date (YYYY-MM-DD)") from exc


@app.command("trends")
def trends_command(
    metric: str = typer.Option("negative_share", help=f"One of {', '.join(METRICS)}"),
    date_from: str = typer.Option("", "--from", help="First day (YYYY-MM-DD); default: the last 180 days"),
    date_to: str = typer.Option("", "--to", help="Last day (YYYY-MM-DD)"),
    location: str = typer.Option("", help="Only this location"),
    segments: bool = typer.Option(True, help="Also look inside each location, aspect and channel"),
) -> None:
    """Print the significant changes of a metric and the segments that drove each one."""
    with user_errors(), open_store() as store, store.read() as session:
        report = trends.trend_report(
            session,
            None,
            metric,
            start=_day(date_from, "--from"),
            end=_day(date_to, "--to"),
            location=location or None,
            segments=segments,
        )
    console.print(Text(f"{metric}: {report.start} – {report.end}, {report.items} items"))
    if not report.changes:
        console.print("no significant change (permutation scan test, p ≤ 0.01)")
    for change in report.changes:
        console.print(
            Text(
                f"{change.day}  {change.label} {change.before:.3f} → {change.after:.3f}  "
                f"(p = {change.p_value:.3f}, n = {change.n_before}/{change.n_after})",
                style="bold",
            )
        )
        for dimension in ("aspect", "location", "channel"):
            for driver in report.drivers_of(change, dimension)[:3]:
                console.print(
                    Text(
                        f"    {dimension} {driver.segment}: {driver.total:+.3f} ({driver.kind}; "
                        f"share {driver.share_before:.0%} → {driver.share_after:.0%}); items "
                        + ", ".join(f"#{i}" for i in driver.evidence)
                    )
                )
    for change in report.segment_changes:
        console.print(
            Text(
                f"inside {change.dimension} {change.segment}: {change.day} {change.before:.3f} → "
                f"{change.after:.3f} (p = {change.p_value:.4f})"
            )
        )


@app.command("questions")
def questions_command(
    days: int = typer.Option(90, min=1, help="The last N days, today included"),
    grouping: str = typer.Option("usual", help=f"How alike a group's questions are: {', '.join(faq.SIMILARITY)}"),
    min_count: int = typer.Option(2, "--min-count", help="Show questions asked at least this often"),
    examples: int = typer.Option(3, help="Other wordings to print under each question"),
) -> None:
    """Print the recurring questions (FAQ candidates): what customers asked more than once, most asked first."""
    today = utcnow().date()
    with user_errors(), open_store() as store, store.read() as session:
        view = faq.faq_view(
            session, None, today - timedelta(days=days - 1), today, grouping=grouping, min_count=min_count
        )
    note = f", {view.not_embedded} not embedded yet" if view.not_embedded else ""
    console.print(Text(f"{view.first} – {view.last}: {view.questions} questions read{note}"))
    if not view.entries:
        console.print(f"no question was asked at least {min_count} times")
    for entry in view.entries:
        console.print(
            Text(f"{entry.count:4d}× ({entry.unanswered} unanswered) #{entry.question.item_id} {entry.question.text}")
        )
        for other in entry.examples[1 : 1 + examples]:
            console.print(Text(f"        #{other.item_id} {other.text}", style="dim"))


@events_app.command("add")
def events_add(
    name: str = typer.Argument(..., help="What happened, e.g. 'Spring sale'"),
    starts: str = typer.Option(..., "--starts", help="First day (YYYY-MM-DD)"),
    kind: str = typer.Option("other", help=f"One of {', '.join(events.KINDS)}"),
    ends: str = typer.Option("", "--ends", help="Last day (YYYY-MM-DD), if it lasted"),
    location: str = typer.Option("", help="Only at this location"),
    description: str = typer.Option(""),
) -> None:
    """Mark an event on the timeline."""
    with user_errors(), open_store() as store, store.write() as session:
        starts_on = _day(starts, "--starts")
        assert starts_on is not None
        event = events.add_event(
            session,
            None,
            name=name,
            kind=kind,
            starts_on=starts_on,
            ends_on=_day(ends, "--ends"),
            location=location or None,
            description=description,
        )
        console.print(Text(f"event {event.id}: {event.name} ({event.kind}, {event.starts_on})"))


@events_app.command("list")
def events_list(
    reaction: bool = typer.Option(False, help="Also measure each event's before/after reaction"),
    window: int = typer.Option(events.WINDOW_DAYS, help="Days before and after, for --reaction"),
) -> None:
    """The events on the timeline, oldest first."""
    lines: list[str] = []
    with user_errors(), open_store() as store, store.read() as session:
        table = Table(title="Events")
        for column in ("id", "starts", "ends", "kind", "name", "location"):
            table.add_column(column)
        for event in events.list_events(session):
            row = [str(event.id), str(event.starts_on), str(event.ends_on or ""), event.kind, event.name]
            table.add_row(*(Text(v) for v in [*row, event.location or "all"]))
            if reaction:
                found = events.reaction(session, None, event, window=window)
                for d in [*found.measures(), *found.aspects]:
                    if d.before is None or d.after is None or d.p_value is None:
                        continue
                    flag = "significant" if d.significant else "not significant"
                    lines.append(
                        f"event {event.id} {d.label}: {d.before:.3f} -> {d.after:.3f}, "
                        f"p = {d.p_value:.4f} ({d.test}, {flag})"
                    )
    console.print(table)
    for line in lines:
        console.print(Text(line), soft_wrap=True)


@business_app.command("import")
def business_import(path: Path = typer.Argument(..., exists=True, dir_okay=False, help="CSV file")) -> None:
    """Import business metrics from a CSV (wide: period,churn,…; or long: period,metric,value)."""
    with user_errors(), open_store() as store, store.write() as session:
        count = business.import_csv(session, path)
    console.print(f"imported {count} values from {path}")
