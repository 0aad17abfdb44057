"""Decompression bombs: a gzip file of a few dozen kilobytes that unpacks to 60 MB (one endless field, or
a million junk rows) is imported as a stream — the oversized field is rejected naming its row, the good
rows around it go in, and the run ends cleanly. The web uploads never decompress anything, and their
size limit is tested in ``test_oversized_uploads.py``."""

from __future__ import annotations

import gzip
from pathlib import Path

from sqlalchemy import func, select

from voxpop.ingest.service import import_file
from voxpop.store import Store
from voxpop.store.models import Item


def _count(store: Store) -> int:
    with store.read() as s:
        return int(s.scalar(select(func.count()).select_from(Item)) or 0)


def test_one_endless_field_is_rejected_and_the_rest_go_in(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "bomb.csv.gz"
    with gzip.open(path, "wb", compresslevel=9) as f:
        f.write(b"id,text\n1,before the bomb\n2,")
        for _ in range(60):
            f.write(b"a" * 1_000_000)
        f.write(b"\n3,after the bomb\n")
    assert path.stat().st_size < 200_000  # a bomb: tiny on disk, 60 MB unpacked
    summary = import_file(store, path)
    assert summary.added == 2
    assert summary.rejected == 1
    assert "row 2" in summary.errors[0]
    assert _count(store) == 2


def test_a_million_junk_rows_are_rejected_row_by_row(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "rows.csv.gz"
    with gzip.open(path, "wb", compresslevel=9) as f:
        f.write(b"id,text\n1,a real review\n")
        f.write(b",\n" * 1_000_000)  # rows without an id or a text
    assert path.stat().st_size < 200_000
    summary = import_file(store, path)
    assert summary.added == 1
    assert summary.rejected >= 1
    assert _count(store) == 1
