"""The commands: voxpop alerts run|test, voxpop digest send, voxpop outreach send|status."""

from __future__ import annotations

from datetime import timedelta

import pytest
from typer.testing import CliRunner

from tests.act.alerts_support import add_item, manager, source, wired_store
from tests.servers import HttpSink, SmtpSink
from voxpop.act.alerts.destinations import create_destination
from voxpop.act.alerts.rules import create_rule
from voxpop.cli import app
from voxpop.settings import Settings
from voxpop.store import Store
from voxpop.store.models import Customer
from voxpop.store.types import utcnow


def _env(settings: Settings, smtp: SmtpSink, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOXPOP_HOME", str(settings.home))
    monkeypatch.setenv("VOXPOP_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("VOXPOP_SECRET_KEY", settings.secret_key.get_secret_value())
    monkeypatch.setenv("VOXPOP_SMTP_HOST", smtp.host)
    monkeypatch.setenv("VOXPOP_SMTP_PORT", str(smtp.port))
    monkeypatch.setenv("VOXPOP_SMTP_SECURITY", "none")
    monkeypatch.setenv("VOXPOP_ALLOW_PRIVATE_URLS", "true")


def test_alerts_run_and_test(
    store: Store, smtp_server: SmtpSink, http_server: HttpSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    _env(store.settings, smtp_server, monkeypatch)
    wired = wired_store(store)
    boss = manager(wired)
    with wired.write() as s:
        hook = create_destination(
            s, boss, wired.settings, name="ops hook", kind="webhook", target=f"{http_server.url}/hook"
        )
        create_rule(s, boss, name="sla", kind="sla", destination_ids=[hook.id])
    add_item(wired, source(wired), at=utcnow() - timedelta(hours=30), due_at=utcnow() - timedelta(hours=2))
    runner = CliRunner()

    result = runner.invoke(app, ["alerts", "run"])
    assert result.exit_code == 0, result.output
    assert "1 new alerts; 1 messages sent" in result.output
    assert runner.invoke(app, ["alerts", "run"]).output.startswith("0 new alerts; 0 messages")
    assert [r.json()["type"] for r in http_server.requests] == ["alert"]

    assert runner.invoke(app, ["alerts", "test", "ops hook"]).exit_code == 0
    assert http_server.requests[-1].json()["type"] == "test"
    missing = runner.invoke(app, ["alerts", "test", "nope"])
    assert missing.exit_code == 1
    assert "no alert destination named 'nope'" in missing.output


def test_outreach_and_digest_commands(store: Store, smtp_server: SmtpSink, monkeypatch: pytest.MonkeyPatch) -> None:
    _env(store.settings, smtp_server, monkeypatch)
    with store.write() as s:
        customer = Customer(email="ana@example.com", name="Ana", handles={}, attributes={})
        s.add(customer)
        s.flush()
        customer_id = customer.id
    add_item(store, source(store), at=utcnow() - timedelta(days=1), sentiment="positive", customer_id=customer_id)
    runner = CliRunner()

    dry = runner.invoke(app, ["outreach", "send", "--dry-run"])
    assert "ana@example.com" in dry.output
    assert smtp_server.messages == []
    sent = runner.invoke(app, ["outreach", "send"])
    assert sent.exit_code == 0, sent.output
    assert "1 sent, 0 failed, 0 skipped" in sent.output
    assert "0 sent" in runner.invoke(app, ["outreach", "send"]).output  # asked already
    status = runner.invoke(app, ["outreach", "status"])
    assert "testimonial" in status.output

    bad = runner.invoke(app, ["digest", "send", "--week", "soon"])
    assert bad.exit_code == 1
    assert "--week" in bad.output
    runner.invoke(app, ["department", "create", "Billing", "--email", "billing@example.com"])
    digest = runner.invoke(app, ["digest", "send", "--department", "Billing"])
    assert "Billing: sent to billing@example.com" in digest.output
    assert len(smtp_server.wait_for(2)) == 2
