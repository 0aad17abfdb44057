from __future__ import annotations

import pytest
from typer.testing import CliRunner

from voxpop.accounts.tokens import authenticate_token
from voxpop.accounts.users import authenticate, get_user_by_email
from voxpop.cli import app
from voxpop.errors import AuthenticationError
from voxpop.settings import Settings
from voxpop.store import Store


@pytest.fixture
def runner(settings: Settings, store: Store, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("VOXPOP_HOME", str(settings.home))
    monkeypatch.setenv("VOXPOP_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("VOXPOP_SECRET_KEY", settings.secret_key.get_secret_value())
    return CliRunner()


def test_department_user_and_token_commands(runner: CliRunner, store: Store, settings: Settings) -> None:
    assert runner.invoke(app, ["department", "create", "Front desk", "--sla-hours", "24"]).exit_code == 0
    created = runner.invoke(
        app,
        [
            "user",
            "create",
            "Desk@Example.com",
            "--role",
            "agent",
            "--name",
            "Dee",
            "--department",
            "Front desk",
            "--password-stdin",
        ],
        input="a long enough password\n",
    )
    assert created.exit_code == 0, created.output
    assert "a long enough password" not in created.output
    listed = runner.invoke(app, ["user", "list"])
    assert "desk@example.com" in listed.output
    assert "Front desk" in listed.output
    token = runner.invoke(app, ["token", "create", "desk@example.com", "--name", "ci", "--scope", "items:read"])
    assert token.exit_code == 0, token.output
    plaintext = next(word for word in token.output.split() if word.startswith("vxp_"))
    with store.write() as s:
        user = authenticate(s, "desk@example.com", "a long enough password", settings=settings)
        assert [d.name for d in user.departments] == ["Front desk"]
        token_id = authenticate_token(s, plaintext).id
    listed = runner.invoke(app, ["token", "list", "desk@example.com"])
    assert plaintext[:12] in listed.output
    assert plaintext not in listed.output
    assert runner.invoke(app, ["token", "revoke", str(token_id)]).exit_code == 0
    with store.read() as s, pytest.raises(AuthenticationError, match="revoked"):
        authenticate_token(s, plaintext)


def test_password_is_prompted_without_echo(runner: CliRunner, store: Store) -> None:
    typed = "pw-123456\npw-123456\n"  # the password and its confirmation
    result = runner.invoke(app, ["user", "create", "ann@example.com", "--role", "viewer"], input=typed)
    assert result.exit_code == 0, result.output
    assert "pw-123456" not in result.output
    with store.read() as s:
        assert get_user_by_email(s, "ann@example.com").role == "viewer"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["user", "create", "x@example.com", "--role", "owner", "--password-stdin"], "unknown role 'owner'"),
        (["user", "create", "x@example.com", "--department", "Nowhere", "--password-stdin"], "no department named"),
        (["token", "create", "nobody@example.com", "--name", "t", "--scope", "items:read"], "no user with e-mail"),
    ],
)
def test_bad_input_is_one_clear_line(runner: CliRunner, store: Store, args: list[str], message: str) -> None:
    result = runner.invoke(app, args, input="a long enough password\n")
    assert result.exit_code == 1
    assert message in result.output
