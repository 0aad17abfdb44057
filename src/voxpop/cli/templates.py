"""``voxpop templates list|import|export``: the canned-response library from the command line."""

from __future__ import annotations

from pathlib import Path

import typer
import yaml
from rich.table import Table
from rich.text import Text

from voxpop.act.replies.templates import (
    export_templates,
    import_templates,
    library_files,
    list_templates,
    load_default_library,
    read_library,
)
from voxpop.cli import app
from voxpop.cli.common import console, open_store, user_errors
from voxpop.errors import ValidationError

templates_app = typer.Typer(help="Canned-response templates for replies.", no_args_is_help=True)
app.add_typer(templates_app, name="templates")


@templates_app.command("list")
def list_command(language: str = typer.Option("", help="Only this language, e.g. es.")) -> None:
    """The templates in the library."""
    with open_store() as store, store.read() as session:
        rows = list_templates(session, language=language or None)
        table = Table(title=f"{len(rows)} reply templates")
        for column in ("id", "name", "lang", "sentiment", "aspect", "channel", "purpose"):
            table.add_column(column)
        for t in rows:
            table.add_row(
                str(t.id),
                Text(t.name),
                t.language,
                t.sentiment or "any",
                Text(t.aspect or "any"),
                Text(t.channel or "any"),
                t.purpose,
            )
    console.print(table)


@templates_app.command("import")
def import_command(
    files: list[Path] = typer.Argument(None, help="YAML files (see `voxpop templates export` for the format)."),
    defaults: bool = typer.Option(False, "--defaults", help="Import the default library shipped with voxpop."),
) -> None:
    """Add templates from YAML (a template with the same name and language is updated)."""
    with user_errors():
        if not files and not defaults:
            raise ValidationError("give YAML files to import, or --defaults for the shipped library")
        entries = [entry for path in files or [] for entry in read_library(path)]  # every file checked first
        with open_store() as store, store.write() as session:
            added = updated = 0
            if defaults:
                added, updated = load_default_library(session)
            if entries:
                more = import_templates(session, entries)
                added, updated = added + more[0], updated + more[1]
    names = ", ".join(p.stem for p in library_files()) if defaults else ""
    console.print(f"{added} templates added, {updated} updated" + (f" (default library: {names})" if names else ""))


@templates_app.command("export")
def export_command(
    output: Path = typer.Option(None, "--output", "-o", help="Write to this file instead of the screen."),
) -> None:
    """The whole library as YAML, ready to edit and import again."""
    with open_store() as store, store.read() as session:
        text = yaml.safe_dump(export_templates(session), allow_unicode=True, sort_keys=False, width=120)
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        console.print(f"wrote {output}")
