"""The loop's e-mails are rendered by an autoescaping Jinja environment (text from strangers is never
markup), from the templates in ``loop/templates``."""

from __future__ import annotations

from importlib.resources import files
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

_env = Environment(
    loader=FileSystemLoader(str(files("voxpop.loop") / "templates")),
    autoescape=select_autoescape(["html"], default_for_string=False, default=False),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def render_mail(template: str, **context: Any) -> tuple[str, str]:
    """The plain-text and HTML bodies of mail ``template`` (``<template>.txt`` and ``<template>.html``)."""
    text = _env.get_template(f"{template}.txt").render(**context)
    return text, _env.get_template(f"{template}.html").render(**context)
