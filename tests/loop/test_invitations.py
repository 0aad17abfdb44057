"""Review invitations: CSV errors name row and field, the same mail for everyone, opt-outs and the
frequency cap honoured, clicks tracked through the signed redirect, every send audited."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.loop.conftest import links_in
from tests.servers import SmtpSink
from tests.web.conftest import World, csrf_of, login
from voxpop.errors import IngestError, ValidationError
from voxpop.loop.invitations import read_customers, send_invitations, set_link, stats
from voxpop.store import Store
from voxpop.store.models import AuditEvent, Customer
from voxpop.store.models.loop import ReviewInvitation

CSV = (
    "email,name,location\nann@example.com,Ann,Leeds\n\n"
    "BOB@example.com,Bob,\ncat@example.com,Cat,York\nbob@example.com,Bob again,\n"
)


@pytest.fixture
def mail_store(store: Store, smtp_server: SmtpSink) -> Iterator[Store]:
    settings = store.settings.model_copy(update={**smtp_server.settings_overrides(), "business_name": "Harbour Cafe"})
    other = Store(settings)
    with other.write() as s:
        set_link(s, "google", "https://g.page/r/harbour-default/review")
        set_link(s, "google", "https://g.page/r/harbour-leeds/review", "Leeds")
    yield other
    other.dispose()


def test_csv_errors_name_row_and_field() -> None:
    with pytest.raises(IngestError, match=r"customers.csv, row 1, field 'email'"):
        read_customers("mail,name\na@b.c,A\n", "customers.csv")
    with pytest.raises(IngestError, match=r"customers.csv, row 3, field 'email'"):
        read_customers("email,name\na@example.com,A\nnot-an-address,B\n", "customers.csv")
    rows = read_customers("\ufeffEmail,Name\nA@Example.com, Ann \n\n", "customers.csv")
    assert [(r.row, r.email, r.name, r.location) for r in rows] == [(2, "a@example.com", "Ann", None)]


def test_everyone_gets_the_same_invitation(mail_store: Store, smtp_server: SmtpSink) -> None:
    with mail_store.write() as s:
        s.add(
            Customer(email="cat@example.com", handles={}, attributes={}, unsubscribed_at=s.scalar(select(1)) and None)
        )
    result = send_invitations(mail_store, read_customers(CSV), "google", location=None)
    assert sorted(result.sent) == ["ann@example.com", "bob@example.com", "cat@example.com"]
    assert result.duplicates == 1
    mails = smtp_server.wait_for(3)
    bodies = {m.recipients[0]: m.part("plain") for m in mails}

    # The same words for everyone (only the name and the personal links differ): no gating, no incentive.
    def normalised(text: str, name: str) -> str:
        for link in links_in(text):
            text = text.replace(link, "<link>")
        return text.replace(name, "<name>")

    assert (
        len(
            {
                normalised(bodies[e], n)
                for e, n in [("ann@example.com", "Ann"), ("bob@example.com", "Bob"), ("cat@example.com", "Cat")]
            }
        )
        == 1
    )
    assert "Google" in bodies["ann@example.com"]
    for forbidden in ("discount", "voucher", "gift", "5 stars", "5-star", "if you were happy"):
        assert forbidden not in bodies["ann@example.com"].lower()
    with mail_store.read() as s:
        rows = {i.email: i for i in s.scalars(select(ReviewInvitation))}
        assert rows["ann@example.com"].url.endswith("harbour-leeds/review")
        assert rows["bob@example.com"].url.endswith("harbour-default/review")
        audit = s.scalars(select(AuditEvent).where(AuditEvent.action == "review_invite_sent")).all()
        assert sorted(a.detail["email"] for a in audit) == ["ann@example.com", "bob@example.com", "cat@example.com"]
        assert all(a.at is not None for a in audit)


def test_opt_out_and_frequency_cap(mail_store: Store, smtp_server: SmtpSink) -> None:
    with mail_store.write() as s:
        from datetime import UTC, datetime

        s.add(Customer(email="bob@example.com", handles={}, attributes={}, unsubscribed_at=datetime.now(UTC)))
    first = send_invitations(mail_store, read_customers(CSV), "google")
    assert first.opted_out == ["bob@example.com"]
    assert sorted(first.sent) == ["ann@example.com", "cat@example.com"]
    again = send_invitations(mail_store, read_customers(CSV), "google")
    assert again.sent == []
    assert sorted(again.capped) == ["ann@example.com", "cat@example.com"]
    assert len(smtp_server.messages) == 2
    dry = send_invitations(mail_store, read_customers("email\nnew@example.com\n"), "google", dry_run=True)
    assert dry.sent == ["new@example.com"]
    assert len(smtp_server.messages) == 2


def test_missing_link_is_an_error_before_anything_is_sent(mail_store: Store, smtp_server: SmtpSink) -> None:
    with pytest.raises(ValidationError, match=r"row 2, field 'location': no Yelp link"):
        send_invitations(mail_store, read_customers(CSV), "yelp")
    with pytest.raises(ValidationError, match="field 'platform'"):
        send_invitations(mail_store, read_customers(CSV), "myspace")
    assert smtp_server.messages == []


def test_upload_page_and_click_tracking(mail_store: Store, smtp_server: SmtpSink, world: World) -> None:
    from voxpop.web.app import create_app

    with TestClient(create_app(mail_store.settings, mail_store), base_url="http://testserver") as client:
        login(client, "manager@example.com")
        token = csrf_of(client.get("/invitations").text)
        bad = client.post(
            "/invitations/send",
            data={"csrf_token": token, "platform": "google"},
            files={"customers": ("list.csv", b"email\nnope\n", "text/csv")},
        )
        assert bad.status_code == 422
        assert "list.csv, row 2, field &#39;email&#39;" in bad.text
        sent = client.post(
            "/invitations/send",
            data={"csrf_token": token, "platform": "google"},
            files={"customers": ("list.csv", CSV.encode(), "text/csv")},
        )
        assert sent.status_code == 200
        assert "3 invited" in sent.text
        mail = smtp_server.wait_for(3)[0]
        [link] = [x for x in links_in(mail.part("plain")) if "/r/" in x]
        client.cookies.clear()  # the customer's browser
        for _ in range(2):
            hop = client.get(urlsplit(link).path, follow_redirects=False)
            assert hop.status_code == 303
            assert hop.headers["location"].startswith("https://g.page/r/harbour-")
        assert client.get("/r/forged-token", follow_redirects=False).status_code == 403
    with mail_store.read() as s:
        [google] = stats(s)
        assert (google.platform, google.sent, google.clicked) == ("google", 3, 1)
