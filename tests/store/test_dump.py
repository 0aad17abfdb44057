"""voxpop dump: every table out as CSV, JSON lines and Parquet; secrets left out; formulas defused."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from voxpop.accounts.users import create_user
from voxpop.errors import ValidationError
from voxpop.ingest.records import ItemRecord
from voxpop.ingest.writer import get_or_create_source, write_batch
from voxpop.store import Store
from voxpop.store.dump import dump

HOSTILE = '=HYPERLINK("http://evil.example","click")'


def _fill(store: Store) -> None:
    with store.write() as session:
        create_user(session, email="ana@example.com", password="correct horse battery")
        source = get_or_create_source(session, "google", kind="file", channel="google")
        records = [ItemRecord(text=HOSTILE, author_name="@mallory")] + [
            ItemRecord(text=f"Review {i}, «quoted», with a comma") for i in range(30)
        ]
        write_batch(session, source, records)


def test_csv_has_every_row_no_secret_and_no_live_formula(store: Store, tmp_path: Path) -> None:
    _fill(store)
    counts = dump(store, tmp_path, "csv")
    assert counts["items"] == 31
    assert counts["users"] == 1
    assert "web_sessions" not in counts
    with (tmp_path / "items.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 31
    texts = {r["text"] for r in rows}
    assert "'" + HOSTILE in texts
    assert HOSTILE not in texts
    assert "'@mallory" in {r["author_name"] for r in rows}
    header = (tmp_path / "users.csv").read_text().splitlines()[0]
    assert "email" in header
    assert "password_hash" not in header
    assert "argon2" not in (tmp_path / "users.csv").read_text()


def test_jsonl_and_parquet_keep_the_values(store: Store, tmp_path: Path) -> None:
    _fill(store)
    dump(store, tmp_path / "j", "jsonl")
    lines = (tmp_path / "j" / "items.jsonl").read_text(encoding="utf-8").splitlines()
    first = json.loads(lines[0])
    assert first["text"] == HOSTILE  # JSON is not a spreadsheet: kept as written
    assert len(lines) == 31
    dump(store, tmp_path / "p", "parquet")
    table = pq.read_table(tmp_path / "p" / "items.parquet")
    assert table.num_rows == 31
    assert HOSTILE in table.column("text").to_pylist()
    assert pq.read_table(tmp_path / "p" / "corrections.parquet").num_rows == 0


def test_an_unknown_format_is_refused(store: Store, tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="unknown format"):
        dump(store, tmp_path, "xlsx")
