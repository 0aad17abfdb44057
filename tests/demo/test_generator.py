"""The demo generator: deterministic, spread over six months and many channels, varied, with its stories."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from voxpop.demo import business as biz
from voxpop.demo.bank import ASPECTS, fragment_counts
from voxpop.demo.generator import channel_counts, generate
from voxpop.demo.item import DemoItem
from voxpop.store.models import ItemKind

NOW = datetime(2026, 11, 23, 11, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def items() -> list[DemoItem]:
    return generate(NOW)


def _ago(item: DemoItem) -> float:
    return (NOW - item.created_at).total_seconds() / 86400


def _snapshot(items: list[DemoItem]) -> list[tuple[object, ...]]:
    return [
        (
            i.source,
            i.record.external_id,
            i.record.text,
            i.record.title,
            i.record.rating,
            i.record.created_at,
            i.record.author_name,
            i.record.author_email,
            i.record.raw,
            i.department,
            i.story,
        )
        for i in items
    ]


def test_the_same_moment_gives_the_same_data(items: list[DemoItem]) -> None:
    assert _snapshot(generate(NOW)) == _snapshot(items)


def test_another_day_gives_other_data(items: list[DemoItem]) -> None:
    other = generate(NOW + timedelta(days=1))
    assert {i.record.text for i in other} != {i.record.text for i in items}


def test_the_requested_number_of_items_split_over_the_channels(items: list[DemoItem]) -> None:
    assert len(items) == 3000
    by_channel = Counter(i.record.channel for i in items)
    assert by_channel == channel_counts(3000)
    assert set(by_channel) == {c.key for c in biz.CHANNELS}
    assert len(generate(NOW, items=500)) == 500
    assert sum(channel_counts(1234).values()) == 1234


def test_every_kind_of_item_and_its_source(items: list[DemoItem]) -> None:
    kinds = Counter(i.record.kind for i in items)
    assert set(kinds) == {k.value for k in ItemKind} - {"idea"}
    for item in items:
        channel = biz.CHANNEL_BY_KEY[item.record.channel or ""]
        assert item.source == channel.source
        assert item.record.kind == channel.kind
        assert item.record.text.strip()


def test_external_ids_are_unique_and_stable(items: list[DemoItem]) -> None:
    ids = [i.record.external_id for i in items]
    assert len(set(ids)) == len(ids)
    assert ids[:0] == []
    assert {i.record.external_id for i in items if i.record.channel == "google"} >= {"gbp-00001", "gbp-00900"}


def test_ratings_use_each_channels_scale(items: list[DemoItem]) -> None:
    reviews = [i for i in items if i.record.kind == "review"]
    assert {i.record.rating for i in reviews} == {1, 2, 3, 4, 5}
    assert all((i.record.rating_min, i.record.rating_max) == (1, 5) for i in reviews)
    surveys = [i for i in items if i.record.kind == "survey"]
    assert {i.record.rating for i in surveys} == set(range(11))
    assert all((i.record.rating_min, i.record.rating_max) == (0, 10) for i in surveys)
    assert all(i.record.raw["score"] == i.record.rating for i in surveys)
    stars = Counter(i.record.rating for i in reviews)
    assert stars[5] > stars[3]
    assert stars[1] > 0.05 * len(reviews)
    assert all(i.record.rating is None for i in items if i.record.kind in ("mention", "ticket", "note"))


def test_six_months_up_to_now_with_data_this_week(items: list[DemoItem]) -> None:
    ages = [_ago(i) for i in items]
    assert all(0 < a <= biz.DAYS + 1 for a in ages)
    assert all(i.created_at.tzinfo is not None for i in items)
    per_month = Counter(int(a // 30) for a in ages)
    assert set(per_month) == set(range(6))
    assert min(per_month.values()) > 250
    assert sum(1 for a in ages if a < 7) > 60
    assert sum(1 for a in ages if a < 1) > 5
    assert items == sorted(items, key=lambda i: i.created_at)


def test_channel_specific_fields(items: list[DemoItem]) -> None:
    tickets = [i for i in items if i.record.kind == "ticket"]
    assert all(i.record.title and i.record.author_email for i in tickets)
    assert all(i.record.author_email.split("@")[1].startswith("example.") for i in tickets if i.record.author_email)
    assert all(i.record.title for i in items if i.record.channel == "tripadvisor")
    assert not any(i.record.title for i in items if i.record.channel in ("google", "yelp"))
    mentions = [i for i in items if i.record.kind == "mention"]
    assert all(i.record.author_handle and i.record.author_handle.startswith("@") for i in mentions)
    assert all(i.record.reach_followers is not None and i.record.reach_likes is not None for i in mentions)
    replies = [i for i in items if i.replied_at is not None]
    assert len(replies) > 200
    assert all(i.record.kind == "review" and i.created_at < i.replied_at <= NOW for i in replies)  # type: ignore[operator]
    assert all({"reviewReply", "business_owner_reply", "management_response"} & set(i.record.raw) for i in replies)
    notes = [i for i in items if i.record.kind == "note"]
    assert all(i.record.location for i in notes)
    widget = [i for i in items if i.record.kind == "feedback"]
    assert all(i.record.url and i.record.url.startswith(biz.WEBSITE) for i in widget)
    assert all(i.department is not None for i in items if i.story != "fake_burst")


def test_texts_are_varied(items: list[DemoItem]) -> None:
    texts = [i.record.text for i in items if i.story != "fake_burst"]
    counts = Counter(texts)
    repeats = sum(n - 1 for n in counts.values() if n > 1)
    assert repeats / len(texts) < 0.03  # short answers like "ok" may repeat, as in real data
    longer = Counter(t for t in texts if len(t.split()) >= 8)
    assert sum(n - 1 for n in longer.values() if n > 1) / sum(longer.values()) < 0.01
    lengths = sorted(len(t.split()) for t in texts)
    n = len(lengths)
    assert lengths[n // 20] <= 4
    assert lengths[n // 2] >= 12
    assert lengths[n * 9 // 10] >= 35
    assert lengths[n * 99 // 100] >= 60


def test_people_write_like_people(items: list[DemoItem]) -> None:
    texts = [i.record.text for i in items]
    assert sum(t == t.lower() and any(c.isalpha() for c in t) for t in texts) > 150  # all lower case
    assert sum(any(ord(c) > 0x2600 for c in t) for t in texts) > 150  # emoji
    assert sum("?" in t for t in texts) > 80  # questions to the business
    assert sum(i.sentiment == "mixed" for i in items) > 200  # praise and complaint in one item
    foreign = [t for t in texts if any(w in t.lower().split() for w in ("el", "le", "das", "der", "pero", "mais"))]
    assert len(foreign) >= 15


def test_a_burst_of_near_duplicate_five_star_reviews(items: list[DemoItem]) -> None:
    burst = [i for i in items if i.story == "fake_burst" and i.record.channel == "google"]
    assert len(burst) == 12
    assert {i.record.rating for i in burst} == {5}
    span = max(i.created_at for i in burst) - min(i.created_at for i in burst)
    assert span < timedelta(hours=4)
    assert all(i.record.raw["reviewer"]["totalReviewCount"] == 1 for i in burst)
    words = [set(i.record.text.lower().split()) for i in burst]
    overlap = min(len(a & b) / len(a | b) for a in words for b in words)
    assert overlap > 0.5  # near-identical, not copies of one another
    assert len({i.record.text for i in burst}) >= 6


def test_viral_complaints_have_big_reach(items: list[DemoItem]) -> None:
    viral = [i for i in items if i.story == "viral"]
    assert len(viral) == 2
    assert all((i.record.reach_followers or 0) > 50_000 and i.sentiment == "negative" for i in viral)
    assert min(_ago(i) for i in viral) < 7  # one of them this week
    usual = sorted(i.record.reach_followers or 0 for i in items if i.record.kind == "mention" and not i.story)
    assert usual[len(usual) // 2] < 2000
    assert sum(i.story == "pile_on" for i in items) == 10


def _share(items: list[DemoItem], pick: object) -> float:
    chosen = [i for i in items if pick(i)]  # type: ignore[operator]
    return len(chosen) / max(1, len(items))


def test_story_new_courier_makes_delivery_complaints_jump_at_northgate(items: list[DemoItem]) -> None:
    north = [i for i in items if i.record.location == "Northgate"]
    before = [i for i in north if _ago(i) > biz.PARTNER.starts_days_ago]
    after = [i for i in north if _ago(i) < biz.PARTNER.starts_days_ago]

    def complaint(i: DemoItem) -> bool:
        return ("delivery", "neg") in i.aspects

    assert _share(after, complaint) > 2.5 * _share(before, complaint)
    assert any(biz.COURIER in i.record.text for i in after)
    assert not any(biz.COURIER in i.record.text for i in items if _ago(i) > biz.PARTNER.starts_days_ago)
    others = [i for i in items if i.record.location == "Old Town" and _ago(i) < biz.PARTNER.starts_days_ago]
    assert _share(others, complaint) < _share(after, complaint) / 2


def test_story_price_rise_and_seasonal_menu(items: list[DemoItem]) -> None:
    def price(i: DemoItem) -> bool:
        return ("price", "neg") in i.aspects

    before = [i for i in items if _ago(i) > biz.PRICE_RISE.starts_days_ago]
    after = [i for i in items if _ago(i) < biz.PRICE_RISE.starts_days_ago]
    assert _share(after, price) > 1.8 * _share(before, price)
    seasonal = [i for i in items if i.story == "seasonal"]
    assert len(seasonal) > 30
    assert all(_ago(i) <= biz.SEASONAL.starts_days_ago and i.sentiment == "positive" for i in seasonal)
    assert not any("seasonal" in i.record.text.lower() for i in before)


def test_the_phrase_bank_is_large() -> None:
    counts = fragment_counts()
    for aspect in ASPECTS:
        for polarity in ("pos", "neg"):
            assert counts[f"{aspect}.{polarity}"] >= 100, (aspect, polarity)  # distinct clauses, at least
    assert sum(counts.values()) > 10_000


def test_no_items_is_an_error() -> None:
    with pytest.raises(ValueError, match="at least one"):
        generate(NOW, items=0)


def test_the_story_guide_matches_the_data(items: list[DemoItem]) -> None:
    guide = {label: day for day, label in biz.story_guide(NOW)}
    burst_days = {i.created_at.date() for i in items if i.story == "fake_burst" and i.record.channel == "google"}
    assert burst_days == {guide["A burst of 12 near-identical 5-star reviews on Google for Station Square"]}
    viral = min((i for i in items if i.story == "viral"), key=_ago)
    assert viral.created_at.date() == guide["A food-safety complaint from a big account goes viral"]
    first_courier = min(i.created_at for i in items if biz.COURIER in i.record.text and i.story == "partner")
    assert first_courier.date() >= guide[biz.PARTNER.label]
    assert all(day <= NOW.date() for day in guide.values())
