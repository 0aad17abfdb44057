"""Reports: the HTML page (escaped quotes, inline SVG, no script), the PDF printed by Chromium, the
scheduled e-mails to a real local SMTP server (sent once), and the /reports pages per role."""

from __future__ import annotations

import io
import shutil
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader

from tests.servers import SmtpSink
from tests.web.conftest import PASSWORD, World, add_item, csrf_of, login
from voxpop.accounts.users import create_user
from voxpop.act.departments import create_department
from voxpop.measure import reports
from voxpop.measure.rollups import process_pending
from voxpop.measure.series import Slice
from voxpop.store import Store
from voxpop.store.models import Source
from voxpop.store.models.measure import ReportSchedule
from voxpop.web.app import create_app

PAYLOAD = "<script>alert('x')</script> The room was =cold= & dirty"
NOW = datetime(2025, 6, 4, 9, 0, tzinfo=UTC)  # a Wednesday
MAY = Slice(date(2025, 5, 1), date(2025, 5, 31))


@pytest.fixture
def world(store: Store) -> World:
    with store.write() as s:
        billing = create_department(s, name="Billing")
        delivery = create_department(s, name="Delivery")
        create_user(s, email="admin@example.com", password=PASSWORD, role="admin")
        create_user(s, email="manager@example.com", password=PASSWORD, role="manager")
        create_user(s, email="agent@example.com", password=PASSWORD, role="agent", department_ids=[billing.id])
        create_user(s, email="viewer@example.com", password=PASSWORD, role="viewer")
        reviews = Source(name="Google reviews", kind="file", channel="google", config={})
        tweets = Source(name="Twitter", kind="file", channel="twitter", config={})
        s.add_all([reviews, tweets])
        s.flush()
        return World(billing=billing.id, delivery=delivery.id, reviews=reviews.id, tweets=tweets.id)


@pytest.fixture
def app_client(store: Store) -> Iterator[TestClient]:
    with TestClient(create_app(store.settings, store), base_url="http://testserver") as client:
        yield client


def _seed(store: Store, world: World, start: datetime) -> None:
    for i in range(8):
        add_item(
            store,
            world.reviews,
            created_at=start + timedelta(hours=5 * i),
            external_id=f"r{i}",
            department_id=world.billing if i % 2 else world.delivery,
            location="Leeds",
            rating=0.0 if i < 3 else 1.0,
            sentiment="negative" if i < 3 else "positive",
            sentiment_score=-0.9 if i == 0 else (-0.5 if i < 3 else 0.8),
            text=PAYLOAD if i == 0 else f"Lovely stay number {i}" if i >= 3 else "Slow check-in",
            aspects=[{"name": "cleanliness", "sentiment": "negative" if i < 3 else "positive"}],
        )


def test_report_html_is_self_contained_and_escaped(store: Store, world: World) -> None:
    _seed(store, world, datetime(2025, 5, 10, tzinfo=UTC))
    process_pending(store)
    with store.read() as s:
        report = reports.build_report(s, None, MAY, settings=store.settings)
    html = reports.render_html(report)
    assert "<script" not in html.lower()
    assert "&lt;script&gt;alert(" in html
    assert html.count("<svg") == 2
    assert "Top complaints" in html
    assert "Slow check-in" in html
    assert "Lovely stay number" in html
    assert "Billing" in html
    assert "Delivery" in html
    assert 'src="http' not in html  # nothing fetched from elsewhere
    assert "<link" not in html
    assert report.complaints[0].text == PAYLOAD  # the most negative first
    text = reports.render_text(report)
    assert "Feedback: 8" in text


@pytest.mark.skipif(shutil.which("chromium") is None, reason="Chromium is not installed")
def test_report_pdf_printed_by_chromium(store: Store, world: World) -> None:
    _seed(store, world, datetime(2025, 5, 10, tzinfo=UTC))
    process_pending(store)
    with store.read() as s:
        report = reports.build_report(s, None, MAY, settings=store.settings, title="May report")
    pdf = reports.render_pdf(reports.render_html(report))
    assert pdf.startswith(b"%PDF")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "May report" in text
    assert "Slow check-in" in text
    assert "<script>alert('x')</script>" in text  # shown as text, never run


def test_schedules_mail_the_last_full_period_once(store: Store, world: World, smtp_server: SmtpSink) -> None:
    _seed(store, world, datetime(2025, 5, 27, tzinfo=UTC))  # in the week of Mon 26 May – Sun 1 Jun
    settings = store.settings.model_copy(update=smtp_server.settings_overrides())
    with store.write() as s:
        schedule = reports.create_schedule(
            s,
            name="Weekly CX",
            recipients=["cx@example.com", "boss@example.com"],
            period="week",
            now=NOW - timedelta(days=7),
        )
        schedule_id = schedule.id
        assert schedule.next_run_at == datetime(2025, 6, 2, 6, 0, tzinfo=UTC)
    assert reports.send_due(store, settings, now=NOW) == 1
    assert reports.send_due(store, settings, now=NOW) == 0  # run twice: sent once
    mails = smtp_server.wait_for(2)
    assert sorted(r for m in mails for r in m.recipients) == ["boss@example.com", "cx@example.com"]
    assert mails[0].subject == "Weekly CX: 2025-05-26 – 2025-06-01"
    html = mails[0].part("html")
    assert "&lt;script&gt;alert(" in html
    assert "<script" not in html.lower()
    assert "Feedback: 8" in mails[0].part("plain")
    with store.read() as s:
        saved = s.get(ReportSchedule, schedule_id)
        assert saved is not None
        assert saved.last_sent_at == NOW
        assert saved.next_run_at == datetime(2025, 6, 9, 6, 0, tzinfo=UTC)


