"""Structurally damaged platform exports: each JSON format's own fixture, imported once as it is and then
with 1–3 of its nodes (any JSON value, at any depth) replaced by another value or dropped — a list where a
rating is, a string where an object is, a huge number for a date. The import stores the file, rejecting a
damaged record with the file, row and field named, or refuses the file with a clear ``VoxpopError``; never
another exception, and nothing stored before is lost or half-written."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from tests.ingest.damage import DROP, damaged
from voxpop.errors import VoxpopError
from voxpop.ingest.connectors import RowError, get
from voxpop.ingest.connectors.base import JsonFormat
from voxpop.ingest.records import ItemRecord
from voxpop.ingest.service import ImportOptions, ImportSummary, import_file
from voxpop.store import Store
from voxpop.store.models import ImportRun, Item, Source

FIXTURES = Path(__file__).parent / "fixtures"
_names = itertools.count()


def _fixture(name: str) -> Path:
    return next(p for p in sorted((FIXTURES / name).iterdir()) if p.name != "README.md")


JSON_FORMATS = sorted(
    d.name for d in FIXTURES.iterdir() if d.is_dir() and d.name != "live" and isinstance(get(d.name), JsonFormat)
)
TEXT = st.text(st.characters(codec="utf-8", exclude_characters="{[\x00"), max_size=8)
JSON_VALUE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**40), max_value=2**40),
    st.sampled_from([2**62, -(2**62), 1e300, -1e300]),  # beyond any date, near a column's limit
    st.floats(allow_nan=False, allow_infinity=False),
    TEXT,
    st.sampled_from(["", "2024-03-01T10:00:00Z", "ONE", "positive", "comment", "admin", "number", "text", "t3"]),
    st.lists(TEXT, max_size=2),
    st.lists(st.integers(0, 5), max_size=2),
    st.dictionaries(st.sampled_from(["id", "type", "text", "x"]), TEXT, max_size=2),
    st.just(DROP),
)
# What a Python repr of a structure looks like when it is stored as text ("{'x': 1}", "['a']", "{}").
REPR_STARTS = ("{", "[")
TEXT_COLUMNS = (
    Item.text,
    Item.title,
    Item.author_name,
    Item.author_handle,
    Item.url,
    Item.location,
    Item.language,
    Item.product,
    Item.external_id,
)

PROPERTY = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)


def _load(path: Path) -> tuple[str, Any]:
    """The file's preamble (the X archive's ``window.YTD.tweets.part0 =``) and its JSON document."""
    content = path.read_text(encoding="utf-8-sig")
    preamble = ""
    if not content.lstrip().startswith(("{", "[")):
        preamble, _, content = content.partition("=")
        preamble += "= "
    return preamble, json.loads(content)


def _items(store: Store) -> dict[int, tuple[Any, ...]]:
    """Every stored item (an export's items are one per platform id, whichever source brought them)."""
    with store.read() as session:
        rows = session.execute(select(Item.id, Item.dedup_key, Item.rating, Item.created_at, *TEXT_COLUMNS))
        return {row[0]: tuple(row[1:]) for row in rows}


def _import(store: Store, path: Path, name: str, source: str) -> tuple[ImportSummary | None, str]:
    try:
        return import_file(store, path, ImportOptions(format=name, source=source)), ""
    except VoxpopError as exc:  # refused whole: a clear error
        return None, str(exc)


def _run(store: Store, source: str) -> ImportRun:
    with store.read() as session:
        return session.scalars(
            select(ImportRun)
            .join(Source, Source.id == ImportRun.source_id)
            .where(Source.name == source)
            .order_by(ImportRun.id.desc())
            .limit(1)
        ).one()


@pytest.mark.parametrize("name", JSON_FORMATS)
@PROPERTY
@given(data=st.data())
def test_a_structurally_damaged_export_is_stored_or_refused_by_name(
    store: Store, tmp_path: Path, name: str, data: st.DataObject
) -> None:
    small = Store(store.settings.model_copy(update={"ingest_batch_size": 3}), migrate=False)
    try:
        _check(small, tmp_path, name, data)
    finally:
        small.dispose()


def _check(small: Store, tmp_path: Path, name: str, data: st.DataObject) -> None:
    original = _fixture(name)
    source = f"damaged-{next(_names)}"
    good, message = _import(small, original, name, source)
    assert good is not None, message
    assert good.rejected == 0, good.errors
    before = _items(small)
    assert before

    preamble, document = _load(original)
    path = tmp_path / f"{next(_names)}-{original.name}"
    path.write_text(preamble + json.dumps(damaged(document, data, JSON_VALUE), indent=1), encoding="utf-8")
    summary, message = _import(small, path, name, source)

    after = _items(small)
    run = _run(small, source)
    assert set(before) <= set(after)  # nothing stored before is lost
    if summary is None:  # refused: the file named, nothing of it stored
        assert str(path) in message, message
        assert after == before
        assert run.status == "failed"
        return
    assert run.status == "done"
    assert len(after) - len(before) == run.added == summary.added  # only whole batches
    for error in summary.errors:  # each rejected record named by file, row and field
        assert error.startswith(f"{path}, row "), error
        assert ", field '" in error or error.endswith(": is not an object"), error
    written = [item for key, item in after.items() if before.get(key) != item]  # added or updated by it
    shown = [v for item in written for v in item[3:] if isinstance(v, str) and v.startswith(REPR_STARTS)]
    assert not shown, f"a structure stored as text: {shown}"


# --- the shapes the property found (and a review of the connectors), one by one -------------------------

SHAPES = [
    # a list where a rating's name is: a TypeError (unhashable) before
    ("facebook", "data.0.recommendation_type", ["positive"], "recommendation_type"),
    ("google_business", "reviews.0.starRating", ["FOUR"], "starRating"),
    ("zendesk", "tickets.0.satisfaction_rating.score", ["bad"], "satisfaction_rating.score"),
    # a list of parts, pages, questions, answers or links that is not one, or holds a non-object
    (
        "intercom",
        "conversations.0.conversation_parts.conversation_parts",
        "none",
        "conversation_parts.conversation_parts",
    ),
    (
        "intercom",
        "conversations.0.conversation_parts.conversation_parts.1",
        "Fixed",
        "conversation_parts.conversation_parts[1]",
    ),
    ("surveymonkey", "data.0.pages", {"id": "1"}, "pages"),
    ("surveymonkey", "data.0.pages.0.questions.1", ["x"], "pages[0].questions[1]"),
    ("surveymonkey", "data.0.pages.0.questions.1.answers.0.text", {"x": 1}, "pages[0].questions[1].answers[0].text"),
    ("trustpilot", "reviews.0.links", 3, "links"),
    ("trustpilot", "reviews.0.links.0.rel", ["reviews-web-link"], None),  # only the review's link is lost
    ("typeform", "items.0.answers", "3", "answers"),
    ("typeform", "items.0.answers.0", "3", "answers[0]"),
    ("typeform", "items.0.answers.0.number", [3], "answers[0].number"),
    # a number or date beyond range
    ("reddit", "data.children.0.data.created_utc", 1e300, "data.created_utc"),
    ("yelp", "reviews.0.time_created", 1714000000, "time_created"),
    # a structure where text is: refused by name, never stored as "{'x': 1}"
    ("tripadvisor", "data.0.text", {"x": 1}, "text"),
    ("yelp", "reviews.0.user.name", ["Sam"], "user.name"),
    ("app_store", "data.0.attributes.title", ["Great"], "attributes.title"),
    ("freshdesk", "0.requester_id", {"id": 1}, "requester_id"),
    ("google_business", "reviews.0.reviewReply.comment", {"text": "Thanks"}, "reviewReply.comment"),
    ("twitter_archive", "0.tweet.full_text", ["a", "b"], "tweet.full_text"),
    # a null tweet and an unparsable URL: an AttributeError and a ValueError before
    ("twitter_archive", "0.tweet", None, "tweet.id_str"),
    ("zendesk", "tickets.0.url", "http://[", "url"),
]


def _read(path: Path, name: str) -> tuple[list[tuple[int, str | None]], int]:
    fmt = get(name)
    assert isinstance(fmt, JsonFormat)
    results = list(fmt.read(path))
    errors = [(r.row, r.field) for r in results if isinstance(r, RowError)]
    return errors, len([r for r in results if isinstance(r, ItemRecord)])


@pytest.mark.parametrize(("name", "where", "value", "field"), SHAPES, ids=[f"{s[0]}-{s[1]}" for s in SHAPES])
def test_each_damaged_shape_is_named_by_row_and_field(
    tmp_path: Path, name: str, where: str, value: Any, field: str | None
) -> None:
    """``field`` None: the damage is in something the item does without, and the record is read."""
    original = _fixture(name)
    _, whole = _read(original, name)
    preamble, document = _load(original)
    *parents, last = (int(p) if p.isdigit() else p for p in where.split("."))
    node = document
    for step in parents:
        node = node[step]
    node[last] = value
    path = tmp_path / original.name
    path.write_text(preamble + json.dumps(document, indent=1), encoding="utf-8")
    errors, read = _read(path, name)
    if field is None:
        assert (errors, read) == ([], whole)
    else:
        assert errors == [(1, field)]
        assert read == whole - 1
