"""The reply pages and API: suggestions, the live tone check, sending (scoped: another department's
item is a 404 in pages and API), send-anyway, the template library (sandbox errors at save time)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.web.conftest import World, add_item, csrf_of, login
from voxpop.store import Store
from voxpop.store.models import AuditEvent, Item
from voxpop.store.models.replies import Reply, ReplyTemplate

POLITE = "Hi Maria, I'm so sorry about the late delivery. Please send us your order number."
RUDE = "As we already told you, it is not our fault."


def _item(store: Store, world: World, department: int, minutes: int = 0) -> int:
    return add_item(
        store,
        world.reviews,
        minutes=minutes,
        text="My parcel arrived a week late.",
        author_name="Maria Lopez",
        sentiment="negative",
        aspects=[{"name": "delivery", "sentiment": "negative"}],
        department_id=department,
        url="https://maps.google.com/r/9",
    )


def _login(client: TestClient, email: str) -> None:
    assert login(client, email).status_code == 303


def test_reply_flow_in_pages(store: Store, world: World, app_client: TestClient) -> None:
    item_id = _item(store, world, world.billing)
    _login(app_client, "agent@example.com")
    page = app_client.get(f"/items/{item_id}/reply")
    assert page.status_code == 200
    csrf = csrf_of(page.text)
    headers = {"X-CSRF-Token": csrf, "HX-Request": "true"}
    found = app_client.get(f"/items/{item_id}/suggestions", headers=headers)
    assert "template &#39;apology — delivery&#39; matches negative + delivery" in found.text
    assert "Hi Maria, I&#39;m so sorry your delivery let you down" in found.text
    tone = app_client.post(f"/items/{item_id}/tone", data={"text": RUDE}, headers=headers)
    assert 'id="tone-flags"' in tone.text
    assert '<mark class="tone-dismissive"' in tone.text
    assert "to recap" in tone.text
    assert 'id="tone-ok"' in app_client.post(f"/items/{item_id}/tone", data={"text": POLITE}, headers=headers).text
    refused = app_client.post(f"/items/{item_id}/replies", data={"text": RUDE, "csrf_token": csrf})
    assert refused.status_code == 422
    assert "the tone check flagged this reply" in refused.text
    assert "As we already told you, it is not our fault.</textarea>" in refused.text
    sent = app_client.post(
        f"/items/{item_id}/replies",
        data={"text": POLITE, "csrf_token": csrf, "origin": "template"},
        follow_redirects=False,
    )
    assert sent.status_code == 303
    panel = app_client.get(f"/items/{item_id}/replies-panel", headers=headers)
    assert POLITE.replace("'", "&#39;") in panel.text
    assert 'id="response-time"' in panel.text
    assert 'data-copy-from="reply-text-' in panel.text
    assert 'href="https://maps.google.com/r/9"' in panel.text
    with store.read() as s:
        item = s.get(Item, item_id)
        assert item is not None
        assert item.status == "responded"


def test_send_anyway_is_recorded_in_pages(store: Store, world: World, app_client: TestClient) -> None:
    item_id = _item(store, world, world.billing)
    _login(app_client, "agent@example.com")
    csrf = csrf_of(app_client.get(f"/items/{item_id}/reply").text)
    sent = app_client.post(
        f"/items/{item_id}/replies",
        data={"text": RUDE, "csrf_token": csrf, "send_anyway": "1"},
        follow_redirects=False,
    )
    assert sent.status_code == 303
    panel = app_client.get(f"/items/{item_id}/replies-panel")
    assert "sent anyway: dismissive, defensive" in panel.text or "sent anyway: defensive, dismissive" in panel.text
    with store.read() as s:
        reply = s.scalar(select(Reply))
        assert reply is not None
        assert reply.tone_overridden is True
        assert s.scalar(select(AuditEvent).where(AuditEvent.action == "reply_tone_overridden")) is not None


def test_another_departments_item_is_404_in_pages_and_api(
    store: Store, world: World, app_client: TestClient, token_for: object
) -> None:
    other = _item(store, world, world.delivery)
    _login(app_client, "agent@example.com")
    csrf = csrf_of(app_client.get("/inbox").text)
    for path in (f"/items/{other}/reply", f"/items/{other}/suggestions", f"/items/{other}/replies-panel"):
        assert app_client.get(path).status_code == 404, path
    assert app_client.post(f"/items/{other}/replies", data={"text": POLITE, "csrf_token": csrf}).status_code == 404
    assert app_client.post(f"/items/{other}/tone", data={"text": POLITE, "csrf_token": csrf}).status_code == 404
    token = token_for("agent@example.com", "items:read", "items:write")  # type: ignore[operator]
    api = {"Authorization": f"Bearer {token}"}
    assert app_client.post(f"/api/v1/items/{other}/replies", json={"text": POLITE}, headers=api).status_code == 404
    assert app_client.get(f"/api/v1/items/{other}/replies", headers=api).status_code == 404
    assert app_client.get(f"/api/v1/items/{other}/suggestions", headers=api).status_code == 404
    with store.read() as s:
        assert s.scalar(select(Reply.id)) is None


def test_api_send_tone_and_suggestions(store: Store, world: World, app_client: TestClient, token_for: object) -> None:
    item_id = _item(store, world, world.billing)
    token = token_for("agent@example.com", "items:read", "items:write")  # type: ignore[operator]
    api = {"Authorization": f"Bearer {token}"}
    tone = app_client.post("/api/v1/tone", json={"text": RUDE}, headers=api).json()
    assert tone["ok"] is False
    assert tone["categories"] == ["defensive", "dismissive"]
    assert tone["flags"][0]["phrase"] == "As we already told"
    found = app_client.get(f"/api/v1/items/{item_id}/suggestions", headers=api).json()
    assert found[0]["reason"] == "template 'apology — delivery' matches negative + delivery"
    refused = app_client.post(f"/api/v1/items/{item_id}/replies", json={"text": RUDE}, headers=api)
    assert refused.status_code == 422
    assert refused.json()["ok"] is False
    assert "tone check" in refused.json()["error"]
    made = app_client.post(f"/api/v1/items/{item_id}/replies", json={"text": POLITE}, headers=api)
    assert made.status_code == 201
    assert made.json()["response_seconds"] > 0
    listed = app_client.get(f"/api/v1/items/{item_id}/replies", headers=api).json()
    assert [r["text"] for r in listed] == [POLITE]
    read_only = token_for("agent@example.com", "items:read")  # type: ignore[operator]
    denied = app_client.post(
        f"/api/v1/items/{item_id}/replies", json={"text": POLITE}, headers={"Authorization": f"Bearer {read_only}"}
    )
    assert denied.status_code == 403


def test_template_library_pages(store: Store, world: World, app_client: TestClient) -> None:
    _login(app_client, "manager@example.com")
    listing = app_client.get("/replies/templates")
    assert "apology — delivery" in listing.text
    csrf = csrf_of(app_client.get("/replies/templates/new").text)
    form = {"name": "evil", "language": "en", "purpose": "thanks", "csrf_token": csrf}
    for body, message in (
        ("{{ self.__init__.__globals__ }}", "attribute access"),
        ("{{ config }}", "unknown variable &#39;config&#39;"),
        ("{{ ''.__class__.__mro__ }}", "attribute access"),
        ('{% import "base.html" as b %}', "{% import %}"),
    ):
        refused = app_client.post("/replies/templates", data=form | {"body": body})
        assert refused.status_code == 422
        assert message in refused.text
    made = app_client.post(
        "/replies/templates",
        data=form | {"name": "thanks — shop", "body": "Thanks {{ first_name }}!", "sentiment": "positive"},
        follow_redirects=False,
    )
    assert made.status_code == 303
    with store.read() as s:
        names = set(s.scalars(select(ReplyTemplate.name)))
    assert "thanks — shop" in names
    assert "evil" not in names
    template_id = int(made.headers["location"].split("/")[-1].split("?")[0])
    app_client.post(f"/replies/templates/{template_id}/delete", data={"csrf_token": csrf})
    with store.read() as s:
        assert s.get(ReplyTemplate, template_id) is None


def test_agents_cannot_edit_templates(store: Store, world: World, app_client: TestClient) -> None:
    _login(app_client, "agent@example.com")
    csrf = csrf_of(app_client.get("/inbox").text)
    refused = app_client.post(
        "/replies/templates", data={"name": "x", "body": "Hi", "purpose": "thanks", "csrf_token": csrf}
    )
    assert refused.status_code in (403, 422)
    assert "only a manager or an admin" in refused.text


def test_template_api(store: Store, world: World, app_client: TestClient, token_for: object) -> None:
    manager = {"Authorization": f"Bearer {token_for('manager@example.com', 'items:read', 'items:write')}"}  # type: ignore[operator]
    agent = {"Authorization": f"Bearer {token_for('agent@example.com', 'items:read', 'items:write')}"}  # type: ignore[operator]
    listed = app_client.get("/api/v1/reply-templates?language=fr", headers=agent)
    assert listed.status_code == 200
    assert {t["language"] for t in listed.json()} == {"fr"}
    assert any(t["name"] == "apology — general" for t in listed.json())
    evil = {"name": "evil", "body": "{{ ''.__class__.__mro__[1].__subclasses__() }}"}
    refused = app_client.post("/api/v1/reply-templates", json=evil, headers=manager)
    assert refused.status_code == 422
    assert "body: templates may not use" in refused.json()["error"]
    good = {"name": "thanks — api", "body": "Thanks {{ first_name }}!", "sentiment": "positive", "language": "de"}
    assert app_client.post("/api/v1/reply-templates", json=good, headers=agent).status_code == 403
    made = app_client.post("/api/v1/reply-templates", json=good, headers=manager)
    assert made.status_code == 201
    assert made.json()["language"] == "de"
    assert made.json()["is_default"] is False
