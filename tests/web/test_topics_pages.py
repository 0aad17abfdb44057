"""/topics and /topics/{id}: store-wide topics with their volume, the growing flag and their items."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from tests.web.conftest import World, add_item, login
from voxpop.measure import rollups
from voxpop.measure.topic_trends import is_growing, topic_items, topics_view
from voxpop.store import Store
from voxpop.store.models import Item, Source
from voxpop.store.models.topics import ItemTopic, StoreTopic


def _topic(name: str, phrases: list[str], size: int) -> StoreTopic:
    return StoreTopic(name=name, key_phrases=phrases, centroid=b"\0" * 16, threshold=0.5, size=size)


def _seed(store: Store, world: World) -> tuple[int, int, list[int]]:
    """70 days of 10 items a day; "parking" has one item every other day throughout, "<b>refund</b>"
    none until 12 items in the last week. Returns both topics' ids and the refund items' ids."""
    today = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    refund_ids: list[int] = []
    with store.write() as s:
        parking = _topic("parking lot", ["parking", "car park"], 35)
        refund = _topic("<b>refund</b> delays", ["refund <script>", "money back"], 12)
        s.add_all([parking, refund])
        s.flush()
        for day in range(70):
            for i in range(10):
                item = Item(
                    source_id=world.reviews,
                    dedup_key=f"t:{day}:{i}",
                    channel="google",
                    kind="review",
                    status="new",
                    priority=0,
                    raw={},
                    text=f"day {day} item {i}",
                    created_at=today - timedelta(days=day, minutes=i),
                )
                s.add(item)
                s.flush()
                if i == 0 and day % 2 == 0:
                    s.add(ItemTopic(item_id=item.id, topic_id=parking.id))
                elif i in (1, 2) and day < 6:
                    item.text = f"<script>alert({day})</script> where is my refund"
                    s.add(ItemTopic(item_id=item.id, topic_id=refund.id))
                    refund_ids.append(item.id)
                elif i == 3:
                    s.add(ItemTopic(item_id=item.id, topic_id=None))  # looked at, in no topic
        return parking.id, refund.id, refund_ids


def test_managers_only(app_client: TestClient, world: World) -> None:
    for email in ("agent@example.com", "viewer@example.com"):
        client = TestClient(app_client.app)
        login(client, email)
        assert client.get("/topics").status_code == 403
        assert client.get("/topics/1").status_code == 403
        assert 'href="/topics"' not in client.get("/trends").text
    login(app_client, "manager@example.com")
    empty = app_client.get("/topics")
    assert empty.status_code == 200
    assert "No topics yet" in empty.text
    assert app_client.get("/topics/999").status_code == 404


def test_topics_volume_growth_and_drill_down(app_client: TestClient, world: World, store: Store) -> None:
    parking, refund, refund_ids = _seed(store, world)
    login(app_client, "manager@example.com")
    page = app_client.get("/topics")
    assert page.status_code == 200
    html = page.text
    # names and key phrases written by the clustering (from customers' words) are escaped
    assert "&lt;b&gt;refund&lt;/b&gt; delays" in html
    assert "refund &lt;script&gt;" in html
    assert "<b>refund</b>" not in html
    rows = {
        int(topic): classes for classes, topic in re.findall(r'<tr class="topic-row([^"]*)" data-topic="(\d+)"', html)
    }
    assert rows == {parking: "", refund: " growing"}
    assert html.count('<svg class="sparkline"') == 2
    assert 'href="/topics"' in html  # the menu link, for a manager

    topic = app_client.get(f"/topics/{refund}")
    assert topic.status_code == 200
    listed = [int(i) for i in re.findall(r'<a href="/items/(\d+)">', topic.text)]
    assert sorted(listed) == sorted(refund_ids)
    assert "&lt;script&gt;alert(" in topic.text
    assert "<script>alert(" not in topic.text
    # the drill-down opens the item
    assert app_client.get(f"/items/{listed[0]}").status_code == 200
    # paging: 35 parking items, 50 a page
    assert len(re.findall(r'<tr class="topic-item">', app_client.get(f"/topics/{parking}").text)) == 35


def test_weekly_volume_and_growing_rule(world: World, store: Store) -> None:
    parking, refund, _ = _seed(store, world)
    with store.read() as db:
        view = topics_view(db, datetime.now(UTC).date(), weeks=12)
    by_id = {t.id: t for t in view.topics}
    assert [t.id for t in view.topics] == [parking, refund]  # largest first
    assert len(view.weeks) == 12
    assert sum(by_id[refund].weekly) == 12
    assert by_id[refund].weekly[-2:] != [0, 0]
    assert sum(by_id[parking].weekly) == 35
    assert by_id[refund].recent == 12
    assert by_id[refund].baseline == 0
    assert by_id[refund].growing
    assert not by_id[parking].growing
    # Once rolled up, the roll-ups' topic cells give the same view (the page reads them when nothing is pending).
    rollups.process_pending(store)
    with store.read() as db:
        assert not rollups.is_pending(db)
        cells = topics_view(db, datetime.now(UTC).date(), weeks=12)
        items = topics_view(db, datetime.now(UTC).date(), weeks=12, from_cells=False)
    assert cells == items == view
    # the rule itself: too few recent items, a share below twice the baseline, or both significant
    assert is_growing(4, 100, 0, 400) == (False, None)
    assert is_growing(10, 100, 30, 400) == (False, None)  # 10 % against 7.5 %
    growing, p = is_growing(20, 100, 8, 400)
    assert growing
    assert p is not None
    assert p < 0.01


def test_a_topics_items_are_ours_only(app_client: TestClient, world: World, store: Store) -> None:
    # A competitor's review clustered into a store-wide topic is neither listed nor counted on the drill
    # down, as /topics itself leaves competitors' items out.
    _, refund, refund_ids = _seed(store, world)
    with store.write() as s:
        rival = Source(name="Rival", kind="file", channel="google", config={}, is_competitor=True, competitor="R")
        s.add(rival)
        s.flush()
        rival_id = rival.id
    theirs_id = add_item(store, rival_id, text="their refund took ages too", created_at=datetime.now(UTC))
    with store.write() as s:
        s.add(ItemTopic(item_id=theirs_id, topic_id=refund))
    with store.read() as db:
        found = topic_items(db, refund)
    assert found is not None
    assert found.total == len(refund_ids)
    assert theirs_id not in {item.id for item in found.items}
    login(app_client, "manager@example.com")
    listed = {int(i) for i in re.findall(r'<a href="/items/(\d+)">', app_client.get(f"/topics/{refund}").text)}
    assert listed == set(refund_ids)
