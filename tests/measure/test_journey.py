"""The journey map: items placed through their aspects, measures per stage and touchpoint, editing."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from tests.measure.hotels import dated_series, read_reviews
from tests.measure.insight_store import make_source, store_rows
from voxpop.accounts.users import create_user
from voxpop.errors import PermissionDeniedError, ValidationError
from voxpop.measure.journey import DEFAULT_MAP, check_map, dump_map, journey_view, load_map, parse_map, place, save_map
from voxpop.measure.observations import Mention, Observation
from voxpop.store import Store

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
