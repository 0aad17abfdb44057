from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from voxpop.settings import Settings


def test_defaults_give_sqlite_in_home(tmp_path: Path) -> None:
    s = Settings(home=tmp_path)
    assert s.database_url == f"sqlite:///{tmp_path / 'voxpop.db'}"
    assert s.is_sqlite


def test_env_prefix_and_postgres_switch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOXPOP_DATABASE_URL", "postgresql://me:pw@db.example/voxpop")
    s = Settings()
    assert s.database_url == "postgresql+psycopg://me:pw@db.example/voxpop"
    assert not s.is_sqlite
    assert "pw" not in str(s.public_dict())


def test_bad_values_fail_loudly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOXPOP_PORT", "not-a-port")
    with pytest.raises(ValidationError):
        Settings()
    with pytest.raises(ValidationError):
        Settings(database_url="mysql://x")
    with pytest.raises(ValidationError):
        Settings(unknown_option=1)  # type: ignore[call-arg]


def test_config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "voxpop.toml"
    cfg.write_text('port = 9001\nbase_url = "https://cx.example.com"\n')
    monkeypatch.setenv("VOXPOP_CONFIG", str(cfg))
    s = Settings()
    assert s.port == 9001
    assert s.cookie_secure
    monkeypatch.setenv("VOXPOP_PORT", "9002")  # the environment wins over the file
    assert Settings().port == 9002


def test_generated_secret_is_private_and_stable(tmp_path: Path) -> None:
    s = Settings(home=tmp_path)
    first = s.secret()
    assert len(first) >= 32
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
    assert Settings(home=tmp_path).secret() == first
