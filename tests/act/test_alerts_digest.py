"""The weekly department digest: its numbers, the change against the week before, its most important
items, escaped, to the department's address and agents, once per week."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from tests.act.alerts_support import add_item, source, wired_store
from tests.servers import SmtpSink
from voxpop.accounts.users import create_user
from voxpop.act.alerts.digest import parse_week, send_digests, week_numbers
from voxpop.act.departments import create_department
from voxpop.errors import ValidationError
from voxpop.store import Store

WEEK = date(2026, 11, 16)  # a Monday
T0 = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def test_weeks_parse() -> None:
    assert parse_week("2026-W47", date(2026, 11, 25)) == WEEK
    assert parse_week("2026-11-19", date(2026, 11, 25)) == WEEK
    assert parse_week(None, date(2026, 11, 25)) == WEEK  # the last complete week
    with pytest.raises(ValidationError, match="--week"):
        parse_week("last week", date(2026, 11, 25))


def test_a_department_gets_its_numbers_and_items_once(store: Store, smtp_server: SmtpSink) -> None:
    wired = wired_store(store, smtp_server)
    with wired.write() as s:
        billing = create_department(s, name="Billing", email="billing@example.com")
        other = create_department(s, name="Delivery")
        create_user(s, email="bea@example.com", password="correct horse battery", department_ids=[billing.id])
        create_user(s, email="dan@example.com", password="correct horse battery", department_ids=[other.id])
        billing_id, other_id = billing.id, other.id
    src = source(wired)
    h = timedelta(hours=1)
    # This week: 4 items; 2 answered after 2 h and 6 h; one negative unanswered and past due.
    add_item(wired, src, department_id=billing_id, at=T0, sentiment="positive", responded_at=T0 + 2 * h)
    add_item(wired, src, department_id=billing_id, at=T0 + 24 * h, sentiment="neutral", responded_at=T0 + 30 * h)
    bad = add_item(
        wired,
        src,
        department_id=billing_id,
        at=T0 + 48 * h,
        sentiment="negative",
        urgency=0.95,
        due_at=T0 + 72 * h,
        text="Charged twice <script>alert(1)</script>",
    )
    add_item(
        wired,
        src,
        department_id=billing_id,
        at=T0 + 50 * h,
        sentiment="negative",
        urgency=0.2,
        responded_at=T0 + 51 * h,
        text="wrong invoice",
    )
    # The week before: 2 items, both answered; another department's item; an item after the week.
    add_item(wired, src, department_id=billing_id, at=T0 - 100 * h, sentiment="positive", responded_at=T0 - 99 * h)
    add_item(wired, src, department_id=billing_id, at=T0 - 90 * h, sentiment="positive", responded_at=T0 - 89 * h)
    add_item(wired, src, department_id=other_id, at=T0 + h, sentiment="negative")
    add_item(wired, src, department_id=billing_id, at=T0 + 7 * 24 * h + h, sentiment="negative")

    with wired.read() as s:
        numbers = week_numbers(s, billing_id, WEEK, NOW)
    assert (numbers.volume, numbers.positive, numbers.neutral, numbers.negative) == (4, 1, 1, 2)
    assert numbers.responded == 3
    assert numbers.median_response_hours == 2.0
    assert numbers.sla_breaches == 1

    report = send_digests(wired, week=WEEK, department="Billing", now=NOW)
    assert report.sent == {"Billing": ["billing@example.com", "bea@example.com"]}
    mails = smtp_server.wait_for(2)
    assert sorted(m.recipients[0] for m in mails) == ["bea@example.com", "billing@example.com"]
    text, html = mails[0].part("plain"), mails[0].part("html")
    assert "week 2026-W47" in mails[0].subject
    assert "Items: 4 (+100% vs the week before)" in text
    assert "Response rate: 75% (-25 pts)" in text
    assert "Median response time: 2.0 h (+1.0 h)" in text
    assert "SLA breaches: 1" in text
    assert f"https://vox.example/items/{bad}" in text
    assert "<script>" not in html
    assert "&lt;script&gt;" in html

    again = send_digests(wired, week=WEEK, now=NOW)
    assert again.skipped["Billing"] == "already sent for this week"
    assert again.sent == {"Delivery": ["dan@example.com"]}  # the other department: its agent only
    dan = smtp_server.wait_for(3)[2]
    assert dan.recipients == ["dan@example.com"]
    assert "Items: 1" in dan.part("plain")
    resent = send_digests(wired, week=WEEK, department="billing", resend=True, now=NOW)
    assert "Billing" in resent.sent


def test_the_server_sends_last_weeks_digest_once(store: Store, smtp_server: SmtpSink) -> None:
    from voxpop.act.alerts.tasks import send_due_digests

    wired = wired_store(store, smtp_server)
    with wired.write() as s:
        create_department(s, name="Billing", email="billing@example.com")
    assert send_due_digests(wired_store(store, digest_auto=False), now=NOW) is None
    first = send_due_digests(wired, now=NOW)
    assert first is not None
    assert first.sent == {"Billing": ["billing@example.com"]}
    [mail] = smtp_server.wait_for(1)
    assert "2026-W47" in mail.subject  # NOW is Monday 2026-11-23: the week before
    again = send_due_digests(wired, now=NOW + timedelta(hours=5))
    assert again is not None
    assert again.sent == {}
    assert len(smtp_server.messages) == 1
