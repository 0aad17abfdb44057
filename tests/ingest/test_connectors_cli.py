"""`voxpop formats` and `voxpop ingest` on a platform export, through the real command."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from voxpop.cli import app
from voxpop.settings import Settings
from voxpop.store import Store

from .helpers import count_items

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def cli(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("VOXPOP_HOME", str(settings.home))
    monkeypatch.setenv("VOXPOP_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("VOXPOP_SECRET_KEY", settings.secret())
    monkeypatch.setenv("COLUMNS", "250")
    return CliRunner()


def test_formats_lists_every_platform_format(cli: CliRunner, store: Store) -> None:
    result = cli.invoke(app, ["formats"])
    assert result.exit_code == 0, result.output
    for name in ("google_business", "google_play", "trustpilot"):
        assert name in result.output


def test_ingest_detects_the_format_and_reimport_adds_nothing(cli: CliRunner, store: Store) -> None:
    path = str(FIXTURES / "trustpilot" / "reviews.json")
    first = cli.invoke(app, ["ingest", path, "--no-analyze"])
    assert first.exit_code == 0, first.output
    assert "read 2, added 2, already present 0, rejected 0 [format: trustpilot]" in first.output
    again = cli.invoke(app, ["ingest", path, "--no-analyze"])
    assert "added 0, already present 2" in again.output
    assert count_items(store) == 2


def test_ingest_refuses_an_unknown_format_name(cli: CliRunner, store: Store) -> None:
    result = cli.invoke(app, ["ingest", str(FIXTURES / "trustpilot" / "reviews.json"), "--format", "myspace"])
    assert result.exit_code != 0
    assert "'myspace' is not one of csv, json, jsonl" in result.output
    assert count_items(store) == 0
