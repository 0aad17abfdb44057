"""Safe templating for canned responses.

A template is parsed, and its syntax tree checked against a whitelist *before* it is stored and again
before every render: it may print the documented variables, use a few text filters and ``if``/``else``
on them, and nothing else — no attribute or item access, no calls, no imports, no macros, no loops, no
globals (``cycler``, ``joiner``, ``namespace``, ``lipsum``, ``range``…) and no name outside the
whitelist (``self``, ``config``…). Rendering happens in Jinja's immutable sandbox with empty globals
and plain string values, so even a template that slipped past the check could not reach Python.
"""

from __future__ import annotations

from collections.abc import Mapping

from jinja2 import TemplateSyntaxError, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment

from voxpop.errors import ValidationError

#: The variables a template may use, with what they hold (shown in the editor).
VARIABLES: dict[str, str] = {
    "first_name": "the customer's first name (empty when unknown)",
    "customer_name": "the customer's full name or handle",
    "business": "your business's name (settings: business_name)",
    "location": "the item's location, e.g. the branch or hotel",
    "aspect": "the main aspect the item is about, e.g. delivery",
    "agent_name": "the name of the agent who sends the reply",
    "agent_first_name": "the agent's first name",
    "review_link": "the link to the item on its platform",
    "channel": "where the item came from, e.g. google",
}
FILTERS = frozenset({"default", "upper", "lower", "title", "capitalize", "trim"})
MAX_LENGTH = 5000

# Node types a canned response may contain; anything else is refused.
_ALLOWED = (
    nodes.Template,
    nodes.Output,
    nodes.TemplateData,
    nodes.Name,
    nodes.Const,
    nodes.If,
    nodes.CondExpr,
    nodes.And,
    nodes.Or,
    nodes.Not,
    nodes.Compare,
    nodes.Operand,
    nodes.Filter,
    nodes.Test,
    nodes.Concat,
)
_TESTS = frozenset({"defined", "undefined", "none"})


class TemplateRejected(ValidationError):
    """A template uses something outside the whitelist, or does not parse."""


def _env() -> ImmutableSandboxedEnvironment:
    env = ImmutableSandboxedEnvironment(autoescape=False, keep_trailing_newline=False)
    env.globals.clear()
    env.filters = {name: env.filters[name] for name in FILTERS}
    env.tests = {name: env.tests[name] for name in _TESTS}
    return env


_ENV = _env()


def _describe(node: nodes.Node) -> str:
    kinds = {
        nodes.Getattr: "attribute access ('.')",
        nodes.Getitem: "item access ('[...]')",
        nodes.Call: "calls",
        nodes.Import: "{% import %}",
        nodes.FromImport: "{% from ... import %}",
        nodes.Include: "{% include %}",
        nodes.Extends: "{% extends %}",
        nodes.Macro: "macros",
        nodes.CallBlock: "{% call %}",
        nodes.For: "loops",
        nodes.Assign: "{% set %}",
        nodes.AssignBlock: "{% set %}",
        nodes.Block: "blocks",
        nodes.With: "{% with %}",
        nodes.FilterBlock: "{% filter %}",
    }
    for kind, label in kinds.items():
        if isinstance(node, kind):
            return label
    return type(node).__name__


def check_template(body: str) -> set[str]:
    """Refuse ``body`` with a message that says what is not allowed; return the variables it uses."""
    if len(body) > MAX_LENGTH:
        raise TemplateRejected(f"the template is {len(body)} characters long; the limit is {MAX_LENGTH}")
    try:
        tree = _ENV.parse(body)
    except TemplateSyntaxError as exc:
        raise TemplateRejected(f"the template does not parse (line {exc.lineno}): {exc.message}") from exc
    used: set[str] = set()
    allowed = ", ".join(VARIABLES)
    for node in tree.find_all(nodes.Node):
        if not isinstance(node, _ALLOWED):
            raise TemplateRejected(
                f"templates may not use {_describe(node)} (line {node.lineno}); "
                f"use only the variables {allowed} and the filters {', '.join(sorted(FILTERS))}"
            )
        if isinstance(node, nodes.Name):
            if node.ctx != "load" or node.name not in VARIABLES:
                raise TemplateRejected(
                    f"unknown variable '{node.name}' (line {node.lineno}); templates can use: {allowed}"
                )
            used.add(node.name)
        elif isinstance(node, nodes.Filter) and node.name not in FILTERS:
            raise TemplateRejected(
                f"the filter '{node.name}' is not allowed (line {node.lineno}); allowed: {', '.join(sorted(FILTERS))}"
            )
        elif isinstance(node, nodes.Test) and node.name not in _TESTS:
            raise TemplateRejected(f"the test '{node.name}' is not allowed (line {node.lineno})")
        elif isinstance(node, nodes.Const) and not isinstance(node.value, str | int | float | bool | None):
            raise TemplateRejected(f"only plain text and numbers may appear as constants (line {node.lineno})")
    return used


def render_template(body: str, values: Mapping[str, str]) -> str:
    """Fill ``body`` (checked again here, so a bad template stored by other means renders nothing)."""
    check_template(body)
    context = {name: str(values.get(name) or "") for name in VARIABLES}
    return _ENV.from_string(body).render(context).strip()
