"""``voxpop taxonomy list|show|fit``: the aspects a business tracks, and learning them from labelled rows."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import typer
from rich.table import Table
from rich.text import Text

from voxpop.analyze.taxonomy import (
    builtin_names,
    fit_taxonomy,
    load_taxonomy,
    read_labelled_csv,
    save_taxonomy,
)
from voxpop.cli import app
from voxpop.cli.common import console, user_errors

taxonomy_app = typer.Typer(help="Aspect taxonomies: list the built-ins, show one, fit one to labelled data.")
app.add_typer(taxonomy_app, name="taxonomy")


@taxonomy_app.command("list")
def list_builtins() -> None:
    """The taxonomies shipped with voxpop (copy one with `show`, edit it, and pass the file)."""
    table = Table(title="Built-in taxonomies")
    table.add_column("name", style="bold")
    table.add_column("aspects", justify="right")
    table.add_column("description")
    for name in builtin_names():
        taxonomy = load_taxonomy(name)
        table.add_row(Text(name), str(len(taxonomy.aspects)), Text(taxonomy.description))
    console.print(table)


@taxonomy_app.command("show")
def show(
    name_or_file: str = typer.Argument(..., help="A built-in name (see `voxpop taxonomy list`) or a YAML file"),
) -> None:
    """Print a taxonomy's aspects, their departments, keywords and examples."""
    with user_errors():
        taxonomy = load_taxonomy(name_or_file)
    head = taxonomy.head
    title = f"{taxonomy.name} — {len(taxonomy.aspects)} aspects"
    if taxonomy.threshold is not None:
        title += f", zero-shot threshold {taxonomy.threshold:.2f}"
    table = Table(title=Text(title))
    table.add_column("aspect", style="bold", no_wrap=True)
    table.add_column("department")
    table.add_column("description", ratio=3)
    table.add_column("keywords", ratio=1)
    table.add_column("examples", justify="right")
    table.add_column("learned")
    for aspect in taxonomy.aspects:
        keywords = ", ".join(aspect.keywords[:4]) + (", …" if len(aspect.keywords) > 4 else "")
        table.add_row(
            Text(aspect.name),
            Text(aspect.department or "—"),
            Text(aspect.description),
            Text(keywords),
            str(len(aspect.examples)),
            "yes" if head is not None and aspect.name in head.labels else "no",
        )
    console.print(table)
    if taxonomy.description:
        console.print(Text(taxonomy.description))
    if head is not None:
        mode = "one aspect per text" if head.exclusive else "several aspects per text"
        console.print(f"Learned head: {len(head.labels)} aspects, {mode}.")


@taxonomy_app.command("fit")
def fit(
    path: Path = typer.Argument(..., exists=True, dir_okay=False, help="Labelled CSV file"),
    output: Path = typer.Option(..., "--output", "-o", help="Where to write the fitted taxonomy (YAML)"),
    text_column: str = typer.Option("text", help="Column with the text"),
    label_column: str = typer.Option("label", help="Column with the aspect label(s)"),
    separator: str = typer.Option(";", help="Separates several labels in one cell"),
    taxonomy: str | None = typer.Option(
        None, "--taxonomy", "-t", help="Base taxonomy (built-in name or YAML) whose aspects the labels map to"
    ),
) -> None:
    """Learn aspects from labelled rows and write a taxonomy that carries what it learned."""
    with user_errors():
        base = load_taxonomy(taxonomy) if taxonomy else None
        texts, labels = read_labelled_csv(path, text_column=text_column, label_column=label_column, separator=separator)
        with console.status(f"Fitting on {len(texts)} rows…"):
            fitted = fit_taxonomy(texts, labels, base=base, name=output.stem)
        save_taxonomy(fitted, output)
    head = fitted.head
    assert head is not None
    counts = Counter(fitted.resolve(label) for row in labels for label in set(row))
    console.print(
        Text(
            f"Wrote {output}: {len(fitted.aspects)} aspects, {len(head.labels)} learned from {len(texts)} rows "
            f"({', '.join(f'{name} {count}' for name, count in counts.most_common())})."
        )
    )