def test_schedule_failure_is_kept_and_input_checked(store: Store, world: World) -> None:
    with store.write() as s:
        with pytest.raises(reports.ValidationError, match="recipients"):
            reports.create_schedule(s, name="x", recipients=["not an address"])
        with pytest.raises(reports.ValidationError, match="period"):
            reports.create_schedule(s, name="x", recipients=["a@example.com"], period="daily")
        schedule = reports.create_schedule(s, name="x", recipients=["a@example.com"], now=NOW - timedelta(days=9))
        schedule_id = schedule.id
    assert reports.send_due(store, store.settings, now=NOW) == 0  # no SMTP configured
    with store.read() as s:
        saved = s.get(ReportSchedule, schedule_id)
        assert saved is not None
        assert saved.last_error is not None
        assert "not configured" in saved.last_error


def test_previous_period() -> None:
    assert reports.previous_period("week", date(2025, 6, 4)) == (date(2025, 5, 26), date(2025, 6, 1))
    assert reports.previous_period("month", date(2025, 3, 1)) == (date(2025, 2, 1), date(2025, 2, 28))


def test_reports_pages_per_role(store: Store, world: World, app_client: TestClient) -> None:
    _seed(store, world, datetime.now(UTC) - timedelta(days=2))
    login(app_client, "manager@example.com")
    page = app_client.get("/reports")
    assert page.status_code == 200
    assert "Scheduled e-mails" in page.text
    view = app_client.get("/reports/view?period=7d")
    assert view.status_code == 200
    assert "script-src" not in view.headers["content-security-policy"]
    assert "default-src 'none'" in view.headers["content-security-policy"]
    assert "&lt;script&gt;" in view.text
    html_file = app_client.get("/reports/report.html?period=7d")
    assert html_file.headers["content-disposition"].startswith("attachment;")
    created = app_client.post(
        "/reports/schedules",
        data={
            "name": "Monthly",
            "recipients": "a@example.com; b@example.com",
            "period": "month",
            "csrf_token": csrf_of(page.text),
        },
        follow_redirects=False,
    )
    assert created.status_code == 303
    assert "a@example.com, b@example.com" in app_client.get("/reports").text
    # without the CSRF token the form is refused
    refused = app_client.post("/reports/schedules", data={"name": "x", "recipients": "a@example.com"})
    assert refused.status_code == 403

    agent = TestClient(app_client.app)
    login(agent, "agent@example.com")
    agent_page = agent.get("/reports")
    assert "Scheduled e-mails" not in agent_page.text
    denied = agent.post(
        "/reports/schedules",
        data={"name": "Mine", "recipients": "a@example.com", "csrf_token": csrf_of(agent_page.text)},
    )
    assert denied.status_code == 403
    mine = agent.get("/reports/view?period=7d").text
    assert "<h3>Billing</h3>" in mine
    assert "<h3>Delivery</h3>" not in mine
    assert "Lovely stay number 7" in mine  # Billing's item
    assert "Lovely stay number 6" not in mine  # Delivery's item


def test_cli_report_export_rollup(store: Store, world: World, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from voxpop.cli import app

    settings = store.settings
    monkeypatch.setenv("VOXPOP_HOME", str(settings.home))
    monkeypatch.setenv("VOXPOP_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("VOXPOP_SECRET_KEY", settings.secret_key.get_secret_value())
    _seed(store, world, datetime(2025, 5, 10, tzinfo=UTC))
    runner = CliRunner()
    rebuilt = runner.invoke(app, ["rollup", "rebuild"])
    assert rebuilt.exit_code == 0, rebuilt.output
    assert "rebuilt 2 day(s)" in rebuilt.output
    out = tmp_path / "may.html"
    made = runner.invoke(app, ["report", "--from", "2025-05-01", "--to", "2025-05-31", "-o", str(out)])
    assert made.exit_code == 0, made.output
    assert "&lt;script&gt;" in out.read_text()
    exported = runner.invoke(app, ["export", "aspects", "--from", "2025-05-01", "--to", "2025-05-31"])
    assert exported.exit_code == 0, exported.output
    assert exported.output.splitlines()[1].startswith("cleanliness,8,")
    bad = runner.invoke(app, ["export", "nothing", "--from", "2025-05-01", "--to", "2025-05-31"])
    assert bad.exit_code == 1
    assert "no table 'nothing'" in bad.output
    scheduled = runner.invoke(app, ["report", "schedule", "Weekly", "--to", "cx@example.com"])
    assert scheduled.exit_code == 0, scheduled.output
    assert "Weekly" in runner.invoke(app, ["report", "schedules"]).output
