"""The idea board over real HTTP and SMTP: e-mail identity, posting, similar ideas, one vote per person,
merging duplicates (votes carried over, never doubled), status changes mailed to voters and commenters."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.loop.conftest import links_in
from tests.servers import SmtpSink
from tests.web.conftest import World, csrf_of, login
from voxpop.store import Store
from voxpop.store.models import AuditEvent, Customer, Item
from voxpop.store.models.loop import Idea, IdeaVote
from voxpop.web.app import create_app


@pytest.fixture
def mail_store(store: Store, smtp_server: SmtpSink) -> Iterator[Store]:
    settings = store.settings.model_copy(update=smtp_server.settings_overrides())
    other = Store(settings)
    yield other
    other.dispose()


def client(store: Store) -> TestClient:
    return TestClient(create_app(store.settings, store), base_url="http://testserver")


def join(c: TestClient, smtp: SmtpSink, email: str, name: str) -> None:
    """Ask for a magic link, read it from the mail and open it."""
    token = csrf_of(c.get("/ideas").text)
    before = len(smtp.messages)
    sent = c.post("/ideas/identify", data={"csrf_token": token, "email": email, "name": name})
    assert sent.status_code == 200
    mail = smtp.wait_for(before + 1)[-1]
    assert mail.recipients == [email]
    [link] = [x for x in links_in(mail.part("plain")) if "/ideas/verify/" in x]
    opened = c.get(urlsplit(link).path, follow_redirects=False)
    assert opened.status_code == 303


def post(c: TestClient, title: str, body: str = "") -> int:
    token = csrf_of(c.get("/ideas").text)
    done = c.post("/ideas", data={"csrf_token": token, "title": title, "body": body}, follow_redirects=False)
    assert done.status_code == 303, done.text
    return int(done.headers["location"].rsplit("/", 1)[1])


def votes(store: Store, idea_id: int) -> int:
    with store.read() as s:
        return int(s.scalar(select(func.count()).select_from(IdeaVote).where(IdeaVote.idea_id == idea_id)) or 0)


def test_browse_without_account_but_not_post(mail_store: Store) -> None:
    with client(mail_store) as c:
        board = c.get("/ideas")
        assert board.status_code == 200
        assert "Take part" in board.text
        token = csrf_of(board.text)
        refused = c.post("/ideas", data={"csrf_token": token, "title": "Free coffee"})
        assert refused.status_code == 403
        c.cookies.set("voxpop_idea_identity", "1.forged.cookie", path="/ideas")
        assert c.post("/ideas", data={"csrf_token": token, "title": "Free coffee"}).status_code == 403
    with mail_store.read() as s:
        assert s.scalar(select(func.count()).select_from(Idea)) == 0


def test_full_loop(mail_store: Store, smtp_server: SmtpSink, world: World) -> None:
    store = mail_store
    with client(store) as ann, client(store) as bob, client(store) as staff:
        join(ann, smtp_server, "ann@example.com", "Ann <b>A</b>")
        dark = post(ann, "Dark mode for the mobile app", "My eyes hurt at night")
        assert votes(store, dark) == 1  # the author's own vote
        with store.read() as s:
            item = s.scalars(select(Item).where(Item.kind == "idea")).one()
            assert (item.channel, item.title) == ("ideas", "Dark mode for the mobile app")
            assert s.scalars(select(Customer.email).where(Customer.id == item.customer_id)).one() == "ann@example.com"

        join(bob, smtp_server, "bob@example.com", "Bob")
        similar = bob.get("/ideas/similar", params={"title": "Please add a night theme to the app"})
        assert "Dark mode for the mobile app" in similar.text
        unrelated = bob.get("/ideas/similar", params={"title": "Open the shop on Sundays"})
        assert "Dark mode" not in unrelated.text
        night = post(bob, "Night theme in the app")
        token = csrf_of(bob.get(f"/ideas/{dark}").text)
        for _ in range(2):  # one vote per person, however often the button is pressed
            bob.post(f"/ideas/{dark}/vote", data={"csrf_token": token})
        assert votes(store, dark) == 2
        bob.post(f"/ideas/{dark}/comments", data={"csrf_token": token, "body": "<script>x</script> yes please"})
        with store.read() as s:
            remark = s.scalars(select(Item).where(Item.title == "Re: Dark mode for the mobile app")).one()
            assert (remark.kind, remark.channel, remark.author_name) == ("idea", "ideas", "Bob")
        page = ann.get(f"/ideas/{dark}")
        assert "&lt;script&gt;x&lt;/script&gt; yes please" in page.text
        assert "bob@example.com" not in page.text  # names only, never e-mail addresses

        login(staff, "manager@example.com")
        token = csrf_of(staff.get("/ideas-admin").text)
        merged = staff.post(f"/ideas-admin/{night}/merge", data={"csrf_token": token, "into": dark})
        assert merged.status_code == 200
        assert votes(store, dark) == 2  # Bob voted for both: counted once
        assert votes(store, night) == 0
        assert bob.get(f"/ideas/{night}", follow_redirects=False).headers["location"] == f"/ideas/{dark}"

        before = len(smtp_server.messages)
        staff.post(f"/ideas-admin/{dark}/status", data={"csrf_token": token, "status": "shipped", "note": "In 2.3"})
        mails = smtp_server.wait_for(before + 2)[before:]
        assert sorted(m.recipients[0] for m in mails) == ["ann@example.com", "bob@example.com"]
        assert all(m.subject.startswith("You asked, we delivered") for m in mails)
        ann_mail = next(m for m in mails if m.recipients == ["ann@example.com"])
        assert "Ann &lt;b&gt;A&lt;/b&gt;" in ann_mail.part("html")
        # The same status again is not news: nobody is mailed twice.
        staff.post(f"/ideas-admin/{dark}/status", data={"csrf_token": token, "status": "shipped", "note": "In 2.3.1"})
        assert len(smtp_server.messages) == before + 2
        assert "In 2.3.1" in ann.get(f"/ideas/{dark}").text

        staff.cookies.clear()
        login(staff, "agent@example.com")
        token = csrf_of(staff.get("/ideas-admin").text)
        assert (
            staff.post(f"/ideas-admin/{dark}/status", data={"csrf_token": token, "status": "declined"}).status_code
            == 403
        )
    with store.read() as s:
        actions = set(s.scalars(select(AuditEvent.action)))
        assert {"idea_merged", "idea_status", "idea_status_mailed"} <= actions
