"""Updates, not duplicates: the same item again adds nothing; an edit updates it in place with history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update

from voxpop.ingest.records import ItemRecord, platform_key
from voxpop.ingest.writer import get_or_create_source, write_batch
from voxpop.store import Store
from voxpop.store.models import Item
from voxpop.store.models.history import ItemKey, ItemRevision
from voxpop.store.models.replies import Reply

T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


def _review(text: str = "Lovely staff", rating: float = 5, edited: datetime | None = T0, **extra: object) -> ItemRecord:
    return ItemRecord(
        text=text,
        rating=rating,
        created_at=T0,
        external_id="r-1",
        platform_key=platform_key("google", "r-1"),
        edited_at=edited,
        **extra,  # type: ignore[arg-type]
    )


def _write(store: Store, source: str, records: list[ItemRecord]) -> tuple[list[int], list[int], int]:
    with store.write() as session:
        result = write_batch(session, get_or_create_source(session, source), records)
    return result.added_ids, result.updated_ids, result.duplicates


def _items(store: Store) -> list[Item]:
    with store.read() as session:
        return list(session.scalars(select(Item).order_by(Item.id)))


def test_polling_the_same_feed_twice_adds_nothing(store: Store) -> None:
    added, updated, dup = _write(store, "feed", [_review()])
    assert (len(added), updated, dup) == (1, [], 0)
    assert _write(store, "feed", [_review()]) == ([], [], 1)
    assert len(_items(store)) == 1


def test_an_edited_review_updates_the_item_in_place_and_keeps_the_old_version(store: Store) -> None:
    (item_id,), _, _ = _write(store, "feed", [_review()])
    with store.write() as session:  # as if analysed
        session.execute(update(Item).where(Item.id == item_id).values(analyzed_at=T0, sentiment="positive"))
    later = T0 + timedelta(days=2)
    added, updated, dup = _write(store, "feed", [_review("Staff were rude after all", 2, later)])
    assert (added, updated, dup) == ([], [item_id], 0)
    (item,) = _items(store)
    assert (item.text, item.rating_raw, item.rating) == ("Staff were rude after all", 2, 0.25)
    assert item.analyzed_at is None  # the analysis runs again
    assert item.updated_at is not None
    assert item.created_at == T0
    with store.read() as session:
        (revision,) = session.scalars(select(ItemRevision))
        key = session.get(ItemKey, "google:r-1")
    assert (revision.item_id, revision.text, revision.rating_raw, revision.rating) == (item_id, "Lovely staff", 5, 1.0)
    assert revision.written_at == T0
    assert key is not None
    assert key.edited_at == later
    # The same edit again changes nothing; an older copy (an old export) does not roll it back.
    assert _write(store, "feed", [_review("Staff were rude after all", 2, later)]) == ([], [], 1)
    assert _write(store, "feed", [_review()]) == ([], [], 1)
    assert _items(store)[0].text == "Staff were rude after all"


def test_the_same_review_by_file_and_by_api_is_one_item(store: Store) -> None:
    (item_id,), _, _ = _write(store, "google-takeout.json", [_review()])
    from_api = _review(url="https://maps.google.com/r-1")
    assert _write(store, "google-api", [from_api]) == ([], [], 1)
    edited = _review("Even better now", 5, T0 + timedelta(hours=3))
    assert _write(store, "google-api", [edited]) == ([], [item_id], 0)
    items = _items(store)
    assert [(i.id, i.text) for i in items] == [(item_id, "Even better now")]


def test_repeats_inside_one_batch_keep_the_newest_version(store: Store) -> None:
    older, newer = _review("v1", 3, T0), _review("v2", 4, T0 + timedelta(days=1))
    added, updated, dup = _write(store, "feed", [newer, older])
    assert (len(added), updated, dup) == (1, [], 1)
    assert [i.text for i in _items(store)] == ["v2"]
    assert _write(store, "feed", [older, newer]) == ([], [], 2)


def test_a_platform_reply_is_imported_once_as_a_response(store: Store) -> None:
    replied = T0 + timedelta(hours=5)
    record = _review(reply_text="Thank you, Ann!", replied_at=replied)
    (item_id,), _, _ = _write(store, "feed", [record])
    assert _write(store, "feed", [record]) == ([], [], 1)
    with store.read() as session:
        (reply,) = session.scalars(select(Reply))
        item = session.get(Item, item_id)
    assert item is not None
    assert item.responded_at == replied
    assert (reply.item_id, reply.user_id, reply.text, reply.origin) == (item_id, None, "Thank you, Ann!", "imported")
    assert (reply.sent_at, reply.response_seconds) == (replied, 5 * 3600)
    # The business edits its reply on the platform: the imported reply follows, still one.
    _write(store, "feed", [_review(reply_text="Thank you so much, Ann!", replied_at=replied)])
    with store.read() as session:
        assert session.scalar(select(func.count()).select_from(Reply)) == 1
        assert session.scalars(select(Reply.text)).one() == "Thank you so much, Ann!"


def test_a_reply_arriving_later_sets_responded_at(store: Store) -> None:
    (item_id,), _, _ = _write(store, "feed", [_review()])
    replied = T0 + timedelta(days=1)
    _write(store, "feed", [_review(reply_text="Thanks!", replied_at=replied)])
    with store.read() as session:
        item = session.get(Item, item_id)
        assert item is not None
        assert item.responded_at == replied
        assert session.scalars(select(Reply.text)).one() == "Thanks!"


def test_items_without_platform_ids_still_deduplicate_by_content(store: Store) -> None:
    plain = [ItemRecord(text="no id here", author_name="x"), ItemRecord(text="No  ID here", author_name="x")]
    assert len(_write(store, "csv", plain)[0]) == 1
    assert _write(store, "csv", plain) == ([], [], 2)
