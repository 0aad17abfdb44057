"""Store prepared rows as *updates, not duplicates*: new items are added, known ones updated in place.

An incoming row is the same item as a stored one when it carries the same platform key (whatever source
brought either: ``item_keys``) or the same source and dedup key. A known item whose text, title or rating
changed on the platform is updated in place and its previous version kept in ``item_revisions``; the
caller gets its id back as *updated*, so the analysis runs again. A copy older than the stored one (by
the platform's edit time) never rolls an edit back. A business reply posted on the platform is stored as
an imported reply (``replies``, no user) and sets ``responded_at``.

New items still take the bulk path (``insert_rows_keyed``); the extra work is one look-up of the batch's
platform keys, and only rows that were not new are compared with what is stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from voxpop.ingest.bulk import insert_rows, insert_rows_keyed
from voxpop.store.erasure import ERASED
from voxpop.store.models import Item
from voxpop.store.models.history import ItemKey, ItemRevision
from voxpop.store.models.replies import Reply

IMPORTED = "imported"  # the origin and delivery of a reply that came with the item from its platform
_CONTENT = ("text", "title", "rating_raw", "rating_min", "rating_max", "rating")
_KEYS = cast(Table, ItemKey.__table__)
_ITEMS = cast(Table, Item.__table__)


@dataclass
class Stored:
    added: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)
    duplicates: int = 0


def store_rows(session: Session, rows: Sequence[dict[str, Any]]) -> Stored:
    """Add the new rows, update the known ones that changed; inside the caller's transaction.

    The common case — a batch of new rows without platform keys — is one bulk insert and nothing else.
    """
    result = Stored()
    if not rows:
        return result
    keyed = {row["platform_key"] for row in rows if row.get("platform_key")}
    known: dict[str, tuple[int, datetime | None]] = {}
    if keyed:
        known = {key: (item_id, edited) for key, item_id, edited in session.execute(_key_rows(sorted(keyed)))}
    positions = [n for n, row in enumerate(rows) if row.get("platform_key") not in known] if known else None
    fresh = rows if positions is None else [rows[n] for n in positions]
    if not keyed:
        ids = insert_rows(session, fresh)
        if len(ids) == len(fresh):
            result.added = ids
            return result
        inserted = _keys_of(session, ids)
    else:
        inserted = insert_rows_keyed(session, fresh)
    # Each inserted (source, dedup key) belongs to its first row in the batch; later rows with the same
    # key, and rows whose key was already stored, are items seen before.
    by_where = {(source_id, dedup): item_id for item_id, source_id, dedup in inserted}
    again: list[tuple[int, dict[str, Any]]] = [
        (n, row) for n, row in enumerate(rows) if row.get("platform_key") in known
    ]
    new: list[tuple[int, dict[str, Any], int]] = []
    for n, row in zip(positions if positions is not None else range(len(rows)), fresh, strict=True):
        item_id = by_where.pop(_where(row), None)
        if item_id is not None:
            new.append((n, row, item_id))
        elif row.get("platform_key") or not row["dedup_key"].startswith("sha:"):  # content-keyed: no versions
            again.append((n, row))
    lost = _claim_keys(
        session, [(row["platform_key"], i, row["edited_at"]) for _, row, i in new if row.get("platform_key")]
    )
    if lost:  # the same platform id twice in this batch, or another writer stored it at the same moment
        session.execute(delete(Item).where(Item.id.in_(lost)))
        again += [(n, row) for n, row, i in new if i in lost]
        new = [(n, row, i) for n, row, i in new if i not in lost]
    if keyed:
        known = {key: (item_id, edited) for key, item_id, edited in session.execute(_key_rows(sorted(keyed)))}
    added = {i for _, _, i in new}
    result.added = sorted(added)
    replied = [(row, i) for _, row, i in new if row["reply_text"]]
    _import_replies(session, [row for row, _ in replied], {_where(row): i for row, i in replied}, fresh=True)
    if again:
        again.sort(key=lambda pair: pair[0])  # in file order, so the last copy of an item is the one kept
        result.updated = _update_known(session, [row for _, row in again], known, added)
    result.duplicates = len(rows) - len(result.added) - len(result.updated)
    return result


def _keys_of(session: Session, ids: list[int]) -> list[tuple[int, int, str]]:
    """(id, source_id, dedup_key) of the items just inserted."""
    found = session.execute(select(Item.id, Item.source_id, Item.dedup_key).where(Item.id.in_(ids)))
    return sorted((int(i), int(s), str(d)) for i, s, d in found)


def _where(row: dict[str, Any]) -> tuple[int, str]:
    return (row["source_id"], row["dedup_key"])


def _key_rows(keys: list[str]) -> Any:
    return select(ItemKey.platform_key, ItemKey.item_id, ItemKey.edited_at).where(ItemKey.platform_key.in_(keys))


def _claim_keys(session: Session, keys: list[tuple[str, int, datetime | None]]) -> set[int]:
    """Record the platform keys of new items; returns the ids of new items whose key was already taken."""
    if not keys:
        return set()
    values = [{"platform_key": k, "item_id": i, "edited_at": e} for k, i, e in keys]
    insert = sqlite.insert if session.connection().dialect.name == "sqlite" else postgresql.insert
    stmt = insert(_KEYS).on_conflict_do_nothing(index_elements=["platform_key"])
    session.execute(stmt, values)
    mine = session.execute(select(ItemKey.item_id).where(ItemKey.item_id.in_([i for _, i, _ in keys]))).scalars()
    return {i for _, i, _ in keys} - set(mine)


def _update_known(
    session: Session, rows: list[dict[str, Any]], known: dict[str, tuple[int, datetime | None]], added: set[int]
) -> list[int]:
    """Compare rows with their stored items; update those that changed; returns the updated ids."""
    by_source = [_where(row) for row in rows if row.get("platform_key") not in known]
    ids_by_where: dict[tuple[int, str], int] = {}
    if by_source:
        found = session.execute(
            select(Item.source_id, Item.dedup_key, Item.id).where(
                tuple_(Item.source_id, Item.dedup_key).in_(sorted(set(by_source)))
            )
        )
        ids_by_where = {(s, d): i for s, d, i in found}
    targets: dict[int, dict[str, Any]] = {}  # item id → the newest incoming row for it
    for row in rows:
        key = row.get("platform_key")
        item_id = known[key][0] if key in known else ids_by_where.get(_where(row))
        if item_id is None:
            continue
        current = targets.get(item_id)
        if current is None or _newer(row, current):
            targets[item_id] = row
    if not targets:
        return []
    stored = {
        item.id: item
        for item in session.execute(
            select(
                Item.id, Item.created_at, Item.responded_at, Item.source_id, *(getattr(Item, c) for c in _CONTENT)
            ).where(Item.id.in_(list(targets)))
        )
    }
    edited = {key: edited_at for key, (_, edited_at) in known.items()}
    now = datetime.now(UTC)
    changes: list[dict[str, Any]] = []
    revisions: list[dict[str, Any]] = []
    key_times: list[dict[str, Any]] = []
    replies: list[tuple[int, dict[str, Any]]] = []
    for item_id, row in targets.items():
        old = stored.get(item_id)
        if old is None or old.text == ERASED:
            continue  # gone, or erased at the customer's request: an old export must not bring it back
        last_edit = edited.get(row.get("platform_key") or "")
        incoming_edit = row.get("edited_at")
        if last_edit is not None and incoming_edit is not None and incoming_edit < last_edit:
            continue  # an older copy of the item: keep the newer version stored
        if row["reply_text"]:
            replies.append((item_id, row))
        if all(_same(getattr(old, c), row[c]) for c in _CONTENT):
            continue
        revisions.append(
            {
                "item_id": item_id,
                "source_id": old.source_id,
                **{c: getattr(old, c) for c in _CONTENT},
                "written_at": last_edit or old.created_at,
                "replaced_at": now,
            }
        )
        changes.append({"_id": item_id, **{f"_{c}": row[c] for c in _CONTENT}, "_raw": row["raw"], "_now": now})
        if row.get("platform_key") and incoming_edit is not None:
            key_times.append({"_key": row["platform_key"], "_edited": incoming_edit})
    if revisions:
        session.execute(cast(Table, ItemRevision.__table__).insert(), revisions)
        session.execute(
            update(_ITEMS)
            .where(_ITEMS.c.id == bindparam("_id"))
            .values(
                **{c: bindparam(f"_{c}") for c in _CONTENT},
                raw=bindparam("_raw"),
                updated_at=bindparam("_now"),
                analyzed_at=None,
            ),
            changes,
        )
    if key_times:
        session.execute(
            update(_KEYS).where(_KEYS.c.platform_key == bindparam("_key")).values(edited_at=bindparam("_edited")),
            key_times,
        )
    _import_replies(session, [row for _, row in replies], {_where(row): i for i, row in replies}, fresh=False)
    return sorted(c["_id"] for c in changes if c["_id"] not in added)


def _newer(row: dict[str, Any], than: dict[str, Any]) -> bool:
    a, b = row.get("edited_at"), than.get("edited_at")
    return a is None or b is None or a >= b


def _same(old: Any, new: Any) -> bool:
    if old is None or new is None:
        return old is new
    if isinstance(old, float) or isinstance(new, float):
        return abs(float(old) - float(new)) < 1e-9
    return bool(old == new)


def _import_replies(
    session: Session, rows: list[dict[str, Any]], ids: dict[tuple[int, str], int], *, fresh: bool
) -> None:
    """Store each row's platform reply once per item (updated when it changed) and set ``responded_at``
    (new items got it with their insert)."""
    targets = {ids[_where(row)]: row for row in rows if _where(row) in ids}
    if not targets:
        return
    existing: dict[int, tuple[int, str]] = {}
    if not fresh:
        found = session.execute(
            select(Reply.id, Reply.item_id, Reply.text).where(
                Reply.item_id.in_(list(targets)), Reply.origin == IMPORTED
            )
        )
        existing = {item_id: (reply_id, text) for reply_id, item_id, text in found}
    found_times = session.execute(select(Item.id, Item.created_at).where(Item.id.in_(list(targets))))
    created: dict[int, datetime] = {row[0]: row[1] for row in found_times}
    new: list[dict[str, Any]] = []
    answered: list[dict[str, Any]] = []
    for item_id, row in targets.items():
        sent = row["responded_at"]
        if item_id in existing:
            reply_id, text = existing[item_id]
            if text != row["reply_text"]:
                session.execute(update(Reply).where(Reply.id == reply_id).values(text=row["reply_text"], sent_at=sent))
            continue
        seconds = max(0, int((sent - created[item_id]).total_seconds())) if item_id in created else None
        new.append(
            {
                "item_id": item_id,
                "user_id": None,
                "origin": IMPORTED,
                "text": row["reply_text"],
                "sent_at": sent,
                "response_seconds": seconds,
                "delivery": IMPORTED,
                "tone_flags": [],
                "tone_overridden": False,
            }
        )
        answered.append({"_id": item_id, "_sent": sent})
    if new:
        session.execute(cast(Table, Reply.__table__).insert(), new)
    if answered and not fresh:
        session.execute(
            update(_ITEMS)
            .where(_ITEMS.c.id == bindparam("_id"), _ITEMS.c.responded_at.is_(None))
            .values(responded_at=bindparam("_sent")),
            answered,
        )
