"""Full-text search that works the same on both backends (see migration 0001 for the indexes)."""

from __future__ import annotations

import re

from sqlalchemy import ColumnElement, Select, func, literal_column, select, text

from voxpop.store.models import Item

_PG_DOCUMENT = (
    "to_tsvector('simple', coalesce(items.title, '') || ' ' || coalesce(items.text, '') || ' ' "
    "|| coalesce(items.author_name, ''))"
)
_WORD = re.compile(r"\w+", re.UNICODE)


def fts5_query(query: str) -> str | None:
    """Turn what a user typed into a safe FTS5 expression: every word must appear, the last one as a
    prefix. Operators and quotes typed by the user are treated as plain text."""
    words = _WORD.findall(query)
    if not words:
        return None
    quoted = [f'"{w}"' for w in words]
    quoted[-1] += "*"
    return " AND ".join(quoted)


def matches(query: str, dialect: str) -> ColumnElement[bool] | None:
    """A WHERE clause selecting the items that match ``query``, or None when it has no words."""
    if dialect == "sqlite":
        expression = fts5_query(query)
        if expression is None:
            return None
        sub: Select[tuple[int]] = (
            select(literal_column("rowid"))
            .select_from(text("items_fts"))
            .where(text("items_fts MATCH :fts").bindparams(fts=expression))
        )
        return Item.id.in_(sub)
    words = _WORD.findall(query)
    if not words:
        return None
    return literal_column(_PG_DOCUMENT).op("@@")(func.websearch_to_tsquery("simple", " ".join(words)))
