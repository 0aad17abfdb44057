"""Routing rules as YAML: export → import gives the same rules; bad files are refused naming the field."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.web.conftest import World
from voxpop.act.routing.rules import create_rule, list_rules, parse_spec, spec_document, spec_of
from voxpop.act.routing.yamlio import export_yaml, import_yaml, parse_yaml
from voxpop.cli import app
from voxpop.errors import ValidationError
from voxpop.settings import Settings
from voxpop.store import Store

RULES = """
rules:
  - name: refund words
    when:
      keywords: [refund, money back]
      regex: 'charged (twice|two times)'
      sentiments: [negative]
      stars_max: 2
    then: {department: Billing, priority: 2, sla_hours: 4, tags: [refund]}
  - name: vip
    continue: true
    when: {locations: [Lyon], channels: [google]}
    then: {tags: [vip], priority: 3}
  - name: everything else
    default: true
    enabled: false
    then: {department: Delivery}
"""


def documents(store: Store) -> list[dict[str, object]]:
    with store.read() as s:
        return [spec_document(spec_of(r)) for r in list_rules(s)]


def test_round_trip(store: Store, world: World) -> None:
    with store.write() as s:
        assert import_yaml(s, None, RULES) == {"created": 3, "updated": 0, "deleted": 0}
    first = documents(store)
    assert [d["name"] for d in first] == ["refund words", "vip", "everything else"]
    assert first[1]["continue"] is True
    assert first[2] == {
        "name": "everything else",
        "enabled": False,
        "default": True,
        "when": {},
        "then": {"department": "Delivery"},
    }
    with store.read() as s:
        exported = export_yaml(s)
    # Importing the export over the same rules changes nothing; with replace it also drops strays.
    with store.write() as s:
        create_rule(s, None, parse_spec({"name": "stray", "then": {"priority": 1}}))
    with store.write() as s:
        assert import_yaml(s, None, exported, replace=True) == {"created": 0, "updated": 3, "deleted": 1}
    assert documents(store) == first


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("rules: [", r"not valid YAML \(line 1, column"),
        ("rules: {name: x}", "expected 'rules:' followed by a list"),
        (
            "rules:\n  - name: a\n    then: {priority: 1}\n"
            "  - name: b\n    when: {regex: '(?<=x)'}\n    then: {priority: 1}\n",
            r"rule 2 \('b'\): when.regex: .* look-arounds",
        ),
        (
            "rules:\n  - name: a\n    when: {stars_min: six}\n    then: {priority: 1}\n",
            r"rule 1 \('a'\): when.stars_min: ",
        ),
        ("rules:\n  - name: a\n    then: {priority: 1}\n  - name: a\n    then: {priority: 2}\n", "used twice"),
        ("rules:\n  - just a string\n", "rule 1: expected a mapping"),
        ("rules:\n  - name: a\n    then: {colour: red}\n", r"rule 1 \('a'\): then.colour: "),
    ],
)
def test_bad_yaml_names_the_rule_and_field(text: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        parse_yaml(text, origin="rules.yaml")


def test_import_is_all_or_nothing(store: Store, world: World) -> None:
    text = "rules:\n  - name: ok\n    then: {department: Billing}\n  - name: bad\n    then: {department: Kitchen}\n"
    expected = r"rule 2 \('bad'\): then.department: no department named 'Kitchen'"
    with pytest.raises(ValidationError, match=expected), store.write() as s:
        import_yaml(s, None, text)
    assert documents(store) == []


def test_cli_import_export_list(
    settings: Settings, store: Store, world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VOXPOP_HOME", str(settings.home))
    monkeypatch.setenv("VOXPOP_DATABASE_URL", settings.database_url)
    source = tmp_path / "rules.yaml"
    source.write_text(RULES)
    runner = CliRunner()
    result = runner.invoke(app, ["rules", "import", str(source)])
    assert result.exit_code == 0, result.output
    assert "3 created" in result.output
    listed = runner.invoke(app, ["rules", "list"])
    assert listed.exit_code == 0, listed.output
    assert "refund words" in listed.output
    assert "everything else" in listed.output
    target = tmp_path / "out.yaml"
    exported = runner.invoke(app, ["rules", "export", "--output", str(target)])
    assert exported.exit_code == 0, exported.output
    assert parse_yaml(target.read_text()) == parse_yaml(RULES)
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules:\n  - name: a\n    when: {regex: '(a)\\1'}\n    then: {priority: 1}\n")
    failed = runner.invoke(app, ["rules", "import", str(bad)])
    assert failed.exit_code != 0
    # Rich wraps long lines (anywhere in a long path): compare without the whitespace.
    assert "bad.yaml,rule1('a'):when.regex" in "".join(failed.output.split())
