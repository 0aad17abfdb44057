"""Property: whatever bytes or rows go into the CSV and JSONL readers, the import ends cleanly — stored
rows or a clear ``VoxpopError`` — never a crash, and never a half-written batch."""

from __future__ import annotations

import csv
import io
import itertools
import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from voxpop.errors import VoxpopError
from voxpop.ingest.service import ImportOptions, import_file
from voxpop.store import Store
from voxpop.store.models import ImportRun, Item, Source

_names = itertools.count()
CHARS = st.characters(codec="utf-8") | st.sampled_from(['"', ",", ";", "\n", "\r", "\x00", "é", "\t", " "])
FIELD = st.text(alphabet=CHARS, max_size=12)
VALUE = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True), FIELD, st.lists(FIELD)
)
KEY = st.sampled_from(["text", "id", "rating", "date", "author", "likes", "kind", "other"])

PROPERTY = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)


def _check(store: Store, path: Path, options: ImportOptions) -> None:
    name = f"prop-{next(_names)}"
    options.source = name
    try:
        summary = import_file(store, path, options)
    except VoxpopError:
        summary = None  # a clean error is a fine outcome
    with store.read() as session:
        source_id = session.scalar(select(Source.id).where(Source.name == name))
        if source_id is None:
            assert summary is None  # refused before anything was written
            return
        stored = session.scalar(select(func.count()).select_from(Item).where(Item.source_id == source_id))
        empty = session.scalar(
            select(func.count()).select_from(Item).where(Item.source_id == source_id, func.trim(Item.text) == "")
        )
        run = session.scalars(select(ImportRun).where(ImportRun.source_id == source_id)).one()
    assert empty == 0
    assert stored == run.added  # only whole batches, counted in the same transactions
    if summary is not None:
        assert run.status == "done"
        assert summary.read == summary.added + summary.duplicates + summary.rejected
        assert (run.rows_read, run.added, run.rejected) == (summary.read, summary.added, summary.rejected)
    else:
        assert run.status == "failed"


def _small_batches(store: Store) -> Store:
    return Store(store.settings.model_copy(update={"ingest_batch_size": 3}), migrate=False)


@PROPERTY
@given(data=st.binary(max_size=400), header=st.booleans())
def test_random_bytes_as_csv(store: Store, tmp_path: Path, data: bytes, header: bool) -> None:
    path = tmp_path / "random.csv"
    path.write_bytes((b"id,text,rating\n" if header else b"") + data)
    small = _small_batches(store)
    _check(small, path, ImportOptions(format="csv"))
    small.dispose()


@PROPERTY
@given(rows=st.lists(st.lists(FIELD, min_size=1, max_size=4), max_size=12), quoted=st.booleans())
def test_random_csv_rows(store: Store, tmp_path: Path, rows: list[list[str]], quoted: bool) -> None:
    if quoted:
        buffer = io.StringIO()
        csv.writer(buffer).writerows([["text", "rating", "date"], *rows])
        content = buffer.getvalue()
    else:  # written by hand, with no quoting: commas, quotes and newlines land where they fall
        content = "text,rating,date\n" + "\n".join(",".join(r) for r in rows)
    path = tmp_path / "rows.csv"
    path.write_text(content, encoding="utf-8", errors="surrogatepass")
    small = _small_batches(store)
    _check(small, path, ImportOptions(mapping={"text": "text", "rating": "rating", "created_at": "date"}))
    small.dispose()


@PROPERTY
@given(
    lines=st.lists(
        st.one_of(st.dictionaries(KEY, VALUE, max_size=6).map(json.dumps), FIELD.filter(lambda s: "\n" not in s)),
        max_size=12,
    )
)
def test_random_jsonl(store: Store, tmp_path: Path, lines: list[str]) -> None:
    path = tmp_path / "rows.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8", errors="surrogatepass")
    small = _small_batches(store)
    mapping = {"text": "text", "id": "id", "rating": "rating", "created_at": "date", "likes": "likes", "kind": "kind"}
    _check(small, path, ImportOptions(format="jsonl", mapping=mapping))
    small.dispose()


@PROPERTY
@given(data=st.binary(max_size=300))
def test_random_bytes_as_jsonl(store: Store, tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "random.jsonl"
    path.write_bytes(b'{"text": "first"}\n' + data)
    small = _small_batches(store)
    _check(small, path, ImportOptions(format="jsonl"))
    small.dispose()
