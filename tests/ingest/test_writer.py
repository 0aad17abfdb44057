"""write_batch: validation, dedup keys, rating normalisation and idempotent inserts on both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from voxpop.errors import ValidationError
from voxpop.ingest.records import ItemRecord
from voxpop.ingest.writer import get_or_create_source, write_batch
from voxpop.store import Store
from voxpop.store.models import Customer, Item, Source


def _count(store: Store) -> int:
    with store.read() as session:
        return int(session.scalar(select(func.count()).select_from(Item)) or 0)


def test_get_or_create_source_is_idempotent(store: Store) -> None:
    with store.write() as session:
        first = get_or_create_source(session, "twitter", kind="file", channel="twitter")
    with store.write() as session:
        again = get_or_create_source(session, "twitter", channel="ignored")
        assert again.id == first.id
        assert again.channel == "twitter"
    with store.read() as session:
        assert session.scalar(select(func.count()).select_from(Source)) == 1


def test_write_batch_stores_every_field_and_round_trips(store: Store) -> None:
    when = datetime(2015, 2, 24, 11, 35, 52, tzinfo=timezone(timedelta(hours=-8)))
    record = ItemRecord(
        text="Great flight, lost bag though",
        created_at=when,
        external_id="570306133677760513",
        kind="mention",
        title="Mixed",
        url="https://example.com/t/1",
        author_name="Ann",
        author_handle="@ann",
        author_email="Ann@Example.com",
        rating=4,
        language="en",
        location="Boston",
        product="Flight",
        reach_followers=10,
        reach_likes=2,
        reach_shares=1,
        raw={"airline": "United", "extra": 1},
    )
    with store.write() as session:
        source = get_or_create_source(session, "tw", channel="twitter")
        result = write_batch(session, source, [record])
    assert len(result.added_ids) == 1
    assert result.duplicates == 0
    with store.read() as session:
        item = session.get(Item, result.added_ids[0])
        assert item is not None
        assert item.dedup_key == "id:570306133677760513"
        assert item.channel == "twitter"  # the source's channel
        assert item.kind == "mention"
        assert item.created_at == when
        assert item.created_at.tzinfo is not None
        assert item.rating_raw == 4
        assert (item.rating_min, item.rating_max) == (1, 5)
        assert item.rating == pytest.approx(0.75)
        assert item.raw == {"airline": "United", "extra": 1}
        assert item.status == "new"
        assert item.customer is not None
        assert item.customer.email == "ann@example.com"
        assert (item.reach_followers, item.reach_likes, item.reach_shares) == (10, 2, 1)


def test_rerun_and_in_batch_repeats_are_duplicates(store: Store) -> None:
    records = [
        ItemRecord(text="same words", author_name="Bo", created_at=datetime(2020, 1, 1, tzinfo=UTC)),
        ItemRecord(text="  same   WORDS ", author_name="Bo", created_at=datetime(2020, 1, 1, tzinfo=UTC)),
        ItemRecord(text="other", external_id="7"),
        ItemRecord(text="other, edited", external_id="7"),
    ]
    with store.write() as session:
        source = get_or_create_source(session, "file")
        first = write_batch(session, source, records)
    assert len(first.added_ids) == 2
    assert first.duplicates == 2
    with store.write() as session:
        source = get_or_create_source(session, "file")
        second = write_batch(session, source, records)
    assert second.added_ids == []
    assert second.duplicates == 4
    assert _count(store) == 2


def test_the_same_record_from_another_source_is_stored_again(store: Store) -> None:
    record = ItemRecord(text="hello", external_id="1")
    with store.write() as session:
        write_batch(session, get_or_create_source(session, "a"), [record])
        write_batch(session, get_or_create_source(session, "b"), [record])
    assert _count(store) == 2


def test_customers_are_linked_by_email_and_created_once(store: Store) -> None:
    with store.write() as session:
        source = get_or_create_source(session, "form")
        write_batch(session, source, [ItemRecord(text="a", author_email="x@y.org")])
    with store.write() as session:
        source = get_or_create_source(session, "form")
        write_batch(session, source, [ItemRecord(text="b", author_email="X@Y.org"), ItemRecord(text="c")])
    with store.read() as session:
        customers = session.scalars(select(Customer)).all()
        assert [c.email for c in customers] == ["x@y.org"]
        linked = session.scalars(select(Item.customer_id).where(Item.customer_id.is_not(None))).all()
        assert linked == [customers[0].id, customers[0].id]


@pytest.mark.parametrize(
    ("record", "field"),
    [
        (ItemRecord(text="   "), "text"),
        (ItemRecord(text="ok", rating=6), "rating"),
        (ItemRecord(text="ok", rating=float("nan")), "rating"),
        (ItemRecord(text="ok", rating=3, rating_min=5, rating_max=1), "rating_max"),
        (ItemRecord(text="ok", kind="tweet"), "kind"),
        (ItemRecord(text="nul\x00byte"), "text"),
        (ItemRecord(text="bad \udce9 byte"), "text"),
        (ItemRecord(text="ok", external_id="x" * 300), "external_id"),
        (ItemRecord(text="ok", author_email="not an address"), "author_email"),
        (ItemRecord(text="ok", reach_likes=-1), "reach_likes"),
        (ItemRecord(text="ok", raw={"k": "nul\x00"}), "raw"),
    ],
)
def test_a_bad_record_names_its_field_and_writes_nothing(store: Store, record: ItemRecord, field: str) -> None:
    with store.write() as session:
        source = get_or_create_source(session, "s")
    with pytest.raises(ValidationError, match=f"field '{field}'"), store.write() as session:
        write_batch(session, session.merge(source), [ItemRecord(text="fine"), record])
    assert _count(store) == 0


def test_rating_scales_and_cut_display_fields(store: Store) -> None:
    with store.write() as session:
        source = get_or_create_source(session, "s")
        result = write_batch(
            session,
            source,
            [
                ItemRecord(text="ten", rating=10, rating_min=0, rating_max=10, title="t" * 900),
                ItemRecord(text="one", rating=1),
            ],
        )
    with store.read() as session:
        ten, one = (session.get(Item, i) for i in result.added_ids)
        assert ten is not None
        assert one is not None
        assert ten.rating == 1.0
        assert ten.title == "t" * 500
        assert one.rating == 0.0


def test_missing_time_means_now(store: Store) -> None:
    before = datetime.now(UTC)
    with store.write() as session:
        result = write_batch(session, get_or_create_source(session, "s"), [ItemRecord(text="x")])
    with store.read() as session:
        item = session.get(Item, result.added_ids[0])
        assert item is not None
        assert before - timedelta(seconds=1) <= item.created_at <= datetime.now(UTC)


def test_bulk_batches_round_trip_awkward_values(store: Store) -> None:
    """Large batches take the fast paths (SQLite set-based FTS, PostgreSQL COPY): same results."""
    awkward = 'tab\there, back\\slash, "quotes", new\nline, \\N, ünïcödé 🙂'
    records = [
        ItemRecord(
            text=f"{awkward} {i % 900}",
            external_id=str(i % 900),  # 100 identical repeats inside the batch (a changed one is an edit)
            title=awkward,
            rating=1 + i % 900 % 5,
            created_at=datetime(2020, 1, 1, tzinfo=UTC) + timedelta(minutes=i % 900),
            raw={"note": awkward, "n": i % 900, "nested": {"list": [1, None, "x"]}},
        )
        for i in range(1000)
    ]
    with store.write() as session:
        source = get_or_create_source(session, "bulk")
        result = write_batch(session, source, records)
    assert (len(result.added_ids), result.duplicates) == (900, 100)
    with store.write() as session:
        again = write_batch(session, session.merge(source), records[:600])
    assert (again.added_ids, again.duplicates) == ([], 600)
    with store.read() as session:
        item = session.scalars(select(Item).where(Item.external_id == "7")).one()
        assert item.text == f"{awkward} 7"
        assert item.title == awkward
        assert item.raw == {"note": awkward, "n": 7, "nested": {"list": [1, None, "x"]}}
        assert item.created_at == datetime(2020, 1, 1, 0, 7, tzinfo=UTC)
        assert item.rating == 0.5  # 3 on 1–5
    assert _count(store) == 900
