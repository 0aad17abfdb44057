"""``voxpop rules``: list, import and export the routing rules (YAML; see voxpop.act.routing.yamlio)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from voxpop.act.routing.rules import list_rules, spec_document, spec_of
from voxpop.act.routing.yamlio import export_yaml, import_yaml
from voxpop.cli import app
from voxpop.cli.common import console, open_store, user_errors
from voxpop.errors import ValidationError

rules_app = typer.Typer(help="Routing rules: which department, assignee, priority and SLA each item gets.")
app.add_typer(rules_app, name="rules")


@rules_app.command("list")
def rules_list() -> None:
    """The rules in the order they are evaluated."""
    with user_errors(), open_store() as store, store.read() as session:
        table = Table("#", "id", "name", "on", "kind", "when", "then")
        for rule in list_rules(session):
            doc = spec_document(spec_of(rule))
            kind = "default" if rule.is_default else ("continue" if rule.continue_matching else "")
            table.add_row(
                str(rule.position),
                str(rule.id),
                rule.name,
                "yes" if rule.enabled else "no",
                kind,
                ", ".join(f"{k}={v}" for k, v in doc["when"].items()) or "any item",
                ", ".join(f"{k}={v}" for k, v in doc["then"].items()),
            )
        console.print(table)


@rules_app.command("import")
def rules_import(
    path: Path = typer.Argument(..., help="A YAML file with 'rules:' (as 'voxpop rules export' writes)."),
    replace: bool = typer.Option(False, "--replace", help="Also delete the stored rules the file does not list."),
) -> None:
    """Add or update the file's rules (matched by name), all or nothing."""
    with user_errors():
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ValidationError(f"{path}: cannot read it ({exc})") from exc
        with open_store() as store, store.write() as session:
            counts = import_yaml(session, None, text, replace=replace, origin=str(path))
        console.print(f"{counts['created']} created, {counts['updated']} updated, {counts['deleted']} deleted")


@rules_app.command("export")
def rules_export(
    output: Path | None = typer.Option(None, "--output", "-o", help="Write to this file instead of stdout."),
) -> None:
    """Every rule, in order, as YAML."""
    with user_errors(), open_store() as store, store.read() as session:
        text = export_yaml(session)
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        console.print(f"rules written to {output}")
