from __future__ import annotations

import re
from datetime import date

import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import World, add_item, login
from voxpop.accounts.users import get_user_by_email
from voxpop.act.inbox import InboxFilters, decode_cursor, get_item, list_items
from voxpop.errors import NotFoundError, ValidationError
from voxpop.store import Store

ITEM_LINK = re.compile(r'href="/items/(\d+)"')


def _ids(html: str) -> list[int]:
    return [int(i) for i in ITEM_LINK.findall(html)]


@pytest.fixture
def items(store: Store, world: World) -> dict[str, int]:
    """A small, varied inbox: 25 Billing items, 5 Delivery items with distinct traits, 2 unrouted."""
    ids: dict[str, int] = {}
    for n in range(25):
        ids[f"bill{n}"] = add_item(
            store, world.reviews, minutes=n, department_id=world.billing, rating=n % 5 / 4, text=f"invoice number {n}"
        )
    ids["tweet"] = add_item(
        store,
        world.tweets,
        minutes=100,
        channel="twitter",
        kind="mention",
        department_id=world.delivery,
        text="my parcel never arrived",
        sentiment="negative",
        status="assigned",
        location="Leeds",
    )
    ids["late"] = add_item(
        store,
        world.tweets,
        minutes=60 * 24 * 40,
        channel="twitter",
        department_id=world.delivery,
        text="courier was late again",
        title="Late courier",
    )
    for n in range(3):
        ids[f"deliv{n}"] = add_item(store, world.reviews, minutes=200 + n, department_id=world.delivery, rating=1.0)
    ids["unrouted"] = add_item(store, world.reviews, minutes=300, text="lovely staff, excellent pastries")
    ids["same_time"] = add_item(store, world.reviews, minutes=300, text="same minute as another item")
    return ids


def _all_pages(client: TestClient, query: str) -> list[int]:
    seen: list[int] = []
    url: str | None = f"/api/v1/items?{query}"
    while url:
        body = client.get(url).json()
        seen += [i["id"] for i in body["items"]]
        url = f"/api/v1/items?{query}&cursor={body['next_cursor']}" if body["next_cursor"] else None
    return seen


def test_inbox_lists_every_channel_newest_first(app_client: TestClient, items: dict[str, int]) -> None:
    login(app_client, "manager@example.com")
    page = app_client.get("/inbox")
    assert page.status_code == 200
    ids = _ids(page.text)
    assert ids[0] == items["late"]
    assert {items["tweet"], items["unrouted"]} <= set(ids)
    assert ids.index(items["same_time"]) < ids.index(items["unrouted"])  # same time: higher id first


def test_keyset_pages_have_no_duplicates_or_gaps(app_client: TestClient, items: dict[str, int]) -> None:
    login(app_client, "manager@example.com")
    for limit in (1, 3, 7, 50):
        assert sorted(_all_pages(app_client, f"limit={limit}")) == sorted(items.values())
        assert len(_all_pages(app_client, f"limit={limit}&channel=google")) == 30


def test_load_more_through_htmx(app_client: TestClient, store: Store, items: dict[str, int]) -> None:
    login(app_client, "manager@example.com")
    app_client.app.state.settings = store.settings.model_copy(update={"page_size": 10})  # type: ignore[attr-defined]
    first = app_client.get("/inbox?channel=google")
    more = re.search(r'hx-get="(/inbox\?[^"]+)"', first.text)
    assert more is not None
    assert "channel=google" in more.group(1)
    rows = app_client.get(more.group(1).replace("&amp;", "&"), headers={"HX-Request": "true"})
    assert "<html" not in rows.text  # just the rows and the next button
    both = _ids(first.text) + _ids(rows.text)
    assert len(both) == len(set(both)) == 20


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("channel=twitter", {"tweet", "late"}),
        ("kind=mention", {"tweet"}),
        ("status=assigned", {"tweet"}),
        ("sentiment=negative", {"tweet"}),
        ("location=Leeds", {"tweet"}),
        ("stars_min=5", {"bill4", "bill9", "bill14", "bill19", "bill24", "deliv0", "deliv1", "deliv2"}),
        ("stars_min=2&stars_max=2", {"bill1", "bill6", "bill11", "bill16", "bill21"}),
        ("date_from=2025-04-01", {"late"}),
        ("date_from=2025-03-01&date_to=2025-03-01&channel=twitter", {"tweet"}),
        ("q=parcel", {"tweet"}),
        ("q=pastries", {"unrouted"}),
        ("q=courier late", {"late"}),
        ("q=excellent&channel=twitter", set()),
    ],
)
def test_filters(app_client: TestClient, items: dict[str, int], query: str, expected: set[str]) -> None:
    login(app_client, "manager@example.com")
    page = app_client.get(f"/inbox?{query}")
    assert page.status_code == 200
    assert set(_ids(page.text)) == {items[k] for k in expected}


