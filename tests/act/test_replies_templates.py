"""Canned responses: the sandbox refuses templates that reach for internals, variables are filled,
the library is loaded once and imports/exports YAML, and only managers edit it."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from tests.web.conftest import World, add_item
from voxpop.accounts.users import get_user_by_email
from voxpop.act.replies.sandbox import TemplateRejected, check_template, render_template
from voxpop.act.replies.templates import (
    TemplateInput,
    create_template,
    delete_template,
    ensure_library,
    export_templates,
    import_templates,
    item_values,
    library_files,
    read_library,
    update_template,
)
from voxpop.errors import PermissionDeniedError, ValidationError
from voxpop.store import Store
from voxpop.store.models import AuditEvent, Item
from voxpop.store.models.replies import ReplyTemplate

ESCAPES = [
    ("{{ self.__init__.__globals__ }}", "attribute access"),
    ("{{ config }}", "unknown variable 'config'"),
    ("{{ ''.__class__.__mro__ }}", "attribute access"),
    ("{{ ''.__class__.__mro__[1].__subclasses__() }}", "calls"),
    ('{% import "base.html" as b %}', "{% import %}"),
    ('{% from "base.html" import x %}', "{% from ... import %}"),
    ('{% include "base.html" %}', "{% include %}"),
    ('{% extends "base.html" %}', "{% extends %}"),
    ("{{ cycler(1, 2) }}", "calls"),
    ("{{ cycler }}", "unknown variable 'cycler'"),
    ("{{ joiner }}", "unknown variable 'joiner'"),
    ("{{ namespace }}", "unknown variable 'namespace'"),
    ("{{ lipsum() }}", "calls"),
    ("{{ range(10) }}", "calls"),
    ("{{ first_name.upper() }}", "calls"),
    ("{{ first_name.__class__ }}", "attribute access"),
    ("{{ first_name['__class__'] }}", "item access"),
    ("{{ first_name|attr('__class__') }}", "the filter 'attr'"),
    ("{{ first_name|format('%s') }}", "the filter 'format'"),
    ("{% for c in first_name %}{{ c }}{% endfor %}", "loops"),
    ("{% set x = first_name %}{{ x }}", "{% set %}"),
    ("{% macro m() %}x{% endmacro %}", "macros"),
    ("{{ request }}", "unknown variable 'request'"),
    ("{{ settings }}", "unknown variable 'settings'"),
    ("{{ first_name is callable }}", "the test 'callable'"),
    ("Hello {{ first_name", "does not parse"),
]


@pytest.mark.parametrize(("body", "message"), ESCAPES)
def test_escapes_are_rejected_with_a_clear_message(body: str, message: str) -> None:
    with pytest.raises(TemplateRejected) as caught:
        check_template(body)
    assert message in str(caught.value)


@pytest.mark.parametrize(("body", "message"), ESCAPES[:6])
def test_a_bad_template_stored_anyway_renders_nothing(body: str, message: str) -> None:
    with pytest.raises(TemplateRejected):
        render_template(body, {"first_name": "Ann"})


def test_variables_are_filled_and_filters_work() -> None:
    body = (
        'Hi {{ first_name|default("there", true) }}, {{ agent_first_name }} from {{ business|upper }}'
        "{% if location %} in {{ location }}{% endif %}. {{ review_link }}"
    )
    assert check_template(body) == {"first_name", "agent_first_name", "business", "location", "review_link"}
    text = render_template(body, {"agent_first_name": "Maria", "business": "Acme", "review_link": "https://x/1"})
    assert text == "Hi there, Maria from ACME. https://x/1"
    text = render_template(body, {"first_name": "Ann", "location": "Lyon"})
    assert text.startswith("Hi Ann,")
    assert "in Lyon." in text


def test_values_are_never_interpreted_as_templates() -> None:
    text = render_template("Hi {{ first_name }}", {"first_name": "{{ config }} <b>x</b>"})
    assert text == "Hi {{ config }} <b>x</b>"


def test_item_values(store: Store, world: World) -> None:
    item_id = add_item(store, world.reviews, author_name="Maria Lopez", location="Lyon", url="https://g.co/r/1")
    with store.write() as s:
        item = s.get(Item, item_id)
        assert item is not None
        item.aspects = [{"name": "delivery", "sentiment": "negative"}]
        agent = get_user_by_email(s, "admin@example.com")
        values = item_values(item, agent, business="Acme")
    assert values["first_name"] == "Maria"
    assert values["customer_name"] == "Maria Lopez"
    assert values["aspect"] == "delivery"
    assert values["agent_first_name"] == "Ada"
    assert values["review_link"] == "https://g.co/r/1"
    assert values["location"] == "Lyon"
    assert values["business"] == "Acme"
    other = add_item(store, world.reviews, minutes=1, author_handle="@ann_99")
    with store.read() as s:
        item = s.get(Item, other)
        assert item is not None
        assert item_values(item, None)["first_name"] == ""


def test_default_library_parses_and_covers_the_core_languages() -> None:
    names = {p.stem for p in library_files()}
    assert names == {"general", "restaurant", "hotel", "airline", "saas"}
    for path in library_files():
        entries = read_library(path)
        core = [e for e in entries if e.purpose == "thanks" and e.sentiment == "positive"]
        assert {e.language for e in core} >= {"en", "es", "fr", "de"}, path
        apologies = {e.language for e in entries if e.purpose == "apology"}
        assert apologies >= {"en", "es", "fr", "de"}, path


def test_library_loaded_once_on_first_use(store: Store, world: World) -> None:
    with store.write() as s:
        ensure_library(s)
    with store.write() as s:
        count = len(list(s.scalars(select(ReplyTemplate))))
        assert count > 50
        admin = get_user_by_email(s, "admin@example.com")
        for template in list(s.scalars(select(ReplyTemplate))):
            delete_template(s, admin, template.id)
    with store.write() as s:
        ensure_library(s)  # deleted on purpose: it stays deleted
        assert s.scalar(select(ReplyTemplate.id)) is None


def test_save_time_rejection_and_permissions(store: Store, world: World) -> None:
    with store.write() as s:
        manager = get_user_by_email(s, "manager@example.com")
        agent = get_user_by_email(s, "agent@example.com")
        with pytest.raises(ValidationError, match="body: unknown variable 'config'"):
            create_template(s, manager, TemplateInput(name="bad", body="{{ config }}"))
        with pytest.raises(PermissionDeniedError):
            create_template(s, agent, TemplateInput(name="ok", body="Thanks {{ first_name }}"))
        with pytest.raises(ValidationError, match="sentiment"):
            create_template(s, manager, TemplateInput(name="x", body="Hi", sentiment="angry"))
        made = create_template(
            s, manager, TemplateInput(name="ok", body="Thanks {{ first_name }}", sentiment="positive")
        )
        with pytest.raises(ValidationError, match="already exists"):
            create_template(s, manager, TemplateInput(name="ok", body="Thanks"))
        with pytest.raises(ValidationError, match="attribute access"):
            update_template(s, manager, made.id, TemplateInput(name="ok", body="{{ self.__init__.__globals__ }}"))
        made_id = made.id
    with store.read() as s:
        stored = s.get(ReplyTemplate, made_id)
        assert stored is not None
        assert stored.body == "Thanks {{ first_name }}"
        actions = set(s.scalars(select(AuditEvent.action)))
    assert "reply_template_created" in actions


def test_import_export_round_trip(store: Store, world: World, tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "vertical": "clinic",
                "templates": [
                    {
                        "name": "thanks — visit",
                        "sentiment": "positive",
                        "bodies": {"en": "Thank you {{ first_name }}!"},
                    },
                    {
                        "name": "apology",
                        "purpose": "apology",
                        "sentiment": "negative",
                        "body": "Sorry.",
                        "language": "fr",
                    },
                ],
            }
        )
    )
    entries = read_library(path)
    with store.write() as s:
        assert import_templates(s, entries) == (2, 0)
        assert import_templates(s, entries) == (0, 2)
        exported = export_templates(s)
    assert {e["name"] for e in exported["templates"]} == {"thanks — visit", "apology"}
    out = tmp_path / "out.yaml"
    out.write_text(yaml.safe_dump(exported, allow_unicode=True))
    assert {(e.name, e.language) for e in read_library(out)} == {("thanks — visit", "en"), ("apology", "fr")}


def test_import_errors_name_the_file_entry_and_field(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        yaml.safe_dump({"templates": [{"name": "ok", "body": "Hi"}, {"name": "evil", "body": "{{ config }}"}]})
    )
    with pytest.raises(ValidationError) as caught:
        read_library(path)
    message = str(caught.value)
    assert str(path) in message
    assert "template 2" in message
    assert "evil" in message
    assert "config" in message
    path.write_text("templates: [")
    with pytest.raises(ValidationError, match="YAML"):
        read_library(path)
