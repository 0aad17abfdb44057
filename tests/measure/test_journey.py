"""The journey map: items placed through their aspects, measures per stage and touchpoint, editing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from tests.measure.hotels import dated_series, read_reviews
from tests.measure.insight_store import make_source, store_rows
from voxpop.accounts.users import create_user
from voxpop.act.departments import create_department
from voxpop.errors import PermissionDeniedError, ValidationError
from voxpop.measure.journey import DEFAULT_MAP, check_map, dump_map, journey_view, load_map, parse_map, place, save_map
from voxpop.measure.observations import Mention, Observation
from voxpop.measure.rollups import ensure_fresh
from voxpop.store import Store
from voxpop.store.models import Item

SMALL_MAP = {
    "stages": [
        {"name": "buy", "touchpoints": [{"name": "price", "aspects": ["price"]}]},
        {
            "name": "use",
            "touchpoints": [
                {"name": "room", "aspects": ["room", "cleanliness"]},
                {"name": "people", "aspects": ["staff"]},
            ],
        },
    ]
}


def _row(i: int, sentiment: str, *mentions: Mention) -> Observation:
    return Observation(
        id=i, created_at=datetime(2025, 1, 1, tzinfo=UTC), sentiment=sentiment, score=0.0, mentions=mentions
    )


def test_items_are_placed_through_their_aspects() -> None:
    rows = [
        _row(
            1,
            "negative",
            Mention("cleanliness", "negative", -0.8, "the sheets were stained"),
            Mention("staff", "positive", 0.9, "lovely staff"),
        ),
        _row(2, "negative", Mention("room", "negative", -0.6, "tiny room"), Mention("cleanliness", "negative", -0.4)),
        _row(3, "positive", Mention("price", "positive", 0.5, "good value")),
        _row(4, "neutral", Mention("parking", "negative", -0.5, "no parking")),
        _row(5, "neutral"),
    ]
    view = place(rows, SMALL_MAP)
    buy, use = view.stages
    room, people = use.touchpoints
    assert (room.items, room.mentions, room.negative) == (2, 3, 3)
    assert room.friction == 1.0
    assert room.sentiment == pytest.approx((-0.8 - 0.6 - 0.4) / 3)
    assert room.top_issues() == [("cleanliness", 2), ("room", 1)]
    assert [q.text for q in room.quotes] == ["the sheets were stained", "tiny room"]
    assert (people.items, people.friction) == (1, 0.0)
    assert (use.stage.items, use.stage.mentions, use.stage.negative) == (2, 4, 3)
    assert use.stage.friction == pytest.approx(0.75)
    assert (buy.stage.items, buy.stage.friction) == (1, 0.0)
    assert view.unplaced == 2
    assert view.unmapped_aspects == [("parking", 1)]


@pytest.mark.parametrize(
    ("definition", "message"),
    [
        ({"stages": "buy"}, "list of 'stages'"),
        ({"stages": []}, "1 to"),
        ({"stages": [{"name": "", "touchpoints": [{"name": "x", "aspects": []}]}]}, "stage 1: needs a name"),
        ({"stages": [{"name": "buy", "touchpoints": []}]}, "stage 'buy': 1 to"),
        ({"stages": [{"name": "buy", "touchpoints": [{"name": "p", "aspects": "price"}]}]}, "list of aspect names"),
        (
            {
                "stages": [
                    {
                        "name": "a",
                        "touchpoints": [{"name": "p", "aspects": ["price"]}, {"name": "q", "aspects": ["price"]}],
                    }
                ]
            },
            "aspect 'price' is on two touchpoints ('p' and 'q')",
        ),
    ],
)
def test_a_bad_map_is_refused_with_where(definition: object, message: str) -> None:
    with pytest.raises(ValidationError) as error:
        check_map(definition)
    assert message in str(error.value)


def test_the_default_map_is_valid_and_round_trips_as_yaml() -> None:
    assert check_map(DEFAULT_MAP) == DEFAULT_MAP
    assert parse_map(dump_map(DEFAULT_MAP)) == DEFAULT_MAP
    assert [s["name"] for s in DEFAULT_MAP["stages"]] == [
        "discover",
        "buy",
        "receive",
        "use",
        "get help",
        "renew or leave",
    ]
    with pytest.raises(ValidationError, match="not valid YAML"):
        parse_map("stages: [unclosed")


def test_map_is_edited_by_managers_and_used_on_real_reviews(store: Store, shared_data: Path) -> None:
    rows = dated_series(read_reviews(shared_data), date(2016, 1, 1), date(2016, 3, 31))
    store_rows(store, rows, make_source(store))
    with store.write() as s:
        agent = create_user(s, email="a@example.com", password="correct horse battery", role="agent")
        manager = create_user(s, email="m@example.com", password="correct horse battery", role="manager")
        assert load_map(s) == DEFAULT_MAP
        with pytest.raises(PermissionDeniedError):
            save_map(s, agent, SMALL_MAP)
        save_map(s, manager, SMALL_MAP)
    with store.read() as s:
        assert load_map(s) == SMALL_MAP
        view = journey_view(s, None, start=date(2016, 1, 1), end=date(2016, 3, 31))
    assert view.items == len(rows)
    use = view.stages[1]
    expected = sum(1 for r in rows if {"room", "cleanliness", "staff"} & set(r.aspects))
    assert use.stage.items == expected > 0
    negatives = sum(1 for r in rows for a in r.aspects if a in ("room", "cleanliness") and r.is_negative)
    assert use.touchpoints[0].negative == negatives


def _measures(view: object) -> list[tuple[object, ...]]:
    return [
        (p.name, p.mentions, p.negative, p.positive, p.analysed, p.friction, p.net, p.top_issues())
        for stage in view.stages  # type: ignore[attr-defined]
        for p in (stage.stage, *stage.touchpoints)
    ]


def test_the_map_from_the_rollups_equals_the_one_from_the_items(store: Store, shared_data: Path) -> None:
    """On real reviews (one mention per aspect, each with a sentiment) the aspect cells give the items'
    mentions, friction, net sentiment and top issues per stage and touchpoint, in the whole store and
    at one hotel."""
    rows = dated_series(read_reviews(shared_data), date(2016, 1, 1), date(2016, 3, 31))
    store_rows(store, rows, make_source(store))
    with store.read() as s:  # days wait for the roll-ups: the items answer
        assert journey_view(s, None).source == "items"
    ensure_fresh(store, max_days=None)
    hotel = max({r.location for r in rows}, key=lambda h: sum(r.location == h for r in rows))
    with store.read() as s:
        for location in (None, hotel):
            cells = journey_view(s, None, start=date(2016, 1, 1), end=date(2016, 3, 31), location=location)
            items = journey_view(
                s, None, start=date(2016, 1, 1), end=date(2016, 3, 31), location=location, rollups=False
            )
            assert cells.source == "rollups"
            assert items.source == "items"
            assert cells.items == items.items == sum(location in (None, r.location) for r in rows)
            assert _measures(cells) == _measures(items)
            assert cells.unmapped_aspects == items.unmapped_aspects
            assert sum(p.mentions for st in cells.stages for p in st.touchpoints) > 100
        whole = journey_view(s, None)  # no period: the first to the last day with items
    assert (whole.start, whole.end) == (min(r.day for r in rows), max(r.day for r in rows))
    assert whole.stages[3].touchpoints[1].items is None  # the cells count mentions, not distinct items


def _item(day: int, sentiment: str, *aspects: tuple[str, str, str], **extra: object) -> Item:
    return Item(
        source_id=extra.pop("source_id"),
        dedup_key=f"q:{day}:{sentiment}:{aspects}:{extra.get('status', '')}",
        channel="google",
        kind="review",
        status=extra.pop("status", "new"),
        priority=0,
        raw={},
        text="x",
        created_at=datetime(2025, 3, 1, 12, tzinfo=UTC) + timedelta(days=day),
        sentiment=sentiment,
        aspects=[{"name": n, "sentiment": lab, "clause": c} for n, lab, c in aspects],
        **extra,
    )


def test_quotes_are_the_newest_negative_clauses_the_viewer_may_see(store: Store) -> None:
    ours, rival = make_source(store), make_source(store, "Rival", competitor="Rival")
    with store.write() as s:
        front = create_department(s, name="Front desk")
        back = create_department(s, name="Back office")
        agent = create_user(
            s, email="a@example.com", password="correct horse battery", role="agent", department_ids=[back.id]
        )
        s.add_all(
            [
                _item(0, "negative", ("staff", "negative", "rude at the desk"), source_id=ours, department_id=front.id),
                _item(1, "positive", ("staff", "positive", "lovely staff"), source_id=ours, department_id=back.id),
                _item(
                    2,
                    "positive",
                    ("room", "negative", "the room was tiny"),
                    ("staff", "positive", "kind people"),
                    source_id=ours,
                    department_id=back.id,
                    location="York",
                ),
                _item(3, "negative", ("staff", "negative", "nobody answered"), source_id=ours, department_id=back.id),
                _item(4, "negative", ("staff", "negative", "their staff is awful"), source_id=rival),
                _item(5, "negative", ("staff", "negative", "buy cheap pills"), source_id=ours, status="spam"),
                _item(6, "negative", ("staff", "negative", ""), source_id=ours, department_id=front.id),
            ]
        )
    ensure_fresh(store, max_days=None)
    with store.write() as s:
        save_map(s, None, SMALL_MAP)
    with store.read() as s:
        view = journey_view(s, None)
        scoped = journey_view(s, s.merge(agent))
        york = journey_view(s, None, location="York")
    room, people = view.stages[1].touchpoints
    assert [q.text for q in people.quotes] == ["nobody answered", "rude at the desk"]  # newest first
    assert (people.mentions, people.negative, people.positive) == (5, 3, 2)  # no rival, no spam
    assert [q.text for q in room.quotes] == ["the room was tiny"]  # a negative clause of a positive item
    assert [q.text for q in view.stages[1].stage.quotes] == ["nobody answered", "the room was tiny", "rude at the desk"]
    assert view.items == 5
    scoped_people = scoped.stages[1].touchpoints[1]
    assert [q.text for q in scoped_people.quotes] == ["nobody answered"]
    assert (scoped.items, scoped_people.mentions, scoped_people.negative) == (3, 3, 1)
    assert [q.text for q in york.stages[1].touchpoints[0].quotes] == ["the room was tiny"]
    assert york.stages[1].touchpoints[1].quotes == []  # York's staff mention is positive
    assert york.items == 1
