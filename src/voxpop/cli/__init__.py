"""The ``voxpop`` command: a thin shell over the service layer, one module per verb group.

Command modules are imported when first needed: ``voxpop analyze …`` imports only ``cli/analyze.py``
(not the store, the web app or the password hasher), so its first result comes sooner. Anything that
asks for ``voxpop.cli.app`` (tests, help, an unknown command) gets every command registered.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence

import typer

_app = typer.Typer(
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
    "personas",
    "backup",
    "data",
]

_loaded: set[str] = set()


@_app.callback()
def _group() -> None:
    # A callback keeps ``voxpop`` a group of commands when ``main`` has loaded only one of them (a Typer
    # app with a single command and no callback would run it without its name).
    pass


def load_commands(modules: Sequence[str] = COMMAND_MODULES) -> typer.Typer:
    """Import command modules (each registers its commands on the app when imported); returns the app."""
    for name in modules:
        if name in _loaded:
            continue
        _loaded.add(name)  # first, so a module's own ``from voxpop.cli import app`` does not load the rest
        try:
            importlib.import_module(f"voxpop.cli.{name}")
        except ModuleNotFoundError as exc:  # a module not written yet must not break the others
            if exc.name != f"voxpop.cli.{name}":
                raise
    return _app


def __getattr__(name: str) -> typer.Typer:
    """``voxpop.cli.app``: the app with the commands loaded (every one, unless ``main`` chose one)."""
    if name != "app":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return load_commands(() if _loaded else COMMAND_MODULES)


def _names(app: typer.Typer) -> set[str]:
    commands = {
        info.name or (info.callback.__name__.replace("_", "-") if info.callback else "")
        for info in app.registered_commands
    }
    return commands | {info.name or "" for info in app.registered_groups}


def main() -> None:
    """The console script: load only the module named by the first argument when it defines that command."""
    first = sys.argv[1] if len(sys.argv) > 1 else ""
    if first in COMMAND_MODULES and first in _names(load_commands([first])):
        _app()
    else:
        load_commands()()
