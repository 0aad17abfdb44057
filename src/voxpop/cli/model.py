"""``voxpop model fit KIND FILE``: adapt one of voxpop's learned models to a business's labelled data.

Each kind lives in its own analysis module, which offers
``fit_from_csv(settings, path, *, text_column, label_column) -> str`` (a one-paragraph report) and saves
the fitted model under ``settings.models_path``, where ``voxpop analyze`` and the app pick it up.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import typer

from voxpop.cli import app
from voxpop.cli.common import console, load_settings, user_errors

FITTABLE = {
    "sentiment": "voxpop.analyze.sentiment",
    "authenticity": "voxpop.analyze.authenticity",
}

model_app = typer.Typer(help="Learned models: fit them to your own labelled data.", no_args_is_help=True)
app.add_typer(model_app, name="model")


@model_app.command("fit")
def fit(
    kind: str = typer.Argument(..., help=f"What to fit: {', '.join(FITTABLE)}"),
    path: Path = typer.Argument(..., exists=True, dir_okay=False, help="Labelled CSV file"),
    text_column: str = typer.Option("text", help="Column with the text"),
    label_column: str = typer.Option("label", help="Column with the label"),
) -> None:
    """Fit a model on labelled rows and keep it in the data folder for everything that follows."""
    if kind not in FITTABLE:
        raise typer.BadParameter(f"unknown model {kind!r}; choose one of {', '.join(FITTABLE)}")
    module = importlib.import_module(FITTABLE[kind])
    with user_errors():
        report = module.fit_from_csv(load_settings(), path, text_column=text_column, label_column=label_column)
    console.print(report)