def test_department_and_source_filters(app_client: TestClient, world: World, items: dict[str, int]) -> None:
    login(app_client, "manager@example.com")
    delivery = set(_ids(app_client.get(f"/inbox?department_id={world.delivery}").text))
    assert delivery == {items[k] for k in ("tweet", "late", "deliv0", "deliv1", "deliv2")}
    tweets = set(_ids(app_client.get(f"/inbox?source_id={world.tweets}").text))
    assert tweets == {items["tweet"], items["late"]}


def test_filter_form_keeps_its_values(app_client: TestClient, world: World, items: dict[str, int]) -> None:
    login(app_client, "manager@example.com")
    query = f"q=parcel&channel=twitter&stars_min=2&date_from=2025-01-02&department_id={world.delivery}"
    html = app_client.get(f"/inbox?{query}").text
    assert 'name="q" value="parcel"' in html
    assert '<option value="twitter" selected>' in html
    assert '<option value="2" selected>2★</option>' in html
    assert 'name="date_from" value="2025-01-02"' in html
    assert f'<option value="{world.delivery}" selected>Delivery</option>' in html


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("date_from=yesterday", "date_from: &#39;yesterday&#39; is not a date"),
        ("stars_min=9", "stars_min: 9 is outside 1–5"),
        ("source_id=abc", "source_id: &#39;abc&#39; is not a whole number"),
        ("cursor=garbage", "cursor is not valid"),
    ],
)
def test_bad_filters_say_which_parameter(
    app_client: TestClient, items: dict[str, int], query: str, message: str
) -> None:
    login(app_client, "manager@example.com")
    page = app_client.get(f"/inbox?{query}")
    assert page.status_code == 422
    assert message in page.text


def test_agent_sees_only_their_departments(app_client: TestClient, world: World, items: dict[str, int]) -> None:
    login(app_client, "agent@example.com")
    shown = set(_ids(app_client.get("/inbox?limit=100").text))
    assert shown == {items[f"bill{n}"] for n in range(25)} & shown
    assert items["tweet"] not in shown
    assert items["unrouted"] not in shown
    # Asking for another department's items explicitly gives nothing, and the item page is a 404.
    assert _ids(app_client.get(f"/inbox?department_id={world.delivery}").text) == []
    assert app_client.get(f"/items/{items['tweet']}").status_code == 404
    assert app_client.get(f"/items/{items['bill3']}").status_code == 200


def test_service_layer_scoping_and_cursor(store: Store, world: World, items: dict[str, int]) -> None:
    with store.read() as s:
        agent = get_user_by_email(s, "agent@example.com")
        viewer = get_user_by_email(s, "viewer@example.com")
        page = list_items(s, agent, InboxFilters(), limit=500)
        assert {i.department_id for i in page.items} == {world.billing}
        assert len(page.items) == 25
        assert page.next_cursor is None
        with pytest.raises(NotFoundError):
            get_item(s, agent, items["tweet"])
        assert get_item(s, viewer, items["tweet"]).id == items["tweet"]
        first = list_items(s, viewer, InboxFilters(date_to=date(2025, 3, 1)), limit=2)
        assert first.next_cursor is not None
        created, last_id = decode_cursor(first.next_cursor)
        assert last_id == first.items[-1].id
        assert created == first.items[-1].created_at
        with pytest.raises(ValidationError, match="limit"):
            list_items(s, viewer, InboxFilters(), limit=0)


def test_search_gives_the_same_newest_matches_whether_matches_are_few_or_many(
    store: Store, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite changes its query shape when many items match; the answer must not change."""
    import voxpop.act.inbox as inbox

    for n in range(12):
        add_item(store, world.reviews, minutes=(n * 37) % 11, text=f"breakfast review {n}" if n % 3 else "other")
    with store.read() as s:
        viewer = get_user_by_email(s, "viewer@example.com")
        pages = {}
        for dense in (1, 10**6):
            monkeypatch.setattr(inbox, "DENSE_MATCHES", dense)
            first = list_items(s, viewer, InboxFilters(q="breakfast"), limit=5)
            assert first.next_cursor is not None
            second = list_items(s, viewer, InboxFilters(q="breakfast"), cursor=first.next_cursor, limit=5)
            pages[dense] = [i.id for i in first.items + second.items]
    assert pages[1] == pages[10**6]
    assert len(set(pages[1])) == 8
