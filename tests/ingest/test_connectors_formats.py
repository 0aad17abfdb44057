"""Every platform format: detected from its fixture, and every mapped field read as the platform meant it.

The fixtures are built from each platform's published documentation of its format (see the README beside
each one). Instants are checked in UTC.
"""

from __future__ import annotations

import json
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
                text="",  # a rating without text: no invented text
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
    "yelp/reviews.json": (
        "yelp",
        [
            review(
                text="Went back again to this place since the last time i visited the bay area 5 months ago, "
                "and nothing has changed...",
                created_at=utc(2016, 8, 29, 7, 41, 13),  # 00:41:13 Pacific (daylight time)
                external_id="xAG4O7l-t1ubbwVAlPnDKg",
                platform_key="yelp:xAG4O7l-t1ubbwVAlPnDKg",
                channel="yelp",
                url="https://www.yelp.com/biz/example-cafe-san-francisco?adjust_creative=x&hrid=xAG4O7l-t1ubbwVAlPnDKg",
                author_name="Ella A.",
                author_handle="W8UK02IDdRS2GL_66fuq6w",
                rating=5,
                rating_min=1,
                rating_max=5,
            ),
            review(
                text="Pretty good but pricey.",
                created_at=utc(2016, 1, 15, 22, 2),  # 14:02 Pacific (standard time)
                external_id="1JNmYjJgpR9z0Jx7dqjNAw",
                platform_key="yelp:1JNmYjJgpR9z0Jx7dqjNAw",
                channel="yelp",
                url="https://www.yelp.com/biz/example-cafe-san-francisco?hrid=1JNmYjJgpR9z0Jx7dqjNAw",
                author_name="Tom B.",
                author_handle="Cvw8Kq7-aVS3n5IJc0zgYg",
                rating=3,
                rating_min=1,
                rating_max=5,
            ),
        ],
    ),
    "tripadvisor/reviews.json": (
        "tripadvisor",
        [
            review(
                text="Lovely rooms, slow check-in.",
                title="Nice stay",
                created_at=utc(2024, 4, 10, 10, 15),
                external_id="987654321",
                platform_key="tripadvisor:987654321",
                channel="tripadvisor",
                url="https://www.tripadvisor.com/ShowUserReviews-g187147-d188151-r987654321.html",
                author_name="TravellerMarie",
                rating=4,
                rating_min=1,
                rating_max=5,
                language="en",
                location="188151",
                reach_likes=24,
                reply_text="Thank you, we are adding staff at the desk.",
                replied_at=utc(2024, 4, 12, 8, 0),
            )
        ],
    ),
    "facebook/ratings.json": (
        "facebook",
        [
            review(
                text="Waited 40 minutes for a table we had booked.",
                created_at=utc(2024, 2, 11, 17, 32, 10),
                external_id="1543276545872631",
                platform_key="facebook:1543276545872631",
                channel="facebook",
                author_name="Lena K.",
                author_handle="10223344556677",
                rating=0,
                rating_min=0,
                rating_max=1,
            ),
            review(
                text="",  # a recommendation without text: no invented text
                created_at=utc(2024, 2, 12, 8, 0),  # 09:00+0100
                external_id="1543276545872632",
                platform_key="facebook:1543276545872632",
                channel="facebook",
                rating=1,
                rating_min=0,
                rating_max=1,
            ),
        ],
    ),
    "app_store/customerReviews.json": (
        "app_store",
        [
            review(
                text="It crashes when I open the camera.",
                title="Crashes",
                created_at=utc(2017, 11, 15, 16, 10, 34),  # 08:10:34-08:00
                external_id="00000028-b08c-0014-729e-fbd500000000",
                platform_key="app_store_connect:00000028-b08c-0014-729e-fbd500000000",
                channel="app_store",
                author_name="Anne Johnson",
                rating=2,
                rating_min=1,
                rating_max=5,
                location="USA",
                reply_text="Thanks Anne, version 2.3 fixes the camera crash.",
                replied_at=utc(2017, 11, 16, 18, 0),
            ),
            review(
                text="I love how creative I can be.",
                title="Pretty Stellar",
                created_at=utc(2024, 1, 2, 18, 19, 36),
                external_id="00000028-b08c-0014-9674-c54800000000",
                platform_key="app_store_connect:00000028-b08c-0014-9674-c54800000000",
                channel="app_store",
                author_name="Juan Chavez",
                rating=5,
                rating_min=1,
                rating_max=5,
                location="MEX",
            ),
        ],
    ),
    "reddit/search.json": (
        "reddit",
        [
            review(
                kind="mention",
                text="Ordered on Monday, cancelled without notice today.",
                title="Anyone else had their order cancelled by ExampleShop?",
                created_at=utc(2024, 3, 1, 11, 0),
                external_id="t3_1b2c3d",
                platform_key="reddit:t3_1b2c3d",
                channel="reddit",
                url="https://www.reddit.com/r/ecommerce/comments/1b2c3d/anyone_else/",
                author_name="throwaway_42",
                author_handle="u/throwaway_42",
                location="r/ecommerce",
                reach_likes=57,
            ),
            review(
                kind="mention",
                text="ExampleShop delivery was fast",
                created_at=utc(2024, 3, 1, 12, 0),
                external_id="t3_1b2c3e",
                platform_key="reddit:t3_1b2c3e",
                channel="reddit",
                url="https://www.reddit.com/r/ecommerce/comments/1b2c3e/fast/",
                location="r/ecommerce",
            ),
        ],
    ),
    "twitter_archive/tweets.js": (
        "twitter_archive",
        [
            review(
                kind="mention",
                text="Our new store opens on Saturday! 🎉",
                created_at=utc(2018, 10, 10, 20, 19, 24),
                external_id="1049444166565683200",
                platform_key="twitter:1049444166565683200",
                channel="twitter",
                url="https://x.com/i/web/status/1049444166565683200",
                language="en",
                reach_likes=3,
                reach_shares=1,
            )
        ],
    ),
    "zendesk/tickets.json": (
        "zendesk",
        [
            review(
                kind="ticket",
                text="The fire is very colorful.",
                title="Help, my printer is on fire!",
                created_at=utc(2024, 7, 20, 22, 55, 29),
                edited_at=utc(2024, 7, 21, 9, 10),
                external_id="35436",
                platform_key="zendesk:example.zendesk.com:35436",
                channel="support",
                url="https://example.zendesk.com/agent/tickets/35436",
                author_handle="zendesk:20978392",
                rating=0,
                rating_min=0,
                rating_max=1,
            ),
            review(
                kind="ticket",
                text="Can I get a copy of invoice 2024-117?",
                title="Invoice copy",
                created_at=utc(2024, 7, 22, 10, 0),
                external_id="35437",
                platform_key="zendesk:example.zendesk.com:35437",
                channel="support",
                url="https://example.zendesk.com/agent/tickets/35437",
                author_handle="zendesk:20978393",
            ),
        ],
    ),
    "freshdesk/tickets.json": (
        "freshdesk",
        [
            review(
                kind="ticket",
                text="I returned the shoes two weeks ago & still no refund.",
                title="Refund not received",
                created_at=utc(2024, 5, 31, 9, 12),
                external_id="20",
                platform_key="freshdesk:20",
                channel="support",
                author_name="Rachel Doe",
                author_email="Rachel@Example.org",
                author_handle="freshdesk:1000123",
            )
        ],
    ),
    "intercom/conversations.json": (
        "intercom",
        [
            review(
                kind="ticket",
                text="Hi, the export button does nothing <anymore>.\nThanks",
                created_at=utc(2022, 9, 19, 14, 20, 23),
                edited_at=utc(2022, 9, 19, 14, 21, 0),
                external_id="147",
                platform_key="intercom:147",
                channel="chat",
                url="https://app.example.com/reports",
                author_name="Joe Bloggs",
                author_email="joe@example.com",
                author_handle="intercom:5017690b2d3d4fa8",
                rating=4,
                rating_min=1,
                rating_max=5,
                reply_text="Fixed in today's release, sorry!",
                replied_at=utc(2022, 9, 19, 14, 20, 50),
            )
        ],
    ),
    "typeform/responses.json": (
        "typeform",
        [
            review(
                kind="survey",
                text="Support never called back.",
                created_at=utc(2024, 5, 14, 13, 1, 47),
                external_id="21085286190ffad1248d17c4135ee56f",
                platform_key="typeform:21085286190ffad1248d17c4135ee56f",
                channel="survey",
                author_email="kim@example.org",
                rating=3,
                rating_min=0,
                rating_max=10,
            )
        ],  # the second response holds only a multiple-choice answer: nothing to store
    ),
    "surveymonkey/responses_bulk.json": (
        "surveymonkey",
        [
            review(
                kind="survey",
                text="The checkout kept timing out.\nFaster support, please.",
                created_at=utc(2024, 9, 30, 12, 1, 16),  # 14:01:16+02:00
                edited_at=utc(2024, 9, 30, 12, 5, 0),
                external_id="5007154325",
                platform_key="surveymonkey:5007154325",
                channel="survey",
                url="https://www.surveymonkey.com/analyze/browse/x?respondent_id=5007154325",
                author_name="Sam Lee",
                author_email="sam.lee@example.org",
            )
        ],  # the partial response holds only a choice: nothing to store
    ),
    "qualtrics/qualtrics_export.csv": (
        "qualtrics",
        [
            review(
                kind="survey",
                text="Friendly staff and quick checkout.",
                created_at=utc(2024, 6, 1, 16, 2, 12),  # 10:02:12 America/Denver
                external_id="R_1pS6K2aLy4o8Yz4",
                platform_key="qualtrics:R_1pS6K2aLy4o8Yz4",
                channel="survey",
                author_name="Kim Ng",
                author_email="kim.ng@example.org",
                rating=9,
                rating_min=0,
                rating_max=10,
                language="en",
            ),
            review(
                kind="survey",
                text="",  # a score without a comment: no invented text
                created_at=utc(2024, 6, 2, 23, 1, 5),
                external_id="R_2qT7L3bMz5p9Za5",
                platform_key="qualtrics:R_2qT7L3bMz5p9Za5",
                channel="survey",
                rating=4,
                rating_min=0,
                rating_max=10,
                language="en",
            ),
        ],
    ),
    "trustpilot_csv/trustpilot_reviews_2024-06.csv": (
        "trustpilot_csv",
        [
            review(
                text="The mug was in pieces, and nobody answered my e-mail for a week.",
                title="Parcel arrived broken",
                created_at=utc(2024, 6, 3, 9, 12, 44),
                external_id="665d8a3c1f0e2b7d94c1a001",
                platform_key="trustpilot:665d8a3c1f0e2b7d94c1a001",  # the API's id: one item either way
                channel="trustpilot",
                author_name="Priya Shah",
                author_email="priya.shah@example.org",
                rating=2,
                rating_min=1,
                rating_max=5,
                language="en",
                reply_text="We're sorry, Priya — a replacement is on its way.",
                replied_at=utc(2024, 6, 4, 15, 30),
            ),
            review(
                text="",  # a rating without text: no invented text
                created_at=utc(2024, 6, 5, 18, 40, 2),
                external_id="665fb1c2aa03de11f0b2c002",
                platform_key="trustpilot:665fb1c2aa03de11f0b2c002",
                channel="trustpilot",
                author_name="Lars Jensen",
                rating=5,
                rating_min=1,
                rating_max=5,
                language="da",
            ),
        ],
    ),
    "zendesk_csv/zendesk_tickets.csv": (
        "zendesk_csv",
        [
            review(
                kind="ticket",
                text="Refund still not received after 3 weeks",
                created_at=utc(2024, 5, 2, 7, 14, 3),  # 09:14:03 +02:00
                edited_at=utc(2024, 5, 3, 14, 0),
                external_id="4711",
                platform_key="zendesk:zendesk:4711",
                channel="support",
                author_name="Maria Keller",
                author_email="maria.keller@example.de",
                author_handle="zendesk:381920011",
                rating=0.0,  # CSAT Bad
                rating_min=0,
                rating_max=1,
            ),
            review(
                kind="ticket",
                text="How do I change my delivery address?",
                created_at=utc(2024, 5, 4, 11, 0),
                external_id="4712",
                platform_key="zendesk:zendesk:4712",
                channel="support",
                author_name="Jon Park",
                author_email="jon@example.com",
                author_handle="zendesk:381920044",
            ),
        ],
    ),
    "freshdesk_csv/freshdesk_tickets.csv": (
        "freshdesk_csv",
        [
            review(
                kind="ticket",
                text="Every time I log in the app sends me back to the login screen.\niPhone 15, iOS 17.4",
                title="Login loop on the mobile app",
                created_at=utc(2024, 4, 8, 7, 45, 10),
                edited_at=utc(2024, 4, 8, 12, 5),
                external_id="1032",
                platform_key="freshdesk:1032",
                channel="support",
                author_name="Chen Wei",
                author_email="chen.wei@example.net",
                author_handle="freshdesk:103000012345",
            ),
            review(
                kind="ticket",
                text="Invoice copy",
                title="Invoice copy",
                created_at=utc(2024, 4, 9, 10, 0),
                external_id="1033",
                platform_key="freshdesk:1033",
                channel="support",
                author_name="Sara Lind",
                author_email="sara@example.se",
                author_handle="freshdesk:103000012399",
            ),
        ],
    ),
    "surveymonkey_export/Data_All_241001.csv": (
        "surveymonkey_export",
        [
            review(
                kind="survey",
                text="The checkout kept timing out.",
                created_at=utc(2024, 9, 30, 14, 1, 16),
                edited_at=utc(2024, 9, 30, 14, 5, 0),
                external_id="114318775623",
                platform_key="surveymonkey:114318775623",  # the API's response id
                channel="survey",
                author_name="Sam Lee",
                author_email="sam.lee@example.org",
                rating=3.0,  # the would-you-recommend answer, on its 0-10 scale
                rating_min=0,
                rating_max=10,
            ),
            review(
                kind="survey",
                text="",  # a score and a choice, nothing written: kept for the NPS
                created_at=utc(2024, 10, 1, 9, 15),
                edited_at=utc(2024, 10, 1, 9, 16, 30),
                external_id="114318779901",
                platform_key="surveymonkey:114318779901",
                channel="survey",
                rating=9.0,
                rating_min=0,
                rating_max=10,
            ),
            review(
                kind="survey",
                text="Faster replies, please.\nTwitter DM, nobody answered",  # open-ended + "Other (please specify)"
                created_at=utc(2024, 10, 1, 23, 0),
                edited_at=utc(2024, 10, 1, 23, 3, 10),
                external_id="114318781002",
                platform_key="surveymonkey:114318781002",
                channel="survey",
                rating=6.0,
                rating_min=0,
                rating_max=10,
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


def test_every_registered_file_format_has_a_fixture_here() -> None:
    from voxpop.ingest.connectors.detect import file_formats

    assert {f.name for f in file_formats()} >= {name for name, _ in EXPECTED.values()}
    built_in = {f.name for f in file_formats() if type(f).__module__.startswith("voxpop.ingest.connectors.")}
    assert built_in == {name for name, _ in EXPECTED.values()}


def test_surveymonkey_xlsx_export_reads_as_its_csv(tmp_path: Path) -> None:
    """The XLSX form of the export (dates as cells, ids as numbers) is detected and maps as the CSV does."""
    import csv

    from openpyxl import Workbook

    source = FIXTURES / "surveymonkey_export" / "Data_All_241001.csv"
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Sheet")
    for number, row in enumerate(csv.reader(source.open(encoding="utf-8", newline=""))):
        cells: list[Any] = [value or None for value in row]
        if number >= 2:
            cells[0] = int(row[0])  # Excel keeps the ids as numbers
            cells[2] = datetime.strptime(row[2], "%m/%d/%Y %I:%M:%S %p")  # and dates as date cells
        sheet.append(cells)
    path = tmp_path / "Data_All_241001.xlsx"
    book.save(path)
    fmt = detect_format(path)
    assert fmt is not None
    assert fmt.name == "surveymonkey_export"
    got = [_fields(r) for r in fmt.read(path) if isinstance(r, ItemRecord)]
    assert got == EXPECTED["surveymonkey_export/Data_All_241001.csv"][1]


@pytest.mark.parametrize(
    ("fixture", "line", "bad", "field"),
    [
        ("trustpilot_csv/trustpilot_reviews_2024-06.csv", 1, (",2,Invitation,", ",six,Invitation,"), "Review Stars"),
        ("zendesk_csv/zendesk_tickets.csv", 1, ("2024-05-02 09:14:03 +0200", "yesterday"), "Created at"),
        ("freshdesk_csv/freshdesk_tickets.csv", 2, ("1033,", ","), "Ticket ID"),
        ("surveymonkey_export/Data_All_241001.csv", 1, ("09/30/2024 02:01:16 PM", "30.09.2024 14:01"), "Start Date"),
        (
            "surveymonkey_export/Data_All_241001.csv",
            2,
            (",,,,,9,", ",,,,,11,"),
            "How likely is it that you would recommend us to a friend? | Response",
        ),
    ],
)
def test_a_bad_row_of_a_csv_export_is_named_by_row_and_field(
    tmp_path: Path, fixture: str, line: int, bad: tuple[str, str], field: str
) -> None:
    source = FIXTURES / fixture
    lines = source.read_text(encoding="utf-8").splitlines(keepends=True)
    heading_rows = 2 if fixture.startswith("surveymonkey") else 1
    target = heading_rows + line - 1
    assert bad[0] in lines[target]
    lines[target] = lines[target].replace(bad[0], bad[1], 1)
    path = tmp_path / source.name
    path.write_text("".join(lines), encoding="utf-8")
    fmt = detect_format(path)
    assert fmt is not None
    results = list(fmt.read(path))
    errors = [r for r in results if isinstance(r, RowError)]
    assert [(e.row, e.field) for e in errors] == [(line, field)]
    assert len([r for r in results if isinstance(r, ItemRecord)]) == len(EXPECTED[fixture][1]) - 1


def _read_damaged(tmp_path: Path, source: Path, document: Any) -> list[Any]:
    """What the format detected for ``source`` reads from ``document`` (a damaged copy of it)."""
    path = tmp_path / source.name
    path.write_text(json.dumps(document), encoding="utf-8")
    fmt = detect_format(path)
    assert fmt is not None
    return list(fmt.read(path))


@pytest.mark.parametrize(
    ("fixture", "key", "field"),
    [
        ("facebook/ratings.json", "data", "open_graph_story"),
        ("google_business/reviews.json", "reviews", "reviewer"),
    ],
)
def test_a_nested_object_that_is_not_one_is_named_by_row_and_field(
    tmp_path: Path, fixture: str, key: str, field: str
) -> None:
    # A damaged export (found by the property test) put a string where the record holds an object: the row
    # is rejected by its field, not a crash on the first lookup inside it.
    source = FIXTURES / fixture
    document = json.loads(source.read_text(encoding="utf-8"))
    document[key][0][field] = "1543276545872631"
    results = _read_damaged(tmp_path, source, document)
    errors = [r for r in results if isinstance(r, RowError)]
    assert [(e.row, e.field) for e in errors] == [(1, field)]
    assert len([r for r in results if isinstance(r, ItemRecord)]) == len(EXPECTED[fixture][1]) - 1


@pytest.mark.parametrize(
    ("damage", "field"),
    [
        (("data", 0, "relationships", "response"), "relationships.response"),
        (("data", 0, "relationships", "response", "data"), "relationships.response.data"),
        (("included", 0, "attributes"), "included[id=6a8c7b1e-0000-0000-0000-000000000001].attributes"),
    ],
    ids=["response", "response-data", "included-attributes"],
)
def test_a_damaged_app_store_link_is_named_by_row_and_path(
    tmp_path: Path, damage: tuple[str | int, ...], field: str
) -> None:
    # Inside the App Store export's list items: a string where the review's link to its response, or the
    # linked response's attributes, should be an object. The review is rejected by that path, not a crash.
    source = FIXTURES / "app_store/customerReviews.json"
    document = json.loads(source.read_text(encoding="utf-8"))
    node = document
    for step in damage[:-1]:
        node = node[step]
    node[damage[-1]] = "6a8c7b1e"
    results = _read_damaged(tmp_path, source, document)
    errors = [r for r in results if isinstance(r, RowError)]
    assert [(e.row, e.field) for e in errors] == [(1, field)]
    assert len([r for r in results if isinstance(r, ItemRecord)]) == 1


def test_a_minified_zendesk_page_on_one_line_is_a_page_not_one_json_lines_record(tmp_path: Path) -> None:
    """Zendesk also takes JSON Lines (one ticket a line); a whole API page minified onto one line holds its
    tickets in ``tickets`` and must read as that page, while a one-line JSON Lines file stays one ticket."""
    name, expected = EXPECTED["zendesk/tickets.json"]
    page = json.loads((FIXTURES / "zendesk" / "tickets.json").read_text(encoding="utf-8"))
    minified = tmp_path / "tickets.json"
    minified.write_text(json.dumps(page, separators=(",", ":")), encoding="utf-8")
    fmt = detect_format(minified)
    assert fmt is not None
    assert fmt.name == name
    assert [_fields(r) for r in fmt.read(minified) if isinstance(r, ItemRecord)] == expected
    one = tmp_path / "one.jsonl"
    one.write_text(json.dumps(page["tickets"][0], separators=(",", ":")) + "\n", encoding="utf-8")
    fmt = detect_format(one)
    assert fmt is not None
    assert [_fields(r) for r in fmt.read(one) if isinstance(r, ItemRecord)] == expected[:1]
