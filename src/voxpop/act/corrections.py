"""Agents correct what the analysis said about an item: its sentiment, its aspects, its department.

A correction shows on the item at once, is kept by every later re-analysis (``analysis["corrected"]``
lists the corrected fields), is audited, and becomes training data: ``sentiment_examples`` feeds
``voxpop model fit sentiment``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from voxpop.accounts.audit import record
from voxpop.accounts.permissions import require_write
from voxpop.act.inbox import get_item
from voxpop.errors import ValidationError
from voxpop.store.models import Correction, Department, Item, User

SENTIMENTS = ("negative", "neutral", "positive")
SCORE_OF = {"negative": -1.0, "neutral": 0.0, "positive": 1.0}
_KEEP = object()


@dataclass
class CorrectionInput:
    """What the person changed; ``None`` leaves a field as it is (department: ``_KEEP``)."""

    sentiment: str | None = None
    aspects: Sequence[str] | None = None
    department_id: int | object | None = _KEEP


def correct_item(
    session: Session,
    viewer: User,
    item_id: int,
    change: CorrectionInput,
    *,
    aspect_names: Sequence[str] | None = None,
) -> list[Correction]:
    """Apply ``change`` to the item (which the viewer must be allowed to see and change) and return the
    corrections recorded — none when nothing actually differs. ``aspect_names`` are the names the app's
    taxonomy knows; an aspect outside them is refused."""
    require_write(viewer)
    item = get_item(session, viewer, item_id)
    made: list[Correction] = []
    if change.sentiment is not None and change.sentiment != item.sentiment:
        if change.sentiment not in SENTIMENTS:
            raise ValidationError(f"sentiment must be one of {', '.join(SENTIMENTS)}")
        made.append(_note(item, viewer, "sentiment", change.sentiment, item.sentiment))
        item.sentiment = change.sentiment
        item.sentiment_score = SCORE_OF[change.sentiment]
        item.sentiment_confidence = 1.0
    if change.aspects is not None:
        names = list(dict.fromkeys(a.strip() for a in change.aspects if a.strip()))
        unknown = [n for n in names if aspect_names is not None and n not in aspect_names]
        if unknown:
            raise ValidationError(f"unknown aspect {unknown[0]!r}; the taxonomy has: {', '.join(aspect_names or [])}")
        before = [a.get("name") for a in item.aspects or []]
        if names != before:
            made.append(_note(item, viewer, "aspects", names, before))
            item.aspects = _aspects(item, names)
    if change.department_id is not _KEEP and change.department_id != item.department_id:
        new_id = change.department_id
        if new_id is not None and (not isinstance(new_id, int) or session.get(Department, new_id) is None):
            raise ValidationError(f"no department {new_id}")
        made.append(_note(item, viewer, "department", new_id, item.department_id))
        item.department_id = new_id
    if made:
        analysis = dict(item.analysis or {})
        analysis["corrected"] = sorted(set(analysis.get("corrected", [])) | {c.field for c in made})
        item.analysis = analysis
        session.add_all(made)
        record(
            session,
            "item_corrected",
            user=viewer,
            object_type="item",
            object_id=item.id,
            changes={c.field: {"from": c.previous, "to": c.value} for c in made},
        )
    return made


def _note(item: Item, viewer: User, field: str, value: Any, previous: Any) -> Correction:
    return Correction(item_id=item.id, user_id=viewer.id, field=field, value=value, previous=previous)


def _aspects(item: Item, names: list[str]) -> list[dict[str, Any]]:
    """Keep what the analysis knew of an aspect that stays; a new one takes the item's sentiment."""
    known = {a.get("name"): a for a in item.aspects or []}
    fallback = {"sentiment": item.sentiment or "neutral", "score": item.sentiment_score or 0.0}
    return [known.get(name) or {"name": name, **fallback} for name in names]


def sentiment_examples(session: Session) -> list[tuple[str, str]]:
    """(text, label) for every item whose sentiment a person corrected — the latest correction wins."""
    latest: dict[int, str] = {}
    rows = session.execute(
        select(Correction.item_id, Correction.value).where(Correction.field == "sentiment").order_by(Correction.id)
    )
    for item_id, value in rows:
        latest[item_id] = str(value)
    if not latest:
        return []
    texts: dict[int, str] = dict(session.execute(select(Item.id, Item.text).where(Item.id.in_(latest))).all())
    return [(texts[i], label) for i, label in latest.items() if i in texts]


def corrected_fields(item: Item) -> set[str]:
    return set((item.analysis or {}).get("corrected", []))
