"""``voxpop templates list|import|export``."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select
from typer.testing import CliRunner

from voxpop.cli import app
from voxpop.settings import Settings
from voxpop.store import Store
from voxpop.store.models.replies import ReplyTemplate


@pytest.fixture
def runner(settings: Settings, store: Store, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("VOXPOP_HOME", str(settings.home))
    monkeypatch.setenv("VOXPOP_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("VOXPOP_SECRET_KEY", settings.secret_key.get_secret_value())
    return CliRunner()


def _count(store: Store) -> int:
    with store.read() as s:
        return int(s.scalar(select(func.count()).select_from(ReplyTemplate)) or 0)


def test_import_defaults_list_export_and_import_again(runner: CliRunner, store: Store, tmp_path: Path) -> None:
    result = runner.invoke(app, ["templates", "import", "--defaults"])
    assert result.exit_code == 0, result.output
    total = _count(store)
    assert f"{total} templates added, 0 updated" in result.output
    listed = runner.invoke(app, ["templates", "list", "--language", "de"])
    assert listed.exit_code == 0
    with store.read() as s:
        german = s.scalar(select(func.count()).select_from(ReplyTemplate).where(ReplyTemplate.language == "de"))
    assert f"{german} reply templates" in listed.output
    assert "apology" in listed.output
    out = tmp_path / "library.yaml"
    assert runner.invoke(app, ["templates", "export", "-o", str(out)]).exit_code == 0
    data = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert len(data["templates"]) == total
    again = runner.invoke(app, ["templates", "import", str(out)])
    assert again.exit_code == 0, again.output
    assert f"0 templates added, {total} updated" in again.output


def test_a_bad_file_is_refused_whole_with_a_clear_error(runner: CliRunner, store: Store, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        yaml.safe_dump(
            {"templates": [{"name": "fine", "body": "Thanks!"}, {"name": "evil", "body": "{{ self.__init__ }}"}]}
        )
    )
    result = runner.invoke(app, ["templates", "import", str(bad)])
    assert result.exit_code == 1
    assert "template 2" in result.output
    assert "attribute access" in result.output
    assert _count(store) == 0
    assert runner.invoke(app, ["templates", "import"]).exit_code == 1
