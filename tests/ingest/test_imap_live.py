"""The IMAP support mailbox against a real local IMAP4rev1 server: new mail becomes tickets once; a
refused login, a hanging server and a missing folder leave the source unhealthy and the store unchanged."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from tests.ingest.imap_server import ImapServer
from tests.ingest.live_support import item_count, items, local_store, make_source, state_of
from voxpop.ingest.live.scheduler import poll_source
from voxpop.store import Store

__all__ = ["local_store"]

MAIL_1 = (
    b"From: Pat Doe <Pat.Doe@example.org>\r\nTo: support@example.com\r\nSubject: Refund still missing\r\n"
    b"Date: Sat, 01 Mar 2025 09:30:00 -0500\r\nMessage-ID: <abc-1@example.org>\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n\r\nI returned the kettle two weeks ago and have no refund yet.\r\n"
)
MAIL_2 = (
    b"From: kim@example.net\r\nSubject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\r\nDate: Sun, 02 Mar 2025 10:00:00 +0000\r\n"
    b"Message-ID: <abc-2@example.net>\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
    b"<p>Thanks for the <b>quick</b> help!</p><script>alert(1)</script>\r\n"
)

REPLY = (
    b"From: Pat Doe <pat.doe@example.org>\r\nSubject: Re: Your refund\r\nDate: Mon, 03 Mar 2025 08:00:00 +0000\r\n"
    b"Message-ID: <abc-4@example.org>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
    b"Still nothing on my card. I want my money back today.\r\n\r\n-- \r\nPat Doe | 555-0100\r\n\r\n"
    b"On Sun, Mar 2, 2025 at 9:00 AM Acme Support <support@example.com> wrote:\r\n"
    b"> Hi Pat, thanks so much for reaching out! Your refund is on its way.\r\n> Have a wonderful day!\r\n"
)


@pytest.fixture
def imap() -> Iterator[ImapServer]:
    server = ImapServer().start()
    yield server
    server.stop()


def _source(store: Store, imap: ImapServer, password: str = "app-pass-1234") -> int:  # noqa: S107
    config = {"host": "127.0.0.1", "port": str(imap.port), "security": "none", "username": "support@example.com"}
    return make_source(store, "imap", config, {"password": password})


def test_new_mail_becomes_tickets_once(local_store: Store, imap: ImapServer) -> None:
    imap.mailbox.add(MAIL_1)
    imap.mailbox.add(MAIL_2)
    source_id = _source(local_store, imap)
    outcome = poll_source(local_store, source_id)
    assert outcome.ok, outcome.message
    assert len(outcome.added_ids) == 2
    stored = {i.external_id: i for i in items(local_store)}
    refund = stored["<abc-1@example.org>"]
    assert refund.kind == "ticket"
    assert refund.channel == "email"
    assert refund.title == "Refund still missing"
    assert refund.text == "I returned the kettle two weeks ago and have no refund yet."
    assert refund.author_name == "Pat Doe"
    assert refund.created_at == datetime(2025, 3, 1, 14, 30, tzinfo=UTC)
    assert refund.customer_id is not None  # linked by the sender's address
    thanks = stored["<abc-2@example.net>"]
    assert thanks.title == "Grüße"
    assert thanks.text == "Thanks for the quick help!"
    assert imap.mailbox.seen == {101, 102}
    assert "LOGIN" in imap.commands
    assert any(c.startswith("UID SEARCH UID 1:*") for c in imap.commands)

    # The next poll asks only for newer UIDs and stores only the new message.
    imap.mailbox.add(MAIL_1.replace(b"<abc-1@", b"<abc-3@"))
    again = poll_source(local_store, source_id)
    assert again.ok, again.message
    assert len(again.added_ids) == 1
    assert any(c.startswith("UID SEARCH UID 103:*") for c in imap.commands)
    nothing = poll_source(local_store, source_id)
    assert nothing.ok
    assert nothing.added_ids == []
    assert item_count(local_store) == 3


def test_a_reply_keeps_the_senders_words_and_sets_the_thread_apart(local_store: Store, imap: ImapServer) -> None:
    imap.mailbox.add(REPLY)
    outcome = poll_source(local_store, _source(local_store, imap))
    assert outcome.ok, outcome.message
    (reply,) = items(local_store)
    assert reply.text == "Still nothing on my card. I want my money back today."
    assert "thanks so much for reaching out" in reply.raw["quoted"]
    assert "Pat Doe | 555-0100" in reply.raw["quoted"]


def test_refused_login_marks_unhealthy(local_store: Store, imap: ImapServer) -> None:
    imap.mailbox.add(MAIL_1)
    source_id = _source(local_store, imap, password="wrong-password")
    outcome = poll_source(local_store, source_id)
    assert not outcome.ok
    assert "refused the login" in outcome.message
    assert "wrong-password" not in outcome.message
    assert item_count(local_store) == 0
    source, state, _ = state_of(local_store, source_id)
    assert not state.healthy
    assert source.last_error == outcome.message


def test_hanging_server_times_out(local_store: Store, imap: ImapServer) -> None:
    imap.hang = True
    source_id = _source(local_store, imap)
    outcome = poll_source(local_store, source_id, timeout=0.5)
    assert not outcome.ok
    assert "timed out" in outcome.message
    assert item_count(local_store) == 0
    _, state, _ = state_of(local_store, source_id)
    assert not state.healthy


def test_private_host_refused_without_setting(store: Store, imap: ImapServer) -> None:
    from voxpop.errors import ValidationError

    with pytest.raises(ValidationError, match="allow_private_urls"):
        _source(store, imap)


def test_missing_folder_is_a_clear_error(local_store: Store, imap: ImapServer) -> None:
    imap.mailbox.add(MAIL_1)
    config = {
        "host": "127.0.0.1",
        "port": str(imap.port),
        "security": "none",
        "username": "support@example.com",
        "mailbox": "Support/Complaints",
    }
    imap.missing_folders.add("Support/Complaints")
    source_id = make_source(local_store, "imap", config, {"password": "app-pass-1234"})
    outcome = poll_source(local_store, source_id)
    assert not outcome.ok
    assert "cannot open the folder 'Support/Complaints'" in outcome.message
    assert item_count(local_store) == 0
