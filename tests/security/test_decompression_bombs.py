"""Decompression bombs: a gzip file of a few dozen kilobytes that unpacks to 60 MB (one endless field, or
a million junk rows). The importer unpacks as a stream and stops, with an error naming the file, once a
file unpacks to more than 200 times its compressed size (past the first 16 MB) or to more than the total
cap (every gzip member counted); the batches before the bomb stay whole, the one being read is not
written, and the run is recorded as failed. Archives inside a gzip are refused before a row is read. A
mere junk-row file under the floor imports row by row. The web uploads never decompress anything, and
their size limit is tested in ``test_oversized_uploads.py``."""

from __future__ import annotations

import gzip
import io
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from voxpop.errors import IngestError
from voxpop.ingest.connectors.base import open_bytes
from voxpop.ingest.reader import UnpackLimits, open_data_file
from voxpop.ingest.service import import_file
from voxpop.store import Store
from voxpop.store.models import ImportRun, Item


def _count(store: Store) -> int:
    with store.read() as s:
        return int(s.scalar(select(func.count()).select_from(Item)) or 0)


def _endless_field_bomb(path: Path, good_rows: int) -> Path:
    with gzip.open(path, "wb", compresslevel=9) as f:
        f.write(b"id,text\n")
        for i in range(good_rows):
            f.write(f"{i},a real review number {i}\n".encode())
        f.write(f"{good_rows},".encode())
        for _ in range(60):
            f.write(b"a" * 1_000_000)
        f.write(b"\n999999,after the bomb\n")
    assert path.stat().st_size < 200_000  # a bomb: tiny on disk, 60 MB unpacked
    return path


def test_a_bomb_is_refused_by_its_ratio_and_nothing_is_half_written(store: Store, tmp_path: Path) -> None:
    path = _endless_field_bomb(tmp_path / "bomb.csv.gz", good_rows=10)
    small_batches = Store(store.settings.model_copy(update={"ingest_batch_size": 4}))
    try:
        with pytest.raises(IngestError) as caught:
            import_file(small_batches, path)
    finally:
        small_batches.dispose()
    message = str(caught.value)
    assert str(path) in message
    assert "200 times its compressed size" in message
    assert "decompression bomb" in message
    assert _count(store) == 8  # two whole batches of 4 went in before the bomb; the third was not written
    with store.read() as s:
        run = s.scalars(select(ImportRun)).one()
        assert run.status == "failed"
        assert "decompression bomb" in run.errors[-1]


def test_the_total_counts_every_gzip_member(tmp_path: Path) -> None:
    path = tmp_path / "members.csv.gz"
    row = b"1,an ordinary review that compresses like real text does\n"
    with path.open("wb") as f:
        f.write(gzip.compress(b"id,text\n"))
        for _ in range(40):  # forty members of 16 kB each: 640 kB in all, none of them large
            f.write(gzip.compress(row * 300))
    with open_data_file(path, limits=UnpackLimits(max_unpacked_bytes=256 * 1024)) as data:
        rows = data.rows()
        with pytest.raises(IngestError, match="unpacks to more than 262,144 bytes") as caught:
            list(rows)
    assert caught.value.path == str(path)
    with open_data_file(path, limits=UnpackLimits(max_unpacked_bytes=1024 * 1024)) as data:
        assert sum(1 for _ in data.rows()) == 40 * 300  # under the cap, every member is read


def test_platform_exports_are_unpacked_within_the_same_limits(tmp_path: Path) -> None:
    path = _endless_field_bomb(tmp_path / "play.csv.gz", good_rows=1)
    with open_bytes(path) as stream, pytest.raises(IngestError, match="decompression bomb"):
        stream.read()


def test_archives_inside_a_gzip_are_refused_before_a_row_is_read(store: Store, tmp_path: Path) -> None:
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("reviews.csv", "id,text\n" + "1,x\n" * 1000)
    zipped = tmp_path / "reviews.csv.gz"
    zipped.write_bytes(gzip.compress(inner.getvalue()))
    twice = tmp_path / "twice.csv.gz"
    twice.write_bytes(gzip.compress(gzip.compress(b"id,text\n1,hello\n")))
    with pytest.raises(IngestError, match="ZIP archive"):
        import_file(store, zipped)
    with pytest.raises(IngestError, match="gzip file inside a gzip"):
        import_file(store, twice)
    assert _count(store) == 0


def test_a_million_junk_rows_under_the_floor_are_rejected_row_by_row(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "rows.csv.gz"
    with gzip.open(path, "wb", compresslevel=9) as f:
        f.write(b"id,text\n1,a real review\n")
        f.write(b",\n" * 1_000_000)  # rows without an id or a text
    assert path.stat().st_size < 200_000
    summary = import_file(store, path)
    assert summary.added == 1
    assert summary.rejected >= 1
    assert _count(store) == 1
