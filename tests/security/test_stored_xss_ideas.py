"""Stored XSS through the public idea board: an idea's title and body, a commenter's name, a comment and
the status note are written by strangers (or pasted by staff from them). On the public board, the idea's
page, the staff pages (the idea becomes an inbox item) and in the status e-mails they stay text."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi.testclient import TestClient

from tests.web.conftest import World, login
from voxpop.accounts.users import get_user_by_email
from voxpop.loop.ideas import comment, post_idea, set_status, vote
from voxpop.loop.identity import start_identity
from voxpop.store import Store

PAYLOADS = ('<script>alert("idea")</script>', '<img src=x onerror="alert(2)">', '"><svg onload=alert(3)>')


def test_idea_board_text_never_becomes_markup(app_client: TestClient, world: World, store: Store) -> None:
    with store.write() as s:
        author = start_identity(s, "ann@example.com", name=PAYLOADS[1])
        voter = start_identity(s, "bob@example.com", name=PAYLOADS[2])
        author.verified_at = voter.verified_at = datetime.now(UTC)
        idea, _ = post_idea(s, store.settings, author, f"Dark mode {PAYLOADS[0]}", f"Please {PAYLOADS[1]}")
        comment(s, idea, voter, f"Yes {PAYLOADS[2]}")
        vote(s, idea, voter)
        idea_id = idea.id
        mails = set_status(
            s, store.settings, idea, "planned", f"Soon {PAYLOADS[0]}", get_user_by_email(s, "admin@example.com")
        )

    assert mails, "the status change mails the voter and the author"
    leaks = []
    for mail in mails:
        for payload in PAYLOADS:
            if payload in (mail.html or ""):
                leaks.append(f"mail to {mail.to}: {payload}")
            if "\n" in mail.subject or "\r" in mail.subject:
                leaks.append(f"mail to {mail.to}: a line break in the subject")

    public = [app_client.get("/ideas"), app_client.get(f"/ideas/{idea_id}")]
    login(app_client, "admin@example.com")
    staff = [app_client.get(p) for p in ("/ideas-admin", "/inbox", f"/ideas/{idea_id}")]
    shown = 0
    for response in public + staff:
        assert response.status_code == 200, response.url
        shown += "Dark mode" in response.text
        for payload in PAYLOADS:
            if payload in response.text:
                leaks.append(f"{response.url}: {payload}")
    assert not leaks, "\n".join(leaks)
    assert shown >= 4  # the idea really is on the pages checked, escaped
    assert "&lt;script&gt;" in public[1].text
