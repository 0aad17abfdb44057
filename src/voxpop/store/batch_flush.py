"""Flush the column changes of many ORM objects of one table as one ``UPDATE … FROM unnest`` per set of
changed columns, on PostgreSQL.

The ORM's unit of work writes each changed row with its own ``UPDATE`` statement. For a pipeline stage that
changes a batch of items (the route stage sets each item's ``route`` and often its department and SLA),
PostgreSQL then parses and runs one statement per item, and the roll-ups' statement trigger on ``items``
fires once per item. :func:`flush_column_changes` writes the same values with one statement per distinct
set of changed columns and marks them committed on the objects, so the session's own flush has nothing
left to write for them. Objects with any other pending change (a relationship collection, a pending or
deleted state, a column type it does not handle) are left to the ORM, as is every object on other
databases.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Column, inspect, text
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import NEVER_SET, NO_VALUE, set_committed_value
from sqlalchemy.types import JSON, TypeDecorator


def _pg_type(column: Column[Any], session: Session) -> tuple[str, bool] | None:
    """The column's PostgreSQL type name for an array cast, and whether its values are JSON; ``None``
    when the column is not one handled here."""
    dialect = session.get_bind().dialect
    impl = column.type.dialect_impl(dialect)
    if isinstance(impl, TypeDecorator):
        impl = impl.impl_instance
    if isinstance(impl, JSON):
        return "jsonb", True
    try:
        name = impl.compile(dialect=dialect)
    except Exception:  # a type without a plain SQL name: leave the object to the ORM
        return None
    if "[" in name:  # an array column: arrays of arrays are not what unnest takes apart
        return None
    return name, False


def _many_to_one_agrees(obj: Any, relationship: Any, target: Any) -> bool:
    """Whether a changed many-to-one points at a stored object whose key its foreign key column holds."""
    if relationship.direction.name != "MANYTOONE" or target is None:
        return False
    target_state = inspect(target)
    pairs = list(relationship.local_remote_pairs or ())
    if not target_state.persistent or len(pairs) != 1:
        return False
    local, remote = pairs[0]
    local_key = inspect(obj).mapper.get_property_by_column(local).key
    remote_key = target_state.mapper.get_property_by_column(remote).key
    return bool(getattr(obj, local_key) == getattr(target, remote_key))


def flush_column_changes(session: Session, objects: Iterable[Any]) -> int:
    """Write the changed plain columns of ``objects`` (persistent rows of one mapped table keyed by an
    ``id`` primary key) set-based on PostgreSQL; returns how many objects were written this way."""
    if session.get_bind().dialect.name != "postgresql":
        return 0
    groups: dict[tuple[str, ...], list[tuple[Any, dict[str, Any]]]] = {}
    table = None
    for obj in objects:
        state = inspect(obj)
        if not state.persistent or not state.modified or state.deleted:
            continue
        mapper = state.mapper
        changes: dict[str, Any] = {}
        handled = True
        for key in state.committed_state:  # the attributes changed since load (what the ORM would write)
            prop = mapper.attrs[key]
            columns = getattr(prop, "columns", None)
            value = state.dict.get(key)
            if columns is not None and len(columns) == 1 and key != "id":
                original = state.committed_state[key]
                if original is NO_VALUE or original is NEVER_SET or original != value:
                    changes[key] = value  # set to an equal value: the ORM would not write it either
                continue
            relationship = mapper.relationships.get(key)
            if relationship is not None and _many_to_one_agrees(obj, relationship, value):
                continue  # ``item.department = d`` beside ``item.department_id = d.id``: the column carries it
            handled = False
            break
        if not handled or not changes:
            continue
        if any(column.onupdate is not None or column.server_onupdate is not None for column in mapper.local_table.c):
            continue  # the ORM adds those columns' values to its UPDATE
        if table is None:
            table = mapper.local_table
        elif mapper.local_table is not table:
            continue
        groups.setdefault(tuple(sorted(changes)), []).append((obj, changes))
    if table is None:
        return 0
    written = 0
    for keys, members in groups.items():
        mapper = inspect(members[0][0]).mapper
        columns = [mapper.attrs[key].columns[0] for key in keys]
        kinds = [_pg_type(column, session) for column in columns]
        if any(kind is None for kind in kinds):
            continue
        members.sort(key=lambda member: int(member[0].id))  # rows locked in id order, like the ORM's flush
        params: dict[str, Any] = {"id": [int(obj.id) for obj, _ in members]}
        casts = ["CAST(:id AS bigint[])"]
        for n, (column, kind) in enumerate(zip(columns, kinds, strict=True)):
            assert kind is not None
            name, is_json = kind
            values = [changes[column.key] for _, changes in members]
            if isinstance(column.type, TypeDecorator):
                dialect = session.get_bind().dialect
                values = [column.type.process_bind_param(v, dialect) for v in values]
            if is_json:  # as the JSON type writes them: None is JSON null unless the type says SQL NULL
                as_null = bool(getattr(column.type.dialect_impl(session.get_bind().dialect), "none_as_null", False))
                values = [None if v is None and as_null else json.dumps(v) for v in values]
            params[f"p{n}"] = values
            casts.append(f"CAST(:p{n} AS {name}[])")
        names = [column.name for column in columns]
        statement = text(
            f'UPDATE "{table.name}" AS t SET '  # noqa: S608 — names come from the mapped table
            + ", ".join(f'"{name}" = v."{name}"' for name in names)
            + f" FROM unnest({', '.join(casts)}) AS v(id, "
            + ", ".join(f'"{name}"' for name in names)
            + ") WHERE t.id = v.id"
        )
        session.connection().execute(statement, params)
        for obj, _ in members:  # written: nothing left for the session's flush
            state = inspect(obj)
            for key in list(state.committed_state):
                set_committed_value(obj, key, state.dict.get(key))
        written += len(members)
    return written
