"""The pages: rules (managers only, CSRF), the item's workflow panel and explanation, notes, bulk actions
with CSRF, saved views, and an agent of another department getting a 404."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.web.conftest import World, add_item, csrf_of, login
from voxpop.act.routing.engine import route_items
from voxpop.store import Store
from voxpop.store.models import Item


def session_for(client: TestClient, email: str) -> str:
    assert login(client, email).status_code == 303
    return csrf_of(client.get("/inbox").text)


def test_manager_creates_a_rule_and_the_item_page_explains_it(
    app_client: TestClient, store: Store, world: World
) -> None:
    csrf = session_for(app_client, "manager@example.com")
    form = {
        "csrf_token": csrf,
        "name": "refund words",
        "enabled": "on",
        "keywords": "refund, money back",
        "sentiments": "negative",
        "department": "Billing",
        "sla_hours": "4",
        "tags": "refund",
    }
    assert app_client.post("/rules/new", data={**form, "csrf_token": "wrong"}).status_code == 403
    made = app_client.post("/rules/new", data=form, follow_redirects=False)
    assert made.status_code == 303
    listing = app_client.get("/rules").text
    assert "refund words" in listing
    bad = app_client.post("/rules/new", data={**form, "name": "bad", "regex": "(a)\\1"})
    assert bad.status_code == 422
    assert "when.regex" in bad.text
    item_id = add_item(store, world.reviews, text="I want a refund now", sentiment="negative")
    route_items(store, [item_id])
    page = app_client.get(f"/items/{item_id}").text
    assert "routed to Billing by rule &#39;refund words&#39;" in page
    exported = app_client.get("/rules/export.yaml")
    assert "refund words" in exported.text


def test_agents_cannot_edit_rules_and_see_only_their_items(app_client: TestClient, store: Store, world: World) -> None:
    theirs = add_item(store, world.reviews, department_id=world.delivery)
    csrf = session_for(app_client, "agent@example.com")
    assert app_client.get("/rules").status_code == 403
    assert app_client.post("/rules/new", data={"csrf_token": csrf, "name": "x", "priority": "1"}).status_code == 403
    assert app_client.get(f"/items/{theirs}").status_code == 404
    assert app_client.post(f"/items/{theirs}/notes", data={"csrf_token": csrf, "text": "hi"}).status_code == 404
    assert (
        app_client.post(f"/items/{theirs}/workflow", data={"csrf_token": csrf, "status": "resolved"}).status_code == 404
    )


def test_workflow_form_notes_and_history(app_client: TestClient, store: Store, world: World) -> None:
    item_id = add_item(store, world.reviews, department_id=world.billing, text="<b>cold</b> soup")
    csrf = session_for(app_client, "agent@example.com")
    done = app_client.post(
        f"/items/{item_id}/workflow",
        data={"csrf_token": csrf, "status": "waiting", "tags": "Soup, cold", "priority": "2"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    note = "<script>alert(1)</script> checking with @manager@example.com"
    app_client.post(f"/items/{item_id}/notes", data={"csrf_token": csrf, "text": note})
    page = app_client.get(f"/items/{item_id}").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)" not in page
    assert "status new → waiting" in page
    assert "tagged soup, cold" in page
    assert "added a note mentioning manager@example.com" in page
    with store.read() as s:
        item = s.get(Item, item_id)
        assert item is not None
        assert (item.status, item.priority, item.tags) == ("waiting", 2, ["soup", "cold"])
    spam = app_client.post(
        f"/items/{item_id}/workflow", data={"csrf_token": csrf, "status": "spam"}, follow_redirects=False
    )
    assert spam.status_code == 303  # waiting -> spam is allowed
    forbidden = app_client.post(f"/items/{item_id}/workflow", data={"csrf_token": csrf, "status": "resolved"})
    assert forbidden.status_code == 422
    assert "cannot go from &#39;spam&#39; to &#39;resolved&#39;" in forbidden.text
    manager = TestClient(app_client.app)
    session_for(manager, "manager@example.com")
    assert "1 new mention" in manager.get("/inbox").text
    assert f"/items/{item_id}#notes" in manager.get("/mentions").text


def test_bulk_actions_need_csrf_and_respect_scoping(app_client: TestClient, store: Store, world: World) -> None:
    mine = [add_item(store, world.reviews, minutes=n, department_id=world.billing) for n in range(3)]
    theirs = add_item(store, world.reviews, minutes=9, department_id=world.delivery)
    csrf = session_for(app_client, "agent@example.com")
    data = {"ids": [*map(str, mine), str(theirs)], "action": "status", "value_status": "resolved"}
    assert app_client.post("/inbox/bulk", data=data).status_code == 403  # no CSRF token
    assert app_client.post("/inbox/bulk", data={**data, "csrf_token": "nope"}).status_code == 403
    done = app_client.post("/inbox/bulk", data={**data, "csrf_token": csrf}, follow_redirects=False)
    assert done.status_code == 303
    assert done.headers["location"] == "/inbox?bulk_changed=3&bulk_skipped=1"
    with store.read() as s:
        assert [s.get(Item, i).status for i in mine] == ["resolved"] * 3  # type: ignore[union-attr]
        assert s.get(Item, theirs).status == "new"  # type: ignore[union-attr]
    tagged = app_client.post(
        "/inbox/bulk", data={"ids": [str(mine[0])], "action": "tag", "value_tag": "late, vip", "csrf_token": csrf}
    )
    assert tagged.status_code == 200
    with store.read() as s:
        assert s.get(Item, mine[0]).tags == ["late", "vip"]  # type: ignore[union-attr]


def test_saved_view_and_urgency_order_on_the_inbox(app_client: TestClient, store: Store, world: World) -> None:
    calm = add_item(store, world.reviews, minutes=5, urgency=0.1, text="calm one", sentiment="negative")
    hot = add_item(store, world.reviews, minutes=1, urgency=0.9, text="hot one", sentiment="negative")
    add_item(store, world.reviews, minutes=3, urgency=0.95, text="happy one", sentiment="positive")
    csrf = session_for(app_client, "manager@example.com")
    saved = app_client.post(
        "/views",
        data={"csrf_token": csrf, "view_name": "Angry first", "sentiment": "negative", "order": "urgency", "junk": "x"},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    page = app_client.get(saved.headers["location"]).text
    assert "Angry first" in page
    assert page.index("hot one") < page.index("calm one")
    assert "happy one" not in page
    by_date = app_client.get("/inbox?sentiment=negative").text
    assert by_date.index("calm one") < by_date.index("hot one")
    assert f"/items/{hot}" in page
    assert f"/items/{calm}" in page
