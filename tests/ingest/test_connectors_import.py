"""`voxpop ingest FILE` on platform exports: detected, stored once, replies imported, bad input named."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from voxpop.errors import IngestError
from voxpop.ingest.records import ItemRecord, platform_key
from voxpop.ingest.service import ImportOptions, import_file
from voxpop.ingest.writer import get_or_create_source, write_batch
from voxpop.store import Store
from voxpop.store.models import Item, Source
from voxpop.store.models.replies import Reply

FIXTURES = Path(__file__).parent / "fixtures"


def _count(store: Store, model: type) -> int:
    with store.read() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_a_platform_export_is_detected_stored_with_its_replies_and_reimported_as_nothing(store: Store) -> None:
    path = FIXTURES / "google_business" / "reviews.json"
    summary = import_file(store, path)
    assert (summary.format, summary.status, summary.read, summary.added, summary.rejected) == (
        "google_business",
        "done",
        2,
        2,
        0,
    )
    with store.read() as session:
        source = session.scalars(select(Source).where(Source.name == "reviews.json")).one()
        items = list(session.scalars(select(Item).order_by(Item.created_at)))
        reply = session.scalars(select(Reply)).one()
    assert source.channel == "google"
    assert [i.rating for i in items] == [0.75, 0.0]
    assert items[0].responded_at is not None
    assert items[0].responded_at.isoformat() == "2024-03-02T12:30:00+00:00"
    assert items[1].responded_at is None
    assert (reply.item_id, reply.origin, reply.user_id) == (items[0].id, "imported", None)
    again = import_file(store, path)
    assert (again.added, again.updated, again.duplicates) == (0, 0, 2)
    assert _count(store, Item) == 2
    assert _count(store, Reply) == 1


def test_an_overlapping_export_under_another_name_updates_the_edited_review(store: Store, tmp_path: Path) -> None:
    import_file(store, FIXTURES / "google_business" / "reviews.json")
    data = json.loads((FIXTURES / "google_business" / "reviews.json").read_text())
    edited = data["reviews"][1] | {"comment": "Cold coffee.", "starRating": "TWO", "updateTime": "2024-03-09T10:00:00Z"}
    later = tmp_path / "reviews-2024-03-10.json"
    later.write_text(json.dumps({"reviews": [data["reviews"][0], edited]}))
    updated: list[int] = []
    summary = import_file(store, later, on_updated=updated.extend)
    assert (summary.added, summary.updated, summary.duplicates) == (0, 1, 1)
    assert _count(store, Item) == 2
    with store.read() as session:
        item = session.scalars(select(Item).where(Item.external_id == "AbFvOqnZ8R")).one()
    assert updated == [item.id]
    assert (item.text, item.rating_raw) == ("Cold coffee.", 2)


def test_the_same_review_by_file_and_by_api_is_one_item(store: Store) -> None:
    from_api = ItemRecord(
        text="Great coffee, but the queue at 9am was long.",
        external_id="AbFvOqnY7Q",
        platform_key=platform_key("google", "AbFvOqnY7Q"),
        rating=4,
    )
    with store.write() as session:
        written = write_batch(session, get_or_create_source(session, "google-api", kind="google_business"), [from_api])
    assert len(written.added_ids) == 1
    summary = import_file(store, FIXTURES / "google_business" / "reviews.json")
    assert (summary.added, summary.duplicates + summary.updated) == (1, 1)
    assert _count(store, Item) == 2


def test_utf16_google_play_csv_is_read(store: Store) -> None:
    summary = import_file(store, FIXTURES / "google_play" / "reviews_com.example.shop_202403.csv")
    assert (summary.format, summary.added) == ("google_play", 2)


def test_a_plain_csv_still_needs_a_mapping(store: Store, tmp_path: Path) -> None:
    plain = tmp_path / "export.csv"
    plain.write_text("when,words\n2024-01-01,hello\n")
    with pytest.raises(IngestError, match=r"--map text=COLUMN"):
        import_file(store, plain)
    summary = import_file(store, plain, ImportOptions(mapping={"text": "words"}))
    assert (summary.format, summary.added) == (None, 1)


def test_an_ambiguous_file_asks_for_format_and_format_decides(store: Store, tmp_path: Path) -> None:
    both = tmp_path / "mixed.json"
    both.write_text(json.dumps({"reviews": [{"reviewId": "x1", "starRating": "ONE", "stars": 1, "consumer": {}}]}))
    with pytest.raises(IngestError, match=r"could be .*google_business.*--format NAME"):
        import_file(store, both)
    assert _count(store, Item) == 0
    summary = import_file(store, both, ImportOptions(format="google_business"))
    assert (summary.format, summary.rejected) == ("google_business", 1)
    assert summary.errors[0].endswith("row 1, field 'createTime': is missing")
    with pytest.raises(IngestError, match=r"'nope' is not a known format"):
        import_file(store, both, ImportOptions(format="nope"))


def test_bad_records_are_rejected_with_row_and_field_and_the_rest_stored(store: Store, tmp_path: Path) -> None:
    data = json.loads((FIXTURES / "trustpilot" / "reviews.json").read_text())
    data["reviews"].insert(1, {"id": "bad", "consumer": {}, "stars": "many", "text": "x"})
    data["reviews"].append("<script>alert(1)</script>")
    path = tmp_path / "trustpilot.json"
    path.write_text(json.dumps(data))
    rejects = tmp_path / "rejects.csv"
    summary = import_file(store, path, ImportOptions(rejects=rejects))
    assert (summary.added, summary.rejected) == (2, 2)
    assert summary.errors[0].endswith("row 2, field 'stars': 'many' is not a number")
    assert "row 4" in summary.errors[1]
    assert "is not an object" in summary.errors[1]
    assert "alert(1)" in rejects.read_text()


def test_a_truncated_export_is_refused_with_its_name(store: Store, tmp_path: Path) -> None:
    whole = (FIXTURES / "trustpilot" / "reviews.json").read_text()
    cut = tmp_path / "cut.json"
    cut.write_text(whole[: len(whole) // 2])
    with pytest.raises(IngestError, match=r"cut\.json.*not valid JSON"):
        import_file(store, cut, ImportOptions(format="trustpilot"))
    gz = tmp_path / "reviews.json.gz"
    with gzip.open(gz, "wb") as out, (FIXTURES / "trustpilot" / "reviews.json").open("rb") as src:
        shutil.copyfileobj(src, out)
    assert import_file(store, gz).format == "trustpilot"


def test_a_binary_file_named_like_an_export_is_refused(store: Store, tmp_path: Path) -> None:
    fake = tmp_path / "reviews.json"
    fake.write_bytes(b"\x00\x01\x02PNG\x89" * 200)
    with pytest.raises(IngestError, match=r"reviews\.json: is a binary file"):
        import_file(store, fake)
    assert _count(store, Item) == 0


def test_hostile_values_are_rejected_or_kept_as_plain_text(store: Store, tmp_path: Path) -> None:
    data = json.loads((FIXTURES / "google_business" / "reviews.json").read_text())
    data["reviews"][0]["comment"] = "<script>alert('x')</script> {{ 7*7 }} nice"
    data["reviews"][1]["comment"] = "zero\u0000byte"
    path = tmp_path / "reviews.json"
    path.write_text(json.dumps(data))
    summary = import_file(store, path)
    assert (summary.added, summary.rejected) == (1, 1)
    assert summary.errors[0].endswith("row 2, field 'text': contains a NUL character (binary data?)")
    with store.read() as session:
        assert session.scalars(select(Item.text)).one() == "<script>alert('x')</script> {{ 7*7 }} nice"


def test_a_survey_score_off_its_scale_names_the_column(store: Store, tmp_path: Path) -> None:
    lines = (FIXTURES / "qualtrics" / "qualtrics_export.csv").read_text(encoding="utf-8-sig").splitlines()
    lines[3] = lines[3].replace(",9,3,", ",11,3,")
    path = tmp_path / "qualtrics_export.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    summary = import_file(store, path)
    assert (summary.format, summary.added, summary.rejected) == ("qualtrics", 1, 1)
    assert summary.errors[0].endswith("row 1, field 'Q1': 11 is not a 0–10 score")


def test_a_platform_import_reports_its_progress(store: Store) -> None:
    path = FIXTURES / "google_business" / "reviews.json"
    seen: list[tuple[int, int]] = []
    import_file(store, path, on_progress=lambda done, total: seen.append((done, total)))
    assert seen
    assert seen[-1] == (path.stat().st_size, path.stat().st_size)
