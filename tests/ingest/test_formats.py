"""import_file reads CSV, JSON and JSON Lines, gzip or not, and maps columns to item fields."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from voxpop.ingest.service import ImportOptions, import_file
from voxpop.store import Store
from voxpop.store.models import Item, Source
from voxpop.store.search import matches

from .helpers import count_items, runs, texts, write_csv


def _items(store: Store) -> list[Item]:
    with store.read() as session:
        return list(session.scalars(select(Item).order_by(Item.id)))


def test_csv_with_automatic_mapping_keeps_unmapped_columns_in_raw(store: Store, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "reviews.csv",
        ["id", "review", "date", "stars", "username", "hotel_city"],
        [
            ["a1", "Lovely stay", "2015-02-24 11:35:52 -0800", "5", "ann", "Lyon"],
            ["a2", "Cold room", "1424806552000", "2", "bob", "Porto"],
            ["a3", "So-so", "Tue, 24 Feb 2015 11:35:52 -0800", "", "", ""],
        ],
    )
    summary = import_file(store, path)
    assert (summary.read, summary.added, summary.duplicates, summary.rejected) == (3, 3, 0, 0)
    assert summary.status == "done"
    first, second, third = _items(store)
    assert first.external_id == "a1"
    assert first.text == "Lovely stay"
    assert first.created_at == datetime(2015, 2, 24, 19, 35, 52, tzinfo=UTC)
    assert first.rating == 1.0
    assert first.author_name == "ann"
    assert first.raw == {"hotel_city": "Lyon"}
    assert second.created_at == datetime(2015, 2, 24, 19, 35, 52, tzinfo=UTC)
    assert second.rating == pytest.approx(0.25)
    assert third.created_at == first.created_at
    assert third.rating is None
    assert third.author_name is None
    with store.read() as session:
        source = session.scalars(select(Source)).one()
        assert source.name == "reviews.csv"
        assert source.last_success_at is not None
    [run] = runs(store)
    assert (run.status, run.rows_read, run.added, run.duplicates, run.rejected) == ("done", 3, 3, 0, 0)
    assert run.finished_at is not None


def test_explicit_mapping_kind_channel_and_rating_scale(store: Store, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "survey.csv",
        ["answer_id", "comment", "nps", "who", "followers"],
        [["1", "Would recommend", "9", "x@y.org", "1,200"], ["2", "Meh", "0", "", ""]],
    )
    options = ImportOptions(
        source="nps",
        channel="survey",
        kind="survey",
        mapping={
            "id": "answer_id",
            "text": "comment",
            "rating": "nps",
            "author_email": "who",
            "likes": "followers",
        },
        rating_scale=(0, 10),
    )
    import_file(store, path, options)
    nine, zero = _items(store)
    assert (nine.kind, nine.channel) == ("survey", "survey")
    assert nine.rating == pytest.approx(0.9)
    assert zero.rating == 0.0
    assert nine.reach_likes == 1200
    assert nine.customer_id is not None
    assert zero.customer_id is None


def test_semicolon_and_tab_separated_files(store: Store, tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("text;rating\nbon séjour;4\n", encoding="utf-8")
    (tmp_path / "b.tsv").write_text("text\trating\ngreat\t5\n", encoding="utf-8")
    import_file(store, tmp_path / "a.csv")
    import_file(store, tmp_path / "b.tsv")
    assert texts(store) == ["bon séjour", "great"]


def test_json_array_object_holding_an_array_and_nested_keys(store: Store, tmp_path: Path) -> None:
    records = [
        {"reviewId": "g1", "comment": "Friendly staff", "starRating": 4, "reviewer": {"displayName": "Ann"}},
        {"reviewId": "g2", "comment": "Slow", "starRating": 2, "reviewer": {"displayName": "Bo"}},
    ]
    mapping = {"id": "reviewId", "text": "comment", "rating": "starRating", "author": "reviewer.displayName"}
    (tmp_path / "array.json").write_text(json.dumps(records))
    (tmp_path / "takeout.json").write_text(json.dumps({"meta": {"n": [1, 2]}, "reviews": records}))
    import_file(store, tmp_path / "array.json", ImportOptions(source="a", mapping=mapping))
    import_file(store, tmp_path / "takeout.json", ImportOptions(source="b", mapping=mapping))
    items = _items(store)
    assert [i.author_name for i in items] == ["Ann", "Bo", "Ann", "Bo"]
    assert [i.rating for i in items] == [0.75, 0.25, 0.75, 0.25]
    assert items[0].raw == {}


def test_jsonl_gzip_found_by_magic_bytes_not_extension(store: Store, tmp_path: Path) -> None:
    lines = [json.dumps({"text": f"review {i}", "date": f"2024-01-0{i + 1}"}) for i in range(3)]
    path = tmp_path / "export.csv"  # misleading name: it is gzip-compressed JSON Lines
    path.write_bytes(gzip.compress(("\n".join(lines) + "\n\n").encode()))
    summary = import_file(store, path)
    assert summary.added == 3
    assert [i.created_at.day for i in _items(store)] == [1, 2, 3]


def test_gzip_csv(store: Store, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "r.csv.gz", ["text"], [["one"], ["two"]], compress=True)
    summary = import_file(store, path)
    assert summary.added == 2
    assert summary.source == "r.csv"


def test_jsonl_bad_lines_are_rejected_and_the_rest_stored(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text('{"text": "ok"}\n{"text": broken\n[1, 2]\n{"text": "also ok"}\n')
    summary = import_file(store, path)
    assert (summary.added, summary.rejected) == (2, 2)
    assert "row 2 (line 2)" in summary.errors[0]
    assert "not valid JSON" in summary.errors[0]
    assert "not a JSON object" in summary.errors[1]


def test_large_batches_stay_searchable_and_the_trigger_survives(store: Store, tmp_path: Path) -> None:
    rows = [[f"id{i}", f"word{i} common"] for i in range(1500)]
    path = write_csv(tmp_path / "many.csv", ["id", "text"], rows)
    import_file(store, path)
    import_file(store, write_csv(tmp_path / "one.csv", ["text"], [["singleton zebra"]]))
    with store.read() as session:
        for query, expected in (("word1499", 1), ("common", 1500), ("zebra", 1)):
            where = matches(query, store.dialect)
            assert where is not None
            found = session.scalars(select(Item.id).where(where)).all()
            assert len(found) == expected, query


def test_on_added_receives_the_new_ids_once(store: Store, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "r.csv", ["id", "text"], [[str(i), f"t{i}"] for i in range(7)])
    store = Store(store.settings.model_copy(update={"ingest_batch_size": 3}))
    seen: list[list[int]] = []
    import_file(store, path, on_added=seen.append)
    import_file(store, path, on_added=seen.append)
    assert [len(batch) for batch in seen] == [3, 3, 1]
    with store.read() as session:
        assert sorted(i for batch in seen for i in batch) == sorted(session.scalars(select(Item.id)))
    store.dispose()
    assert count_items(store) == 7


def test_unnamed_and_repeated_columns_keep_their_values(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "pandas.csv"
    path.write_text(",text,tag,tag\n0,hello,a,b\n", encoding="utf-8")
    import_file(store, path)
    [item] = _items(store)
    assert item.raw == {"column_1": "0", "tag": "a", "tag_2": "b"}
