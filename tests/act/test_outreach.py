"""Promoter outreach with real mail: who is asked, the frequency cap, unsubscribe honoured, clicks and
completions tracked, stranger text escaped, header injection refused, and the managers' page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.act.alerts_support import NOW, add_item, manager, source, wired_store
from tests.servers import SmtpSink
from tests.web.conftest import PASSWORD, csrf_of, login
from voxpop.accounts.users import create_user
from voxpop.act.outreach.eligibility import find_candidates
from voxpop.act.outreach.sending import send_asks
from voxpop.act.outreach.tracking import status_numbers
from voxpop.store import Store
from voxpop.store.models import AuditEvent, Customer
from voxpop.store.models.outreach import OutreachSend
from voxpop.web.app import create_app

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _customer(store: Store, email: str | None, name: str = "Ana Ruiz", **fields: object) -> int:
    with store.write() as s:
        customer = Customer(email=email, name=name, handles={}, attributes={}, **fields)
        s.add(customer)
        s.flush()
        return customer.id


@pytest.fixture
def wired(store: Store, smtp_server: SmtpSink) -> Store:
    return wired_store(store, smtp_server, business_name="Crumb & Kettle")


def _promoter(store: Store, src: int, customer: int, *, text: str = "Wonderful bread!", **fields: object) -> int:
    values: dict[str, object] = {
        "sentiment": "positive",
        "rating": 1.0,
        "customer_id": customer,
        "text": text,
        "at": NOW - timedelta(days=1),
    }
    values.update(fields)
    return add_item(store, src, **values)  # type: ignore[arg-type]


def test_only_recent_promoters_with_an_address_are_candidates(wired: Store) -> None:
    src = source(wired)
    happy = _promoter(wired, src, _customer(wired, "ana@example.com"))
    _promoter(wired, src, _customer(wired, None, "No Mail"))
    _promoter(wired, src, _customer(wired, "neg@example.com"), sentiment="negative", rating=0.0)
    _promoter(wired, src, _customer(wired, "mixed@example.com"), sentiment="positive", rating=0.25)
    _promoter(wired, src, _customer(wired, "gone@example.com", unsubscribed_at=NOW - timedelta(days=3)))
    _promoter(wired, src, _customer(wired, "old@example.com"), at=NOW - timedelta(days=90))
    grumpy = _customer(wired, "grumpy@example.com")
    _promoter(wired, src, grumpy)
    add_item(wired, src, customer_id=grumpy, sentiment="negative", at=NOW - timedelta(days=2), text="Cold soup")

    with wired.read() as s:
        found = find_candidates(s, wired.settings, NOW)
    assert [c.item.id for c in found] == [happy]


def test_an_ask_arrives_escaped_with_an_unsubscribe_header_and_is_audited(wired: Store, smtp_server: SmtpSink) -> None:
    boss = manager(wired)
    src = source(wired)
    item = _promoter(
        wired,
        src,
        _customer(wired, "ana@example.com", name="<b>Ana</b>"),
        text="Best <script>alert(1)</script> croissant",
        location="Soho",
    )

    report = send_asks(wired, boss, [item], "testimonial", now=NOW)

    assert len(report.sent) == 1
    [mail] = smtp_server.wait_for(1)
    assert mail.recipients == ["ana@example.com"]
    html = mail.part("html")
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert "&lt;b&gt;Ana&lt;/b&gt;" in html
    assert "Crumb &amp; Kettle" in html
    assert "review" not in mail.part("plain").lower().replace("reviews", "")  # never asks for a public review
    unsubscribe = mail.message["List-Unsubscribe"].strip()
    assert re.fullmatch(r"<https://vox\.example/o/unsubscribe/[\w.-]+>", unsubscribe)
    assert mail.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    with wired.read() as s:
        send = s.scalars(select(OutreachSend)).one()
        assert send.status == "sent"
        assert f"https://vox.example/o/{send.token}" in mail.part("plain")
        [event] = s.scalars(select(AuditEvent).where(AuditEvent.action == "outreach.send")).all()
        assert event.object_id == str(item)
        assert event.user_id == boss.id


def test_at_most_one_ask_per_customer_per_period(wired: Store, smtp_server: SmtpSink) -> None:
    src = source(wired)
    ana = _customer(wired, "ana@example.com")
    first, second = _promoter(wired, src, ana), _promoter(wired, src, ana, text="Again lovely")

    report = send_asks(wired, None, [first, second], now=NOW)
    assert len(report.sent) == 1
    assert report.skipped["asked recently"] == 1
    assert send_asks(wired, None, [second], now=NOW + timedelta(days=10)).skipped["asked recently"] == 1

    later = _promoter(wired, src, ana, at=NOW + timedelta(days=95))
    assert len(send_asks(wired, None, [later], now=NOW + timedelta(days=96)).sent) == 1
    assert len(smtp_server.wait_for(2)) == 2


def test_header_injection_through_a_name_adds_no_header_or_recipient(wired: Store, smtp_server: SmtpSink) -> None:
    """A line break in a customer's name is folded away (notify/mail.py): the ask goes to that customer
    alone, with no Bcc, and the rest of the batch is sent too."""
    src = source(wired)
    evil = _promoter(wired, src, _customer(wired, "eve@example.com", name="Eve\r\nBcc: all@example.com"))
    fine = _promoter(wired, src, _customer(wired, "bob@example.com", name="Bob"))

    report = send_asks(wired, None, [evil, fine], now=NOW)

    assert dict(report.failed) == {}
    mails = smtp_server.wait_for(2)
    assert sorted(r for mail in mails for r in mail.recipients) == ["bob@example.com", "eve@example.com"]
    assert all(mail.message["Bcc"] is None for mail in mails)


@pytest.fixture
def client(wired: Store) -> Iterator[TestClient]:
    with TestClient(create_app(wired.settings, wired), base_url="https://testserver") as c:
        yield c


def _token(store: Store) -> str:
    with store.read() as s:
        return s.scalars(select(OutreachSend.token).order_by(OutreachSend.id.desc())).first() or ""


def test_click_and_testimonial_are_tracked(wired: Store, client: TestClient) -> None:
    item = _promoter(wired, source(wired), _customer(wired, "ana@example.com"))
    send_asks(wired, None, [item], now=NOW)
    token = _token(wired)

    assert client.get("/o/not-a-token", follow_redirects=False).status_code == 404
    clicked = client.get(f"/o/{token}", follow_redirects=False)
    assert clicked.status_code == 303
    assert clicked.headers["location"] == f"https://vox.example/o/{token}/testimonial"
    form = client.get(f"/o/{token}/testimonial")
    assert form.status_code == 200
    assert 'name="text"' in form.text
    assert client.post(f"/o/{token}/testimonial", data={"text": "  "}).status_code == 200  # asks again
    done = client.post(f"/o/{token}/testimonial", data={"text": "Best <i>bakery</i> in town", "public": "yes"})
    assert "Thank you" in done.text

    with wired.read() as s:
        send = s.scalars(select(OutreachSend)).one()
        assert send.clicks == 1
        assert send.completed_at is not None
        assert send.testimonial == "Best <i>bakery</i> in town"
        assert send.testimonial_public is True
        numbers = {n.kind: n for n in status_numbers(s, now=NOW)}
    assert (numbers["testimonial"].sent, numbers["testimonial"].clicked, numbers["testimonial"].completed) == (1, 1, 1)

    with wired.write() as s:
        create_user(s, email="m@example.com", password=PASSWORD, role="manager")
    login(client, "m@example.com")
    page = client.get("/outreach")
    assert "Best &lt;i&gt;bakery&lt;/i&gt; in town" in page.text
    assert "may be shown publicly" in page.text


def test_a_referral_used_completes_the_ask(wired: Store, client: TestClient) -> None:
    item = _promoter(wired, source(wired), _customer(wired, "ana@example.com"))
    send_asks(wired, None, [item], "referral", now=NOW)
    token = _token(wired)

    share = client.get(f"/o/{token}/share")
    assert f"https://vox.example/o/{token}/ref" in share.text
    assert "Welcome" in client.get(f"/o/{token}/ref").text
    with wired.read() as s:
        assert s.scalars(select(OutreachSend)).one().completed_at is not None


def test_unsubscribe_is_honoured_and_cannot_be_forged(wired: Store, client: TestClient, smtp_server: SmtpSink) -> None:
    src = source(wired)
    ana = _customer(wired, "ana@example.com")
    send_asks(wired, None, [_promoter(wired, src, ana)], now=NOW)
    [mail] = smtp_server.wait_for(1)
    url = mail.message["List-Unsubscribe"].strip().strip("<>").replace("https://vox.example", "")

    assert client.get(url + "x").status_code == 404
    assert "Unsubscribe" in client.get(url).text
    with wired.read() as s:
        assert s.get(Customer, ana).unsubscribed_at is None  # type: ignore[union-attr]  # GET alone does nothing
    # The one-click POST a mail program sends (RFC 8058).
    response = client.post(
        url, content=b"List-Unsubscribe=One-Click", headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 200
    with wired.read() as s:
        assert s.get(Customer, ana).unsubscribed_at is not None  # type: ignore[union-attr]

    later = _promoter(wired, src, ana, at=NOW + timedelta(days=200))
    report = send_asks(wired, None, [later], now=NOW + timedelta(days=201))
    assert report.skipped["unsubscribed"] == 1
    assert len(smtp_server.messages) == 1


def test_managers_send_from_the_page_and_agents_cannot(wired: Store, client: TestClient, smtp_server: SmtpSink) -> None:
    with wired.write() as s:
        create_user(s, email="m@example.com", password=PASSWORD, role="manager")
        create_user(s, email="a@example.com", password=PASSWORD, role="agent")
    item = _promoter(
        wired, source(wired), _customer(wired, "ana@example.com", name="Ana <Ruiz>"), at=_now_minus_hours(2)
    )

    assert login(client, "a@example.com").status_code == 303
    assert client.get("/outreach", follow_redirects=False).status_code == 403
    client.cookies.clear()
    login(client, "m@example.com")
    page = client.get("/outreach")
    assert page.status_code == 200
    assert "Ana &lt;Ruiz&gt;" in page.text
    assert f'value="{item}"' in page.text
    sent = client.post(
        "/outreach/send",
        data={"csrf_token": csrf_of(page.text), "item_id": [str(item)], "kind": "testimonial"},
        follow_redirects=False,
    )
    assert sent.status_code == 303
    assert "sent=1" in sent.headers["location"]
    smtp_server.wait_for(1)
    no_csrf = client.post("/outreach/send", data={"item_id": [str(item)]}, follow_redirects=False)
    assert no_csrf.status_code == 403


def _now_minus_hours(n: int):  # type: ignore[no-untyped-def]
    from voxpop.store.types import utcnow

    return utcnow() - timedelta(hours=n)


def test_two_senders_at_once_ask_a_customer_once(wired: Store, smtp_server: SmtpSink) -> None:
    import threading

    src = source(wired)
    ana = _customer(wired, "ana@example.com")
    items = [_promoter(wired, src, ana, text=f"lovely {n}") for n in range(2)]
    barrier = threading.Barrier(2)
    reports = []

    def send(item_id: int) -> None:
        barrier.wait()
        reports.append(send_asks(wired, None, [item_id], now=NOW))

    threads = [threading.Thread(target=send, args=(i,)) for i in items]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(len(r.sent) for r in reports) == [0, 1]
    smtp_server.wait_for(1)
    with wired.read() as s:
        assert len(s.scalars(select(OutreachSend).where(OutreachSend.status == "sent")).all()) == 1


def test_a_survey_answered_elsewhere_is_marked_through_the_api(wired: Store, client: TestClient, token_for) -> None:  # type: ignore[no-untyped-def]
    wired_survey = wired_store(wired, outreach_survey_url="https://forms.example/s?x=1")
    with wired.write() as s:
        create_user(s, email="m@example.com", password=PASSWORD, role="manager")
    item = _promoter(wired, source(wired), _customer(wired, "ana@example.com"))
    send_asks(wired_survey, None, [item], "survey", now=NOW)
    token = _token(wired)
    api_token = token_for("m@example.com", "items:write")
    headers = {"Authorization": f"Bearer {api_token}"}

    assert client.post("/api/v1/outreach/completed", json={"ref": "nope"}, headers=headers).status_code == 404
    done = client.post("/api/v1/outreach/completed", json={"ref": token}, headers=headers)
    assert done.status_code == 200
    assert done.json()["kind"] == "survey"
    again = client.post("/api/v1/outreach/completed", json={"ref": token}, headers=headers)
    assert again.json()["completed_at"] == done.json()["completed_at"]
    read_only = token_for("m@example.com", "items:read")
    denied = client.post(
        "/api/v1/outreach/completed", json={"ref": token}, headers={"Authorization": f"Bearer {read_only}"}
    )
    assert denied.status_code == 403
