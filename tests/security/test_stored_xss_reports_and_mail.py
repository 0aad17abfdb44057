"""Stored XSS and header injection in what voxpop writes out of the app: the HTML report, the PDF report
(the HTML Chromium prints, and the PDF's text), the scheduled report mail, alert e-mails and the weekly
department digest. The hostile text comes in the ways strangers write it — a review (its text, author name
and location), an answer to the public survey, an idea posted on the public board — and every mail is
received by a real local SMTP server. In HTML the payloads only ever appear escaped; in plain-text parts
and in the PDF's text they appear as the words the stranger typed (shown, never run). A line break in an
idea's title or a voter's name, which reach the Subject and To headers, adds no header and no recipient."""

from __future__ import annotations

import io
import shutil
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import select, update

from tests.servers import ReceivedMail, SmtpSink
from tests.web.conftest import World, add_item, csrf_of, login
from voxpop.accounts.users import get_user_by_email
from voxpop.act.alerts.delivery import deliver_pending
from voxpop.act.alerts.destinations import create_destination
from voxpop.act.alerts.digest import monday, send_digests
from voxpop.act.alerts.firing import evaluate_items
from voxpop.act.alerts.rules import create_rule
from voxpop.loop.ideas import post_idea, set_status, vote
from voxpop.loop.identity import start_identity
from voxpop.loop.surveys import QuestionSpec, SurveySpec, add_question, create_survey
from voxpop.measure import reports
from voxpop.measure.series import Slice
from voxpop.notify.mail import send_all
from voxpop.store import Store
from voxpop.store.models import Item
from voxpop.store.types import utcnow
from voxpop.web.app import create_app

REVIEW = '<script>alert("review")</script>'
AUTHOR = "<img src=x onerror=\"alert('author')\">"
PLACE = '"><svg onload=alert("place")>'
SURVEY = '<iframe src="javascript:alert(`survey`)"></iframe>'
IDEA = '<a href="javascript:alert(1)">idea</a>'
PAYLOADS = (REVIEW, AUTHOR, PLACE, SURVEY, IDEA)
INJECTION = "\r\nBcc: victim@evil.example\r\nX-Injected: yes"


def _hostile_items(store: Store, world: World) -> list[int]:
    """A review, a public survey answer and a public idea, each slow and negative, in Billing, today."""
    now = utcnow()
    review = add_item(
        store,
        world.reviews,
        created_at=now - timedelta(hours=1),
        text=f"Slow and rude {REVIEW}",
        author_name=AUTHOR,
        location=PLACE,
        aspects=[{"name": PLACE, "sentiment": "negative", "relevance": 0.9}],
    )
    with store.write() as s:
        survey = create_survey(s, SurveySpec(title="Your visit", thank_you="Thanks"))
        question = add_question(
            s, survey, QuestionSpec("nps", "Recommend us?", followup_at_or_below=6, followup_prompt="Why?")
        )
        slug, qid = survey.slug, question.id
    with TestClient(create_app(store.settings, store), base_url="http://testserver") as stranger:
        token = csrf_of(stranger.get(f"/s/{slug}").text)
        answer = stranger.post(
            f"/s/{slug}", data={"csrf_token": token, f"q{qid}": "2", f"q{qid}_followup": f"slow {SURVEY}"}
        )
        assert answer.status_code in (200, 303)
    with store.write() as s:
        author = start_identity(s, "ann@example.com", name=f"Ann{INJECTION}")
        author.verified_at = now
        idea, _ = post_idea(s, store.settings, author, f"Slow checkout {IDEA}", f"Please {IDEA}")
        vote(s, idea, author)
    with store.write() as s:
        ids = list(s.scalars(select(Item.id).order_by(Item.id)))
        assert review in ids
        assert len(ids) == 3  # the review, the survey answer and the idea
        s.execute(
            update(Item)
            .where(Item.id.in_(ids))
            .values(
                department_id=world.billing,
                sentiment="negative",
                sentiment_score=-0.9,
                urgency=0.9,
                rating=0.0,
                created_at=now - timedelta(hours=1),
            )
        )
    return ids


def _leaks(where: str, html: str) -> list[str]:
    found = [f"{where}: {p}" for p in PAYLOADS if p in html]
    lowered = html.lower()
    found += [f"{where}: live {tag}" for tag in ("<script", "<iframe", "<svg onload", "onerror=") if tag in lowered]
    if 'href="javascript:' in lowered:
        found.append(f"{where}: a javascript: link")
    return found


def _one_recipient_no_injected_header(mail: ReceivedMail, to: str) -> None:
    assert mail.recipients == [to]
    assert mail.message["Bcc"] is None
    assert mail.message["X-Injected"] is None
    assert "\n" not in mail.subject
    assert "\r" not in mail.subject


def test_reports_in_html_and_pdf_show_the_text_and_run_nothing(
    app_client: TestClient, world: World, store: Store
) -> None:
    _hostile_items(store, world)
    today = utcnow().date()
    query = f"date_from={(today - timedelta(days=7)).isoformat()}&date_to={today.isoformat()}"
    login(app_client, "admin@example.com")
    view = app_client.get(f"/reports/view?{query}")
    download = app_client.get(f"/reports/report.html?{query}")
    leaks = []
    for response in (view, download):
        assert response.status_code == 200, response.text
        assert "Slow and rude" in response.text  # the hostile items really are in the report
        assert "&lt;script&gt;" in response.text
        assert "script-src" not in response.headers["content-security-policy"]  # no script may run at all
        leaks += _leaks(str(response.url), response.text)
    assert not leaks, "\n".join(leaks)
    with store.read() as s:
        report = reports.build_report(s, None, Slice(today - timedelta(days=7), today), settings=store.settings)
    text = reports.render_text(report)
    assert REVIEW in text  # the plain-text part shows the words as typed: text is never markup


