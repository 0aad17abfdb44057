"""parse_timestamp: the formats exports use, all turned into UTC."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from voxpop.ingest.timestamp import parse_timestamp

WHEN = datetime(2015, 2, 24, 19, 35, 52, tzinfo=UTC)


@pytest.mark.parametrize(
    "text",
    [
        "2015-02-24T19:35:52Z",
        "2015-02-24T19:35:52+00:00",
        "2015-02-24 11:35:52 -0800",
        "2015-02-24 11:35:52 -08:00",
        "2015-02-24T11:35:52-0800",
        "2015-02-24 19:35:52",  # naive → UTC
        "Tue, 24 Feb 2015 11:35:52 -0800",
        "Tue Feb 24 19:35:52 +0000 2015",
        "1424806552",
        "1424806552000",
        "1424806552.0",
    ],
)
def test_accepted_forms(text: str) -> None:
    assert parse_timestamp(text) == WHEN


def test_numbers_and_dates() -> None:
    assert parse_timestamp(1424806552) == WHEN
    assert parse_timestamp(1424806552000) == WHEN
    assert parse_timestamp("2013-09-22") == datetime(2013, 9, 22, tzinfo=UTC)
    naive = datetime(2015, 2, 24, 19, 35, 52)
    assert parse_timestamp(naive) == WHEN


@pytest.mark.parametrize("text", ["", "yesterday", "24/02/2015 banana", "99999999999999999999999"])
def test_rejected_forms_say_what_is_accepted(text: str) -> None:
    with pytest.raises(ValueError, match=r"is empty|ISO 8601|out of range"):
        parse_timestamp(text)


@given(st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)))
def test_iso_round_trip(value: datetime) -> None:
    assert parse_timestamp(value.isoformat()) == value


@given(st.text(max_size=40))
def test_never_crashes_on_junk(text: str) -> None:
    try:
        result = parse_timestamp(text)
    except ValueError:
        return
    assert result.tzinfo is not None
