"""Bad input: a bad row is rejected naming file, row and field; a bad file is refused before anything is
written. In every case what was already stored does not change."""

from __future__ import annotations

import csv
import gzip
import json
import zipfile
from pathlib import Path

import pytest

from voxpop.errors import IngestError, ValidationError
from voxpop.ingest.service import ImportOptions, import_file
from voxpop.store import Store

from .helpers import count_items, runs, snapshot, texts, write_csv


@pytest.fixture
def stored(store: Store, tmp_path: Path) -> Store:
    """A store that already holds two items, which no failed import may change."""
    import_file(store, write_csv(tmp_path / "before.csv", ["id", "text"], [["1", "kept one"], ["2", "kept two"]]))
    return store


def _refused(store: Store, path: Path, options: ImportOptions | None = None) -> IngestError:
    before = snapshot(store)
    runs_before = len(runs(store))
    with pytest.raises(IngestError) as caught:
        import_file(store, path, options)
    assert snapshot(store) == before
    assert len(runs(store)) == runs_before  # refused before a run or a source was created
    assert str(path) in str(caught.value)
    return caught.value


def test_wrong_encoding_rejects_the_affected_rows_and_suggests_encoding(stored: Store, tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes("id,text\n10,plain ascii\n11,très bien séjour\n12,fine again\n".encode("latin-1"))
    rejects = tmp_path / "rejects.csv"
    summary = import_file(stored, path, ImportOptions(rejects=rejects))
    assert (summary.added, summary.rejected) == (2, 1)
    [message] = summary.errors
    assert message.startswith(f"{path}, row 2 (line 3), field 'text':")
    assert "--encoding" in message
    assert "0xe8" in message
    assert texts(stored)[-2:] == ["plain ascii", "fine again"]
    with rejects.open(encoding="utf-8", errors="surrogateescape", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["row"], r["line"], r["field"]) for r in rows] == [("2", "3", "text")]
    assert rows[0]["record"].encode("utf-8", "surrogateescape").decode("latin-1").find("très") > 0
    again = import_file(stored, path, ImportOptions(encoding="latin-1"))
    assert (again.added, again.duplicates, again.rejected) == (1, 2, 0)
    assert texts(stored)[-1] == "très bien séjour"


def test_missing_required_column(stored: Store, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "no_text.csv", ["id", "stars"], [["1", "5"]])
    error = _refused(stored, path)
    assert error.field == "text"
    assert "'stars'" in str(error)
    assert "--map text=" in str(error)


def test_mapping_naming_a_missing_column(stored: Store, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "r.csv", ["id", "body"], [["1", "x"]])
    error = _refused(stored, path, ImportOptions(mapping={"text": "body", "created_at": "tweet_created"}))
    assert error.field == "tweet_created"
    assert "no such column" in str(error)


def test_unclosed_quote_rejects_its_row_and_the_rest_go_in(stored: Store, tmp_path: Path) -> None:
    path = tmp_path / "quotes.csv"
    path.write_text(
        'id,text,rating\n20,first,4\n21,"never closed,3\n22,third,2\n23,"fourth, quoted",5\n24,fifth,1\n',
        encoding="utf-8",
    )
    summary = import_file(stored, path)
    assert summary.added == 4
    assert summary.rejected == 1
    assert "line 3" in summary.errors[0]
    assert "quote" in summary.errors[0]
    assert texts(stored)[-4:] == ["first", "third", "fourth, quoted", "fifth"]


def test_unclosed_quote_at_the_end_of_the_file(stored: Store, tmp_path: Path) -> None:
    path = tmp_path / "tail.csv"
    path.write_text('id,text\n30,ok\n31,"open to the end\n32,still here\n33,last\n', encoding="utf-8")
    summary = import_file(stored, path)
    assert (summary.added, summary.rejected) == (3, 1)
    assert "line 3" in summary.errors[0]
    assert texts(stored)[-3:] == ["ok", "still here", "last"]


def test_wrong_number_of_fields_names_the_row(stored: Store, tmp_path: Path) -> None:
    path = tmp_path / "fields.csv"
    path.write_text("id,text\n40,ok\n41,too,many,fields\n42,fine\n", encoding="utf-8")
    summary = import_file(stored, path)
    assert (summary.added, summary.rejected) == (2, 1)
    assert "row 2 (line 3)" in summary.errors[0]
    assert "has 4 fields, the header has 2" in summary.errors[0]


def test_a_10_mb_field_is_rejected_and_the_others_stored(stored: Store, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "big.csv", ["id", "text"], [["50", "small"], ["51", "x" * 10_000_000], ["52", "ok"]])
    summary = import_file(stored, path)
    assert (summary.added, summary.rejected) == (2, 1)
    assert f"{path}, row 2 (line 3), field 'text': is 10,000,000 bytes" in summary.errors[0]
    assert texts(stored)[-2:] == ["small", "ok"]


