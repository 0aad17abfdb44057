"""``voxpop model fit KIND [FILE]``: adapt one of voxpop's learned models to a business's labelled data.

Each kind lives in its own analysis module, which offers
``fit_from_csv(settings, path, *, text_column, label_column) -> str`` (a one-paragraph report) and saves
the fitted model under ``settings.models_path``, where ``voxpop analyze`` and the app pick it up. For
sentiment, the corrections agents made in the app are added to the labelled rows (or are the labelled
rows, when no file is given).
"""

from __future__ import annotations

import csv
import importlib
import tempfile
from pathlib import Path

import typer

from voxpop.act.corrections import sentiment_examples
from voxpop.cli import app
from voxpop.cli.common import console, load_settings, open_store, user_errors
from voxpop.errors import IngestError, ValidationError

FITTABLE = {
    "sentiment": "voxpop.analyze.sentiment_training",
    "authenticity": "voxpop.analyze.authenticity",
}

model_app = typer.Typer(help="Learned models: fit them to your own labelled data.", no_args_is_help=True)
app.add_typer(model_app, name="model")


@model_app.command("fit")
def fit(
    kind: str = typer.Argument(..., help=f"What to fit: {', '.join(FITTABLE)}"),
    path: Path | None = typer.Argument(None, exists=True, dir_okay=False, help="Labelled CSV file"),
    text_column: str = typer.Option("text", help="Column with the text"),
    label_column: str = typer.Option("label", help="Column with the label"),
    corrections: bool = typer.Option(
        True, "--corrections/--no-corrections", help="Add the sentiment corrections agents made in the app."
    ),
) -> None:
    """Fit a model on labelled rows and keep it in the data folder for everything that follows."""
    if kind not in FITTABLE:
        raise typer.BadParameter(f"unknown model {kind!r}; choose one of {', '.join(FITTABLE)}")
    module = importlib.import_module(FITTABLE[kind])
    settings = load_settings()
    with user_errors():
        extra: list[tuple[str, str]] = []
        if kind == "sentiment" and corrections:
            with open_store(settings) as store, store.read() as session:
                extra = sentiment_examples(session)
        if path is None and not extra:
            raise ValidationError("give a labelled CSV file (the store has no corrections to learn from yet)")
        if not extra:
            assert path is not None
            report = module.fit_from_csv(settings, path, text_column=text_column, label_column=label_column)
        else:
            with tempfile.TemporaryDirectory() as tmp:
                merged = Path(tmp) / "labelled.csv"
                rows = _merge(path, text_column, label_column, extra, merged)
                console.print(f"learning from {rows:,} labelled rows, {len(extra):,} of them agents' corrections")
                report = module.fit_from_csv(settings, merged, text_column="text", label_column="label")
    console.print(report)


def _merge(path: Path | None, text_column: str, label_column: str, extra: list[tuple[str, str]], out: Path) -> int:
    """Write the file's (text, label) rows and the corrections into one two-column CSV; returns the count."""
    count = 0
    with out.open("w", newline="", encoding="utf-8") as target:
        writer = csv.writer(target)
        writer.writerow(["text", "label"])
        if path is not None:
            with path.open(newline="", encoding="utf-8-sig") as source:
                reader = csv.DictReader(source)
                for name in (text_column, label_column):
                    if name not in (reader.fieldnames or []):
                        raise IngestError(str(path), f"no column '{name}' in the header", row=1, field=name)
                for row in reader:
                    writer.writerow([row[text_column], row[label_column]])
                    count += 1
        writer.writerows(extra)
    return count + len(extra)
