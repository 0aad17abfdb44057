"""Staff notes: the two-click form from the inbox, and POST /api/v1/notes — each note one staff item."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.web.conftest import World, csrf_of, login
from voxpop.store import Store
from voxpop.store.models import AuditEvent, Customer, Item


def notes(store: Store) -> list[Item]:
    with store.read() as s:
        return list(s.scalars(select(Item).where(Item.channel == "staff").order_by(Item.id)))


def test_two_clicks_from_the_inbox(app_client: TestClient, store: Store, world: World) -> None:
    login(app_client, "agent@example.com")
    inbox = app_client.get("/inbox")
    assert 'href="/notes/new"' in inbox.text  # click 1: the nav link
    form = app_client.get("/notes/new")
    token = csrf_of(form.text)
    saved = app_client.post(  # click 2: save
        "/notes",
        data={
            "csrf_token": token,
            "text": "Said the <b>queue</b> at the till took 20 minutes",
            "feeling": "unhappy",
            "topic": "waiting time",
            "location": "Leeds",
            "customer_email": "Pat@Example.com",
        },
        follow_redirects=True,
    )
    assert saved.status_code == 200
    assert "Note saved" in saved.text
    [note] = notes(store)
    assert (note.kind, note.channel, note.location, note.title) == ("note", "staff", "Leeds", "waiting time")
    assert note.text == "Said the <b>queue</b> at the till took 20 minutes"
    assert note.raw["feeling"] == "unhappy"
    assert note.raw["staff"] == "agent@example.com"
    assert note.rating is None  # the staff's impression is not the customer's score
    with store.read() as s:
        assert s.scalars(select(Customer.email).where(Customer.id == note.customer_id)).one() == "pat@example.com"
        audit = s.scalars(select(AuditEvent).where(AuditEvent.action == "staff_note_added")).one()
        assert audit.object_id == str(note.id)


def test_form_errors_keep_what_was_typed(app_client: TestClient, store: Store, world: World) -> None:
    login(app_client, "agent@example.com")
    token = csrf_of(app_client.get("/notes/new").text)
    bad = app_client.post("/notes", data={"csrf_token": token, "text": "Loved it", "feeling": "ecstatic"})
    assert bad.status_code == 422
    assert "field &#39;feeling&#39;" in bad.text or "field 'feeling'" in bad.text
    assert "Loved it" in bad.text
    assert app_client.post("/notes", data={"text": "no csrf"}).status_code == 403
    assert notes(store) == []


def test_viewer_cannot_log_notes(app_client: TestClient, store: Store, world: World) -> None:
    login(app_client, "viewer@example.com")
    token = csrf_of(app_client.get("/notes/new").text)
    assert app_client.post("/notes", data={"csrf_token": token, "text": "hello"}).status_code == 403
    assert notes(store) == []


def test_api(app_client: TestClient, store: Store, world: World, token_for: Any) -> None:
    writer = token_for("agent@example.com", "items:read", "items:write")
    reader = token_for("agent@example.com", "items:read")
    body = {"text": "Asked whether we deliver on Sundays", "topic": "delivery", "feeling": "neutral"}
    created = app_client.post("/api/v1/notes", json=body, headers={"Authorization": f"Bearer {writer}"})
    assert created.status_code == 201
    [note] = notes(store)
    assert created.json() == {"id": note.id}
    refused = app_client.post("/api/v1/notes", json=body, headers={"Authorization": f"Bearer {reader}"})
    assert refused.status_code == 403
    assert app_client.post("/api/v1/notes", json=body).status_code == 401
    bad = app_client.post("/api/v1/notes", json={"text": ""}, headers={"Authorization": f"Bearer {writer}"})
    assert bad.status_code == 422
    assert bad.json()["ok"] is False
    assert len(notes(store)) == 1
