"""Structural damage to a JSON document, for the property tests: 1–3 of its nodes (any value, at any depth)
replaced by another JSON value or dropped."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

from hypothesis import strategies as st

DROP = object()


def paths(node: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """The path (keys and indexes) of every node below ``node``."""
    if prefix:
        yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from paths(value, (*prefix, index))


def damaged(document: Any, data: st.DataObject, values: st.SearchStrategy[Any]) -> Any:
    """A copy of ``document`` with 1–3 nodes replaced by a value of ``values`` (``DROP``: a key dropped)."""
    document = copy.deepcopy(document)
    for _ in range(data.draw(st.integers(1, 3))):
        found = list(paths(document))
        if not found:
            break
        path = data.draw(st.sampled_from(found))
        parent = document
        for step in path[:-1]:
            parent = parent[step]
        value = data.draw(values)
        if value is DROP and isinstance(parent, dict):
            del parent[path[-1]]
        elif value is not DROP:
            parent[path[-1]] = value
    return document