@pytest.mark.skipif(shutil.which("chromium") is None, reason="Chromium is not installed")
def test_the_pdf_report_prints_the_payloads_as_text(app_client: TestClient, world: World, store: Store) -> None:
    _hostile_items(store, world)
    today = utcnow().date()
    login(app_client, "admin@example.com")
    query = f"date_from={(today - timedelta(days=7)).isoformat()}&date_to={today.isoformat()}"
    response = app_client.get(f"/reports/report.pdf?{query}")
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    flat = " ".join(text.split())
    assert "Slow and rude" in flat
    # Had the markup been parsed, Chromium would have printed no tag (or run the script); it printed the
    # characters the stranger typed.
    assert '<script>alert("review")</script>' in flat


def test_scheduled_report_mail_keeps_stranger_text_escaped(world: World, store: Store, smtp_server: SmtpSink) -> None:
    _hostile_items(store, world)
    settings = store.settings.model_copy(update=smtp_server.settings_overrides())
    now = utcnow()
    with store.write() as s:
        reports.create_schedule(
            s, name="Weekly CX", recipients=["cx@example.com"], period="week", now=now - timedelta(days=8)
        )
        # the last full week must hold the items: move them there
        start, _end = reports.previous_period("week", now.date())
        s.execute(update(Item).values(created_at=datetime.combine(start, datetime.min.time(), tzinfo=UTC)))
    assert reports.send_due(store, settings, now=now) == 1
    [mail] = smtp_server.wait_for(1)
    _one_recipient_no_injected_header(mail, "cx@example.com")
    html = mail.part("html")
    assert "Slow and rude" in html
    assert not _leaks("report mail", html), _leaks("report mail", html)
    assert REVIEW in mail.part("plain")


def test_alert_mails_and_the_digest_keep_stranger_text_escaped(
    world: World, store: Store, smtp_server: SmtpSink
) -> None:
    ids = _hostile_items(store, world)
    wired = Store(store.settings.model_copy(update=smtp_server.settings_overrides()), migrate=False)
    try:
        with wired.write() as s:
            boss = get_user_by_email(s, "manager@example.com")
            assert boss is not None
            destination = create_destination(
                s, boss, wired.settings, name="team", kind="email", target="alerts@example.com", max_per_hour=100
            )
            create_rule(
                s, boss, name="Slow", kind="keyword", params={"keywords": ["slow"]}, destination_ids=[destination.id]
            )
        assert len(evaluate_items(wired, ids)) == 3
        deliver_pending(wired)
        alerts = smtp_server.wait_for(1)
        # the week the items were made in: an hour ago, which at 00:30 on a Monday is last week
        with wired.read() as s:
            made = s.scalars(select(Item.created_at).where(Item.id.in_(ids))).first()
        assert made is not None
        digest = send_digests(wired, week=monday(made.date()))
        assert digest.sent == {"Billing": ["agent@example.com"]}
    finally:
        wired.dispose()
    mails = smtp_server.wait_for(len(alerts) + 1)
    leaks = []
    for mail in mails:
        to = "agent@example.com" if mail.subject.startswith("[voxpop] Billing") else "alerts@example.com"
        _one_recipient_no_injected_header(mail, to)
        assert "&lt;" in mail.part("html")  # every mail quotes at least one hostile item, escaped
        leaks += _leaks(f"mail {mail.subject!r}", mail.part("html"))
    assert not leaks, "\n".join(leaks)
    [digest_mail] = [m for m in mails if m.subject.startswith("[voxpop] Billing")]
    alert_html = " ".join(m.part("html") for m in mails if m is not digest_mail)
    alert_text = " ".join(m.part("plain") for m in mails if m is not digest_mail)
    for html, plain in ((alert_html, alert_text), (digest_mail.part("html"), digest_mail.part("plain"))):
        assert "Slow and rude &lt;script&gt;" in html  # the review,
        assert "slow &lt;iframe" in html  # the survey answer
        assert "Slow checkout &lt;a href=" in html  # and the idea are all there, escaped
        assert REVIEW in plain  # the text parts show what was typed


def test_a_line_break_in_an_idea_title_or_a_name_adds_no_header_or_recipient(
    world: World, store: Store, smtp_server: SmtpSink
) -> None:
    settings = store.settings.model_copy(update=smtp_server.settings_overrides())
    with store.write() as s:
        author = start_identity(s, "ann@example.com", name=f"Ann{INJECTION}")
        voter = start_identity(s, "bob@example.com", name=f"Bob{INJECTION}")
        author.verified_at = voter.verified_at = utcnow()
        idea, _ = post_idea(s, settings, author, f"Dark mode{INJECTION}", "Please")
        vote(s, idea, voter)
        admin = get_user_by_email(s, "admin@example.com")
        assert admin is not None
        mails = set_status(s, settings, idea, "planned", "Soon", admin)
    assert len(mails) == 2
    send_all(settings, mails)
    received = smtp_server.wait_for(2)
    assert sorted(r for m in received for r in m.recipients) == ["ann@example.com", "bob@example.com"]
    for mail in received:
        _one_recipient_no_injected_header(mail, mail.recipients[0])
        assert mail.subject == "Update: Dark mode Bcc: victim@evil.example X-Injected: yes"
