"""``voxpop analyze INPUT -o OUTPUT.jsonl``: analyse a CSV or JSON Lines file, no store needed."""

from __future__ import annotations

import re
import shutil
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from voxpop.cli import app
from voxpop.cli.common import console, err_console, load_settings, user_errors
from voxpop.errors import ValidationError

_SCALE = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*(?:-|–|\.\.)\s*(-?\d+(?:\.\d+)?)\s*$")


def _parse_map(specs: list[str]) -> dict[str, str]:
    from voxpop.analyze.file_rows import OPTIONAL_FIELDS

    mapping: dict[str, str] = {}
    for spec in specs:
        for pair in filter(None, (p.strip() for p in spec.split(","))):
            field, sep, column = pair.partition("=")
            field = field.strip()
            if not sep or not column.strip():
                raise ValidationError(f"--map {pair!r}: expected FIELD=COLUMN")
            if field not in OPTIONAL_FIELDS:
                raise ValidationError(f"--map {pair!r}: unknown field {field!r}; fields: {', '.join(OPTIONAL_FIELDS)}")
            mapping[field] = column.strip()
    return mapping


def _parse_scale(text: str) -> tuple[float, float]:
    match = _SCALE.match(text)
    if not match:
        raise ValidationError(f"--rating-scale {text!r}: expected MIN-MAX, e.g. 1-5")
    return float(match.group(1)), float(match.group(2))


def _chosen(skip: list[str]) -> list[str] | None:
    """Every registered enricher but the skipped ones; skipping one that another needs is an error."""
    if not skip:
        return None
    from voxpop.analyze.registry import default_registry

    registry = default_registry()
    for name in skip:
        registry.spec(name)  # an unknown name fails here, listing the known ones
    chosen = [name for name in registry.names() if name not in skip]
    needed = {spec.name for spec in registry.ordered(chosen)}
    for name in skip:
        if name in needed:
            users = sorted(n for n in chosen if name in registry.spec(n).requires)
            raise ValidationError(f"--skip {name}: {', '.join(users)} needs it; skip those too")
    return chosen


@app.command("analyze")
def analyze(
    source: Path = typer.Argument(
        ..., help="CSV (with a header; delimiter , ; tab or |), JSON or JSON Lines file, gzipped or not"
    ),
    output: Path = typer.Option(
        ...,
        "-o",
        "--output",
        help="Where to write the results (JSON Lines); - for standard output, written once the topics are in",
    ),
    text_column: str = typer.Option("text", help="Column with the text"),
    id_column: str = typer.Option("id", help="Column with the item id (rows are numbered when it is absent)"),
    taxonomy: str | None = typer.Option(
        None, help="Taxonomy file (YAML/JSON) or built-in name; default: the taxonomy setting (general)."
    ),
    map_: list[str] = typer.Option(
        [],
        "--map",
        help="FIELD=COLUMN pairs for rating, created_at, author, source, location, followers, likes, shares "
        "(columns of the same name are used without it)",
    ),
    rating_scale: str = typer.Option("1-5", help="The scale of the rating column"),
    topics: bool = typer.Option(True, help="Discover topics over the whole file (filled in at the end)"),
    batch_size: int = typer.Option(256, min=1, max=10_000, help="Items per batch once started"),
    skip: list[str] = typer.Option(
        [], "--skip", help="Leave out an enricher (repeatable), e.g. --skip aspects for speed, --skip topics"
    ),
    encoding: str | None = typer.Option(
        None, help="Text encoding, e.g. latin-1 or cp1252 (default: UTF-8, or as the BOM says)."
    ),
) -> None:
    """Analyse every row: sentiment, aspects and department, language, question, urgency, fake-review risk,
    topics. One JSON object per input row, in input order, written as soon as each batch is done."""
    from voxpop.analyze.file_rows import Columns
    from voxpop.analyze.pipeline import Analyzer
    from voxpop.analyze.stream import analyze_file

    # Topics are filled into the results at the end, so standard output gets them from a temporary file.
    to_stdout = str(output) == "-"
    with user_errors(), ExitStack() as cleanup:
        target = output
        if to_stdout:
            target = Path(cleanup.enter_context(tempfile.TemporaryDirectory(prefix="voxpop-analyze-"))) / "out.jsonl"
        fields = {name: name for name in Columns().fields}
        fields.update(_parse_map(map_))
        columns = Columns(text=text_column, id=id_column, fields=fields, id_required=id_column != "id")
        analyzer = Analyzer(load_settings(), taxonomy, enrichers=_chosen(skip))
        with Progress(
            SpinnerColumn(),
            TextColumn("[bold]analysing[/bold] {task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err_console,
            transient=False,
        ) as progress:
            task = progress.add_task(source.name, total=None)
            summary = analyze_file(
                source,
                target,
                analyzer,
                columns=columns,
                rating_scale=_parse_scale(rating_scale),
                topics=topics,
                batch_size=batch_size,
                progress=lambda done: progress.update(task, completed=done),
                encoding=encoding,
            )
        if to_stdout:
            with target.open(encoding="utf-8") as results:
                shutil.copyfileobj(results, sys.stdout)
            sys.stdout.flush()
            err_console.print(f"{summary.rows} items analysed, {len(summary.topics)} topics", highlight=False)
            _report_problems(summary.problem_rows, summary.first_problem)
            return
    console.print(f"{summary.rows} items analysed → {output}", highlight=False)
    if summary.topics_path is not None:
        console.print(f"{len(summary.topics)} topics → {summary.topics_path}", highlight=False)
    _report_problems(summary.problem_rows, summary.first_problem)


def _report_problems(rows: int, first: str | None) -> None:
    if rows:
        err_console.print(
            f"{rows} row{'s' if rows != 1 else ''} had a value or a line that could not be read: a value is left "
            "out and the row analysed without it, a line is analysed as an empty text; the reasons are under "
            f'"problems" in the results. The first: {first}',
            highlight=False,
        )