def test_bad_values_name_their_column(stored: Store, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "values.csv",
        ["id", "text", "when", "stars", "kind"],
        [
            ["60", "bad time", "yesterday", "4", ""],
            ["61", "bad rating", "2024-01-01", "lots", ""],
            ["62", "out of scale", "2024-01-01", "9", ""],
            ["63", "", "2024-01-01", "", ""],  # neither text nor a rating
            ["64", "bad kind", "2024-01-01", "4", "tweet"],
            ["65", "good", "2024-01-01", "4", "mention"],
            ["66", "", "2024-01-01", "4", ""],  # a rating alone is an answer
        ],
    )
    mapping = {"id": "id", "text": "text", "created_at": "when", "rating": "stars", "kind": "kind"}
    summary = import_file(stored, path, ImportOptions(mapping=mapping))
    assert (summary.added, summary.rejected) == (2, 5)
    fields = [m.split("field ")[1].split(":")[0] for m in summary.errors]
    assert fields == ["'when'", "'stars'", "'stars'", "'text'", "'kind'"]


def test_empty_file(stored: Store, tmp_path: Path) -> None:
    for name, content in (("empty.csv", b""), ("blank.csv", b"\n  \r\n"), ("empty.json", b"")):
        path = tmp_path / name
        path.write_bytes(content)
        assert "is empty" in str(_refused(stored, path))
    path = tmp_path / "empty.csv.gz"
    path.write_bytes(gzip.compress(b""))
    assert "is empty" in str(_refused(stored, path))


def test_header_only_csv_imports_nothing(stored: Store, tmp_path: Path) -> None:
    path = tmp_path / "header.csv"
    path.write_text("id,text\n", encoding="utf-8")
    summary = import_file(stored, path)
    assert (summary.status, summary.read, summary.added) == ("done", 0, 0)


def test_binary_files(stored: Store, tmp_path: Path) -> None:
    path = tmp_path / "photo.csv"
    path.write_bytes(bytes(range(256)) * 100)
    assert "binary" in str(_refused(stored, path))
    gz = tmp_path / "photo.csv.gz"
    gz.write_bytes(gzip.compress(bytes(range(256)) * 100))
    assert "binary" in str(_refused(stored, gz))
    archive = tmp_path / "reviews.xlsx"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("sheet.xml", "<x/>")
    assert "is not a readable XLSX workbook" in str(_refused(stored, archive))


def test_no_header_and_unknown_file(stored: Store, tmp_path: Path) -> None:
    path = tmp_path / "noheader.csv"
    path.write_text(",,\n1,2,3\n", encoding="utf-8")
    assert "no header" in str(_refused(stored, path))
    assert "no such file" in str(_refused(stored, tmp_path / "missing.csv"))


def test_json_that_is_not_records(stored: Store, tmp_path: Path) -> None:
    path = tmp_path / "scalar.json"
    path.write_text(json.dumps({"count": 3, "name": "x"}) + "\n" + "garbage", encoding="utf-8")
    assert "JSON" in str(_refused(stored, path))
    path = tmp_path / "numbers.json"
    path.write_text("[1, 2, 3]", encoding="utf-8")
    assert "no array of records" in str(_refused(stored, path))


def test_json_broken_in_the_middle_fails_the_run_keeping_whole_batches(store: Store, tmp_path: Path) -> None:
    small = Store(store.settings.model_copy(update={"ingest_batch_size": 2}))
    records = ",".join(json.dumps({"id": str(i), "text": f"t{i}"}) for i in range(5))
    path = tmp_path / "broken.json"
    path.write_text(f'[{records}, {{"id": "5", "text": ', encoding="utf-8")
    with pytest.raises(IngestError, match="not valid JSON after row 5"):
        import_file(small, path)
    [run] = runs(small)
    assert run.status == "failed"
    assert count_items(small) == run.added == 4  # two whole batches; the fifth row's batch never committed
    assert "not valid JSON" in run.errors[-1]
    fixed = tmp_path / "fixed.json"
    fixed.write_text(f'[{records}, {{"id": "5", "text": "t5"}}]', encoding="utf-8")
    summary = import_file(small, fixed, ImportOptions(source="broken.json"))
    assert (summary.added, summary.duplicates) == (2, 4)
    small.dispose()


def test_rejects_into_a_missing_folder_is_refused_before_the_run(stored: Store, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "r.csv", ["text"], [["fine"]])
    runs_before = len(runs(stored))
    with pytest.raises(ValidationError, match="--rejects"):
        import_file(stored, path, ImportOptions(rejects=tmp_path / "nowhere" / "rejects.csv"))
    assert len(runs(stored)) == runs_before
