"""Every platform format: detected from its fixture, and every mapped field read as the platform meant it.

The fixtures are built from each platform's published documentation of its format (see the README beside
each one). Instants are checked in UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from voxpop.ingest.connectors.detect import detect_format
from voxpop.ingest.connectors.registry import RowError
from voxpop.ingest.records import ItemRecord

FIXTURES = Path(__file__).parent / "fixtures"
MAPPED = (
    "text",
    "title",
    "created_at",
    "edited_at",
    "external_id",
    "platform_key",
    "kind",
    "channel",
    "url",
    "author_name",
    "author_handle",
    "author_email",
    "rating",
    "rating_min",
    "rating_max",
    "language",
    "location",
    "product",
    "reach_followers",
    "reach_likes",
    "reach_shares",
    "reply_text",
    "replied_at",
)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def review(**fields: Any) -> dict[str, Any]:
    """The expected record: every mapped field, None unless given."""
    return {name: fields.get(name) for name in MAPPED} | {"kind": fields.get("kind", "review")}


EXPECTED: dict[str, tuple[str, list[dict[str, Any]]]] = {
    "google_business/reviews.json": (
        "google_business",
        [
            review(
                text="Great coffee, but the queue at 9am was long.",
                created_at=datetime(2024, 3, 1, 8, 15, 30, 123456, tzinfo=UTC),
                edited_at=utc(2024, 3, 2, 10, 0),
                external_id="AbFvOqnY7Q",
                platform_key="google:AbFvOqnY7Q",
                channel="google",
                author_name="Ana Souza",
                rating=4,
                rating_min=1,
                rating_max=5,
                location="accounts/104598/locations/5521",
                reply_text="Thanks Ana! We added a second barista in the mornings.",
                replied_at=utc(2024, 3, 2, 12, 30),
            ),
            review(
                text="(1-star rating without text)",
                created_at=utc(2024, 3, 5, 19, 0),
                external_id="AbFvOqnZ8R",
                platform_key="google:AbFvOqnZ8R",
                channel="google",
                rating=1,
                rating_min=1,
                rating_max=5,
                location="accounts/104598/locations/5521",
            ),
        ],
    ),
    "google_play/reviews_com.example.shop_202403.csv": (
        "google_play",
        [
            review(
                text="Die App stürzt beim Bezahlen ab.",
                created_at=utc(2024, 3, 1, 10, 15, 30),
                edited_at=utc(2024, 3, 3, 8, 0),
                external_id="com.example.shop:1709288130000",
                platform_key="google_play:com.example.shop:1709288130000",
                channel="google_play",
                url="http://play.google.com/console/developers/12345/app/6789/user-feedback/review-details"
                "?reviewId=gp:AOqpTOH1x&corpus=PUBLIC_REVIEWS",
                rating=2,
                rating_min=1,
                rating_max=5,
                language="de",
                product="com.example.shop 4.1.2",
                reply_text="Danke! Version 4.1.3 behebt den Absturz.",
                replied_at=utc(2024, 3, 3, 9, 30),
            ),
            review(
                text="Love it",
                created_at=utc(2024, 3, 4, 22, 0),
                external_id="com.example.shop:1709589600000",
                platform_key="google_play:com.example.shop:1709589600000",
                channel="google_play",
                rating=5,
                rating_min=1,
                rating_max=5,
                language="en",
                product="com.example.shop 4.1.0",
            ),
        ],
    ),
    "trustpilot/reviews.json": (
        "trustpilot",
        [
            review(
                text="The parcel arrived a week late and nobody answered my emails.",
                title="Late delivery",
                created_at=utc(2024, 4, 28, 10, 15),
                edited_at=utc(2024, 4, 29, 8, 0),
                external_id="65f1c0de8a1b2c3d4e5f6071",
                platform_key="trustpilot:65f1c0de8a1b2c3d4e5f6071",
                channel="trustpilot",
                url="https://www.trustpilot.com/reviews/65f1c0de8a1b2c3d4e5f6071",
                author_name="John D.",
                author_handle="5e3de1b45fb06f0001790b50",
                rating=2,
                rating_min=1,
                rating_max=5,
                language="en",
                reply_text="We are sorry, John. We have refunded the shipping.",
                replied_at=utc(2024, 4, 29, 9, 5),
            ),
            review(
                text="Fast and friendly.",
                title="Excellent",
                created_at=utc(2024, 5, 1, 5, 0),  # 07:00+02:00
                external_id="65f1c0de8a1b2c3d4e5f6072",
                platform_key="trustpilot:65f1c0de8a1b2c3d4e5f6072",
                channel="trustpilot",
                author_name="Mia",
                author_handle="5e3de1b45fb06f0001790b59",
                rating=5,
                rating_min=1,
                rating_max=5,
                language="en",
            ),
        ],
    ),
}


def _fields(record: ItemRecord) -> dict[str, Any]:
    return {name: getattr(record, name) for name in MAPPED}


@pytest.mark.parametrize("fixture", sorted(EXPECTED))
def test_each_format_is_detected_and_maps_every_field(fixture: str) -> None:
    name, expected = EXPECTED[fixture]
    path = FIXTURES / fixture
    fmt = detect_format(path)
    assert fmt is not None, f"{fixture} was not recognised"
    assert fmt.name == name
    records = list(fmt.read(path))
    assert not [r for r in records if isinstance(r, RowError)]
    got = [_fields(r) for r in records if isinstance(r, ItemRecord)]
    assert got == expected
    for record in records:
        assert isinstance(record, ItemRecord)
        assert record.raw, "the source record is kept"
        for moment in (record.created_at, record.edited_at, record.replied_at):
            assert moment is None or moment.utcoffset() == UTC.utcoffset(None)
