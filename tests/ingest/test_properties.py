"""Property: whatever bytes or rows go into the CSV and JSONL readers or a platform format's reader, the
import ends cleanly — stored rows or a clear ``VoxpopError`` — never a crash, and never a half-written
batch."""

from __future__ import annotations

import csv
import io
import itertools
import json
from pathlib import Path

import pytest
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
        empty = session.scalar(  # only a rating may come without text
            select(func.count())
            .select_from(Item)
            .where(Item.source_id == source_id, func.trim(Item.text) == "", Item.rating.is_(None))
        )
        run = session.scalars(select(ImportRun).where(ImportRun.source_id == source_id)).one()
    assert empty == 0
    assert stored == run.added  # only whole batches, counted in the same transactions
    if summary is not None:
        assert run.status == "done"
        assert summary.read == summary.added + summary.updated + summary.duplicates + summary.rejected
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


FIXTURES = Path(__file__).parent / "fixtures"
PLATFORM_FORMATS = sorted(d.name for d in FIXTURES.iterdir() if d.is_dir() and d.name != "live")
HOSTILE = [b"\x00", b"\xff\xfe", b"\xef\xbb\xbf", b'"', b"\n", b"{", b"]", b",", b"\xc3", b"\xed\xa0\x80", b"9" * 40]


def _fixture(name: str) -> Path:
    return next(p for p in sorted((FIXTURES / name).iterdir()) if p.name != "README.md")


@pytest.mark.parametrize("name", PLATFORM_FORMATS)
@settings(PROPERTY, max_examples=15)
@given(data=st.data())
def test_a_damaged_platform_export_imports_or_fails_cleanly(
    store: Store, tmp_path: Path, name: str, data: st.DataObject
) -> None:
    """Each platform format's own fixture, cut short, with bytes flipped or hostile bytes spliced in."""
    original = _fixture(name)
    content = bytearray(original.read_bytes())
    for _ in range(data.draw(st.integers(1, 3))):
        where = data.draw(st.integers(0, len(content)))
        change = data.draw(st.sampled_from(["cut", "flip", "splice", "drop"]))
        if change == "cut":
            del content[where:]
        elif change == "flip" and where < len(content):
            content[where] ^= data.draw(st.integers(1, 255))
        elif change == "splice":
            content[where:where] = data.draw(st.sampled_from(HOSTILE))
        elif change == "drop":
            del content[where : where + data.draw(st.integers(1, 40))]
    path = tmp_path / f"{next(_names)}-{original.name}"
    path.write_bytes(bytes(content))
    small = _small_batches(store)
    _check(small, path, ImportOptions(format=name))
    small.dispose()
