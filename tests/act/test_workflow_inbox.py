"""The inbox ordered by urgency (paged across the unanalysed items) and saved views."""

from __future__ import annotations

import pytest

from tests.web.conftest import World, add_item
from voxpop.accounts.users import get_user_by_email
from voxpop.act.inbox import InboxFilters, list_items
from voxpop.act.views import delete_view, get_view, list_views, save_view
from voxpop.errors import NotFoundError, PermissionDeniedError, ValidationError
from voxpop.store import Store


def test_urgency_order_pages_through_everything_once(store: Store, world: World) -> None:
    urgencies = [0.2, None, 0.9, 0.5, None, 0.9, 0.1, None]
    ids = [add_item(store, world.reviews, minutes=n, urgency=u) for n, u in enumerate(urgencies)]
    hidden = add_item(store, world.reviews, minutes=50, urgency=1.0, department_id=world.delivery)
    expected = [ids[5], ids[2], ids[3], ids[0], ids[6], ids[7], ids[4], ids[1]]
    with store.read() as s:
        agent = get_user_by_email(s, "agent@example.com")
        admin = get_user_by_email(s, "admin@example.com")
        seen: list[int] = []
        cursor = None
        while True:
            page = list_items(
                s, admin, InboxFilters(department_id=None, channel="google"), cursor=cursor, limit=3, order="urgency"
            )
            seen.extend(i.id for i in page.items)
            cursor = page.next_cursor
            if cursor is None:
                break
        assert seen == [hidden, *expected]
        assert list_items(s, agent, InboxFilters(), order="urgency").items == []  # agent: Billing only
        with pytest.raises(ValidationError, match="order: choose date or urgency"):
            list_items(s, admin, InboxFilters(), order="random")
        with pytest.raises(ValidationError, match="cursor is not valid"):
            list_items(s, admin, InboxFilters(), order="urgency", cursor="bm9wZQ")


def test_saved_views(store: Store, world: World) -> None:
    with store.write() as s:
        agent = get_user_by_email(s, "agent@example.com")
        manager = get_user_by_email(s, "manager@example.com")
        mine = save_view(s, agent, "My negatives", {"sentiment": "negative", "order": "urgency"})
        with pytest.raises(PermissionDeniedError):
            save_view(s, agent, "For all", {"status": "new"}, shared=True)
        shared = save_view(s, manager, "Open", {"status": "new"}, shared=True)
        private = save_view(s, manager, "Manager's own", {"status": "waiting"})
        # Saving under the same name replaces the filters.
        assert save_view(s, agent, "My negatives", {"sentiment": "negative"}).id == mine.id
    with store.read() as s:
        agent = get_user_by_email(s, "agent@example.com")
        assert [v.name for v in list_views(s, agent)] == ["My negatives", "Open"]
        assert get_view(s, agent, mine.id).filters == {"sentiment": "negative"}
        with pytest.raises(NotFoundError):
            get_view(s, agent, private.id)
    with store.write() as s:
        agent = get_user_by_email(s, "agent@example.com")
        with pytest.raises(PermissionDeniedError):
            delete_view(s, agent, shared.id)
        delete_view(s, agent, mine.id)
        assert [v.name for v in list_views(s, agent)] == ["Open"]
