"""``flush_column_changes``: a batch of changed items written set-based on PostgreSQL stores exactly what
the ORM's own flush stores, and the session has nothing left to write for them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import event, select, text

from voxpop.act.departments import create_department
from voxpop.ingest.records import ItemRecord
from voxpop.ingest.writer import get_or_create_source, write_batch
from voxpop.store import Store
from voxpop.store.batch_flush import flush_column_changes
from voxpop.store.models import Department, Item


def _add(store: Store, count: int) -> list[int]:
    with store.write() as session:
        source = get_or_create_source(session, "google", kind="file", channel="google")
        return write_batch(session, source, [ItemRecord(text=f"item number {i}") for i in range(count)]).added_ids


def _change(session: Any, items: list[Item], department: Department | None, when: datetime) -> None:
    assert department is not None
    for n, item in enumerate(items):
        item.route = {"by": "rule", "rules": ["r"], "text": f"routed {n}", "manual": False, "nested": {"a": [1, None]}}
        if n % 2:
            item.department_id = department.id
            item.department = department
            item.due_at = when + timedelta(hours=n)
        if n % 3 == 0:
            item.priority = n
            item.tags = ["vip", "refund"]
        if n == 4:
            item.tags = None  # as the ORM writes a None into a JSON column


def _snapshot(store: Store) -> list[tuple[Any, ...]]:
    with store.read() as session:
        return [
            tuple(row)
            for row in session.execute(
                select(Item.id, Item.route, Item.department_id, Item.due_at, Item.priority, Item.tags)
                .add_columns(text("items.tags IS NULL"))
                .order_by(Item.id)
            )
        ]


def test_batch_flush_writes_what_the_orm_would(store: Store) -> None:
    ids = _add(store, 12)
    when = datetime(2026, 12, 6, 9, 30, tzinfo=UTC)
    with store.write() as session:
        created = create_department(session, name="Billing", sla_hours=24)
        session.flush()
        department_id = created.id
    half = len(ids) // 2
    # The first half through the ORM's flush, the second through the batch flush.
    with store.write() as session:
        department = session.get(Department, department_id)
        items = list(session.scalars(select(Item).where(Item.id.in_(ids[:half])).order_by(Item.id)))
        _change(session, items, department, when)
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement.split()[0].upper())

    event.listen(store.engine, "before_cursor_execute", seen)
    try:
        with store.write() as session:
            department = session.get(Department, department_id)
            items = list(session.scalars(select(Item).where(Item.id.in_(ids[half:])).order_by(Item.id)))
            _change(session, items, department, when)
            written = flush_column_changes(session, items)
    finally:
        event.remove(store.engine, "before_cursor_execute", seen)
    rows = _snapshot(store)
    by_orm, by_batch = rows[:half], rows[half:]
    assert [r[1:] for r in by_batch] == [r[1:] for r in by_orm]
    assert by_batch[1][2] == department_id
    assert by_batch[1][3] == when + timedelta(hours=1)
    if store.engine.dialect.name == "postgresql":
        assert written == half
        # One UPDATE per distinct set of changed columns (route; route+department+due; route+priority+tags;
        # all five), and none from the session's own flush.
        assert statements.count("UPDATE") == 4
    else:
        assert written == 0  # SQLite: left to the ORM


def test_batch_flush_skips_deleted_rows_and_leaves_other_changes_to_the_orm(store: Store) -> None:
    ids = _add(store, 3)
    with store.write() as session:
        items = list(session.scalars(select(Item).where(Item.id.in_(ids)).order_by(Item.id)))
        items[0].route = {"by": "setting"}
        session.delete(items[1])
        written = flush_column_changes(session, items)
    with store.read() as session:
        stored = {i.id: i.route for i in session.scalars(select(Item))}
    assert stored == {ids[0]: {"by": "setting"}, ids[2]: None}
    assert written == (1 if store.engine.dialect.name == "postgresql" else 0)
