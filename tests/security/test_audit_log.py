"""The audit log answers "who viewed, changed, sent or exported what": item views (page and API), report
downloads, survey exports, dumps, backups and restores, users and tokens created, tokens revoked — and
an admin page lists it, filtered, with strangers' values escaped. (Log-ins, replies sent, erasures,
corrections and dashboard exports have their audit tests beside their features; see docs/security.md.)"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from tests.web.conftest import World, add_item, csrf_of, login
from voxpop.accounts.audit import record
from voxpop.cli import app as cli_app
from voxpop.loop.surveys import SurveySpec, create_survey
from voxpop.settings import Settings
from voxpop.store import Store
from voxpop.store.models import AuditEvent
from voxpop.store.types import utcnow


def _events(store: Store, action: str | None = None) -> list[tuple[str, str, str | None, str | None, dict[str, Any]]]:
    query = select(AuditEvent).order_by(AuditEvent.id)
    if action is not None:
        query = query.where(AuditEvent.action == action)
    with store.read() as s:
        return [(e.action, e.actor, e.object_type, e.object_id, e.detail) for e in s.scalars(query)]


def test_views_downloads_and_exports_are_audited(
    app_client: TestClient, world: World, store: Store, token_for: Any
) -> None:
    mine = add_item(store, world.reviews, department_id=world.billing)
    theirs = add_item(store, world.reviews, minutes=1, department_id=world.delivery)
    with store.write() as s:
        survey_id = create_survey(s, SurveySpec(title="Your visit", thank_you="Thanks")).id
    token = token_for("admin@example.com", "items:read")
    assert app_client.get(f"/api/v1/items/{mine}", headers={"Authorization": f"Bearer {token}"}).status_code == 200

    login(app_client, "agent@example.com")
    assert app_client.get(f"/items/{mine}").status_code == 200
    assert app_client.get(f"/items/{theirs}").status_code == 404  # out of scope: nothing was viewed
    app_client.cookies.clear()
    login(app_client, "admin@example.com")
    today = utcnow().date()
    query = f"date_from={(today - timedelta(days=7)).isoformat()}&date_to={today.isoformat()}"
    assert app_client.get(f"/reports/report.html?{query}").status_code == 200
    assert app_client.get(f"/surveys/{survey_id}/export.csv").status_code == 200
    imported = app_client.post(
        "/business/import",
        data={"csrf_token": csrf_of(app_client.get("/business").text)},
        files={"file": ("m.csv", b"period,churn\n2015-10,0.05\n2015-11,0.04\n", "text/csv")},
        follow_redirects=False,
    )
    assert imported.status_code == 303

    assert _events(store, "item.view") == [
        ("item.view", "admin@example.com", "item", str(mine), {"via": "api"}),
        ("item.view", "agent@example.com", "item", str(mine), {"via": "page"}),
    ]
    [download] = _events(store, "report.download")
    assert download[1] == "admin@example.com"
    assert download[3] is not None
    assert download[3].endswith(".html")
    assert _events(store, "business.import") == [
        ("business.import", "admin@example.com", "business_metrics", None, {"file": "m.csv", "values": 2})
    ]
    assert _events(store, "survey_exported") == [("survey_exported", "admin@example.com", "survey", str(survey_id), {})]


def _rows(response: Any) -> str:
    """The table of events only (the filter form's placeholders name actions too)."""
    assert response.status_code == 200
    return str(response.text).split("<tbody>")[-1] if "<tbody>" in response.text else ""


@pytest.fixture
def cli(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("VOXPOP_HOME", str(settings.home))
    monkeypatch.setenv("VOXPOP_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("VOXPOP_SECRET_KEY", settings.secret())
    return CliRunner()


def test_accounts_dumps_backups_and_restores_from_the_cli_are_audited(
    cli: CliRunner, world: World, store: Store, tmp_path: Path
) -> None:
    made = cli.invoke(
        cli_app,
        ["user", "create", "new@example.com", "--role", "viewer", "--password-stdin"],
        input="a long passphrase here\n",
    )
    assert made.exit_code == 0, made.output
    token = cli.invoke(cli_app, ["token", "create", "new@example.com", "--name", "bot", "--scope", "items:read"])
    assert token.exit_code == 0, token.output
    with store.read() as s:
        token_id = s.scalar(select(AuditEvent.object_id).where(AuditEvent.action == "token_created"))
    assert token_id is not None
    assert cli.invoke(cli_app, ["token", "revoke", token_id]).exit_code == 0
    assert cli.invoke(cli_app, ["dump", str(tmp_path / "dump")]).exit_code == 0
    backup = cli.invoke(cli_app, ["backup", str(tmp_path / "snapshot.backup")])
    assert backup.exit_code == 0, backup.output
    restored = cli.invoke(cli_app, ["restore", str(tmp_path / "snapshot.backup"), "--yes"])
    assert restored.exit_code == 0, restored.output

    actions = [(a, actor, kind) for a, actor, kind, _id, _d in _events(store)]
    assert ("user_created", "cli", "user") in actions
    assert ("token_created", "new@example.com", "api_token") in actions
    assert [i for a, _actor, _kind, i, _d in _events(store) if a == "token_revoked"] == [token_id]
    assert ("store.dump", "cli", None) in actions
    # The restore brought back the store as it was at the backup (so the backup's own event, written just
    # after the snapshot, is gone with it); the restore itself is then recorded in the restored store.
    assert actions[-1] == ("store.restore", "cli", "backup")
    assert ("store.backup", "cli", "backup") not in actions


def test_admins_list_and_filter_the_log_and_nobody_else_can(app_client: TestClient, world: World, store: Store) -> None:
    item = add_item(store, world.reviews, department_id=world.billing)
    with store.write() as s:
        record(
            s,
            "webhook_refused",
            actor='<script>alert("actor")</script>',
            object_type="source",
            object_id=7,
            why="<b>x</b>",
        )
    login(app_client, "agent@example.com")
    app_client.get(f"/items/{item}")
    assert app_client.get("/audit").status_code == 403
    app_client.cookies.clear()
    login(app_client, "manager@example.com")
    assert app_client.get("/audit").status_code == 403
    app_client.cookies.clear()
    login(app_client, "admin@example.com")

    everything = app_client.get("/audit")
    assert everything.status_code == 200
    assert "webhook_refused" in everything.text
    assert f'<a href="/items/{item}">item {item}</a>' in everything.text
    assert '<script>alert("actor")</script>' not in everything.text  # strangers' values stay text
    assert "&lt;script&gt;" in everything.text
    assert "<b>x</b>" not in everything.text

    views = _rows(app_client.get("/audit?action=item."))
    assert "item.view" in views
    assert "webhook_refused" not in views
    by_agent = _rows(app_client.get("/audit?actor=agent%40"))
    assert "item.view" in by_agent
    assert "login_failed" not in by_agent
    assert "admin@example.com" not in by_agent
    by_object = _rows(app_client.get("/audit?object_type=source&object_id=7"))
    assert "webhook_refused" in by_object
    assert "item.view" not in by_object
    tomorrow = (utcnow().date() + timedelta(days=1)).isoformat()
    assert "No event matches" in app_client.get(f"/audit?date_from={tomorrow}").text
    bad = app_client.get("/audit?date_from=yesterday")
    assert bad.status_code == 422
    assert "date_from" in bad.text
