"""The ``voxpop`` command: a thin shell over the service layer, one module per verb group."""

from __future__ import annotations

import importlib

import typer

app = typer.Typer(
    name="voxpop",
    help="voxpop — hear every customer, understand them offline, act, measure, close the loop.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

# Each module registers its commands on ``app`` when imported. Keep this list in the flow's order.
COMMAND_MODULES = [
    "db",
    "ingest",
    "sources",
    "analyze",
    "reanalyze",
    "topics",
    "model",
    "taxonomy",
    "rules",
    "users",
    "alerts",
    "outreach",
    "templates",
    "report",
    "loop",
    "serve",
    "demo",
    "worker",
    "insight",
    "backup",
    "data",
]

for _name in COMMAND_MODULES:
    try:
        importlib.import_module(f"voxpop.cli.{_name}")
    except ModuleNotFoundError as exc:  # a module not written yet must not break the others
        if exc.name != f"voxpop.cli.{_name}":
            raise


def main() -> None:
    app()
