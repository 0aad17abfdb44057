"""Reply suggestions for an item: the best-fitting templates and the team's best past replies to
similar items, filled in, each with the reason it was suggested.

Templates score by language, sentiment, aspect, channel and purpose (a question wants an answer).
Past replies rank by the similarity of the item they answered to this one (MiniLM embeddings). The
answered item's vector is cached on the reply (``item_vector``), so each old item is embedded once.
Only replies to items the agent may see are offered, and never one sent over a tone warning.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from voxpop.act.inbox import get_item, visible_to
from voxpop.act.replies.sandbox import render_template
from voxpop.act.replies.templates import ensure_library, item_values
from voxpop.errors import ValidationError
from voxpop.store import Store
from voxpop.store.models import Item, User
from voxpop.store.models.replies import Reply, ReplyTemplate

MIN_SIMILARITY = 0.5
#: Encodes texts into unit vectors; ``voxpop.analyze.embeddings.get_embedder(settings).encode`` in the app.
Encode = Callable[[Sequence[str]], np.ndarray]


@dataclass
class Suggestion:
    kind: str  # "template" or "past_reply"
    text: str
    reason: str
    score: float
    template_id: int | None = None
    reply_id: int | None = None


def _score_template(t: ReplyTemplate, item: Item, language: str, vertical: str) -> tuple[float, list[str]] | None:
    """A template's fit to the item and the words of its reason; None when it does not apply."""
    score = 0.0
    why: list[str] = []
    if t.language == language:
        score += 3
    elif t.language == "en":
        score += 0.5  # English as the fallback when nothing is written in the item's language
    else:
        return None
    if t.sentiment:
        if t.sentiment != item.sentiment:
            return None
        score += 3
        why.append(t.sentiment)
    aspects = [str(a.get("name")) for a in item.aspects or [] if a.get("name")]
    if t.aspect:
        if t.aspect not in aspects:
            return None
        score += 3 + (1 if aspects and aspects[0] == t.aspect else 0)
        why.append(t.aspect)
    if t.channel:
        if t.channel != item.channel:
            return None
        score += 1
        why.append(t.channel)
    if t.purpose == "answer":
        if not item.is_question:
            return None
        score += 4
        why.append("a question")
    if t.vertical and t.vertical == vertical:
        score += 0.5
    if t.language == language and language != "en":
        why.append(language)
    return score, why


def template_suggestions(
    session: Session, item: Item, user: User, *, business: str = "", vertical: str = "general", limit: int = 3
) -> list[Suggestion]:
    ensure_library(session)
    language = (item.language or "en").lower()
    values = item_values(item, user, business=business)
    scored: list[tuple[float, ReplyTemplate, list[str]]] = []
    for template in session.scalars(select(ReplyTemplate)):
        fit = _score_template(template, item, language, vertical)
        if fit is not None:
            scored.append((fit[0], template, fit[1]))
    scored.sort(key=lambda s: (-s[0], s[1].name))
    out: list[Suggestion] = []
    seen: set[str] = set()
    for score, template, why in scored:
        if template.name in seen:
            continue
        seen.add(template.name)
        try:
            text = render_template(template.body, values)
        except ValidationError:
            continue  # a template stored by other means that fails the check is never shown
        reason = f"template '{template.name}'" + (f" matches {' + '.join(why)}" if why else " fits any item")
        out.append(Suggestion("template", text, reason, score, template_id=template.id))
        if len(out) == limit:
            break
    return out


def _greeted_name(item: Item) -> str:
    return item_values(item, None)["first_name"]


def _vectors(session: Session, replies: list[Reply], items: dict[int, Item], encode: Encode, model: str) -> None:
    """Fill in the cached item vectors that are missing or from another model."""
    stale = [r for r in replies if r.item_vector is None or r.vector_model != model]
    if not stale:
        return
    vectors = encode([items[r.item_id].text or "" for r in stale])
    for reply, vector in zip(stale, vectors, strict=True):
        reply.item_vector = np.asarray(vector, dtype=np.float32).tobytes()
        reply.vector_model = model


def past_reply_suggestions(
    store: Store, item_id: int, user: User, *, encode: Encode, model: str, limit: int = 3
) -> list[Suggestion]:
    """The team's replies to the items most like this one, the old greeting swapped for this customer's."""
    with store.write() as session:
        item = get_item(session, user, item_id)
        query = (
            select(Reply, Item)
            .join(Item, Item.id == Reply.item_id)
            .where(Reply.item_id != item.id, Reply.tone_overridden.is_(False))
        )
        scope = visible_to(user)
        if scope is not None:
            query = query.where(scope)
        rows = session.execute(query).all()
        if not rows:
            return []
        replies = [r for r, _ in rows]
        items = {i.id: i for _, i in rows}
        _vectors(session, replies, items, encode, model)
        target = np.asarray(encode([item.text or ""])[0], dtype=np.float32)
        authors = {u.id: u for u in session.scalars(select(User).where(User.id.in_({r.user_id for r in replies})))}
        ranked = sorted(
            ((float(np.frombuffer(r.item_vector or b"", dtype=np.float32) @ target), r) for r in replies),
            key=lambda pair: (-pair[0], -pair[1].id),
        )
        new_name = _greeted_name(item)
        out: list[Suggestion] = []
        for similarity, reply in ranked:
            if similarity < MIN_SIMILARITY or len(out) == limit:
                break
            author = authors.get(reply.user_id) if reply.user_id else None
            if reply.origin == "imported":  # answered on the platform itself, brought in by an import
                who = f"your team's earlier reply on {items[reply.item_id].channel}"
            else:
                name = (author.name or author.email) if author is not None else "a former colleague"
                who = f"{name}'s reply"
            text = reply.text
            old_name = _greeted_name(items[reply.item_id])
            if old_name:
                text = re.sub(rf"\b{re.escape(old_name)}\b", new_name or "there", text, count=1)
            kind = items[reply.item_id].kind
            reason = f"{who} to a similar {kind} ({similarity:.2f} similar)"
            out.append(Suggestion("past_reply", text, reason, similarity, reply_id=reply.id))
        return out
