"""``voxpop surveys …`` and ``voxpop invitations …`` against a real store and a real SMTP server."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.servers import SmtpSink
from voxpop.cli import app
from voxpop.settings import Settings
from voxpop.store import Store

SURVEY = """
title: After your visit
questions:
  - kind: nps
    prompt: How likely are you to recommend us?
    followup_at_or_below: 6
    followup_prompt: What should we improve?
  - kind: single
    prompt: How did you find us?
    options: [Search, Friend, Walked by]
"""


@pytest.fixture
def runner(settings: Settings, store: Store, smtp_server: SmtpSink, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("VOXPOP_HOME", str(settings.home))
    monkeypatch.setenv("VOXPOP_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("VOXPOP_SECRET_KEY", settings.secret_key.get_secret_value())
    for key, value in smtp_server.settings_overrides().items():
        monkeypatch.setenv(f"VOXPOP_{key.upper()}", str(value))
    return CliRunner()


def test_survey_commands(runner: CliRunner, smtp_server: SmtpSink, tmp_path: Path) -> None:
    spec = tmp_path / "survey.yaml"
    spec.write_text(SURVEY)
    created = runner.invoke(app, ["surveys", "create", str(spec)])
    assert created.exit_code == 0, created.output
    assert "/s/after-your-visit-" in created.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("title: X\nquestions:\n  - kind: nps\n    prompt: Q\n  - kind: stars\n    prompt: Q\n")
    refused = runner.invoke(app, ["surveys", "create", str(bad)])
    assert refused.exit_code == 1
    assert "question 2, field 'kind'" in refused.output
    people = tmp_path / "people.csv"
    people.write_text("email,name\nkim@example.com,Kim\n")
    invited = runner.invoke(app, ["surveys", "invite", "1", str(people), "--send"])
    assert invited.exit_code == 0, invited.output
    assert "1 mailed" in invited.output
    assert smtp_server.wait_for(1)[0].recipients == ["kim@example.com"]
    listed = runner.invoke(app, ["surveys", "list"])
    assert "After your visit" in listed.output
    results = runner.invoke(app, ["surveys", "results", "1"])
    assert "0 responses" in results.output
    exported = runner.invoke(app, ["surveys", "export", "1"])
    assert next(csv.reader(io.StringIO(exported.output)))[:4] == ["response_id", "created_at", "updated_at", "email"]


def test_invitation_commands(runner: CliRunner, smtp_server: SmtpSink, tmp_path: Path) -> None:
    customers = tmp_path / "customers.csv"
    customers.write_text("email,name,location\nann@example.com,Ann,Leeds\nbad-address,Bob,\n")
    no_link = runner.invoke(app, ["invitations", "send", str(customers), "--platform", "google"])
    assert no_link.exit_code == 1
    assert "row 3, field 'email'" in no_link.output
    customers.write_text("email,name,location\nann@example.com,Ann,Leeds\nbob@example.com,Bob,\n")
    assert runner.invoke(app, ["invitations", "link", "google", "https://g.page/r/x/review"]).exit_code == 0
    dry = runner.invoke(app, ["invitations", "send", str(customers), "--platform", "google", "--dry-run"])
    assert "would invite 2" in dry.output
    assert smtp_server.messages == []
    sent = runner.invoke(app, ["invitations", "send", str(customers), "--platform", "google"])
    assert sent.exit_code == 0, sent.output
    assert "invited 2" in sent.output
    again = runner.invoke(app, ["invitations", "send", str(customers), "--platform", "google"])
    assert "invited recently 2" in again.output
    assert len(smtp_server.wait_for(2)) == 2
