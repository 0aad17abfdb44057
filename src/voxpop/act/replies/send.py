"""Sending a reply: tone-checked, stored, the item marked responded and its response time recorded.

The agent must be able to see the item (``act.inbox.get_item`` — another department's item is a 404).
A reply the tone check flags is refused unless the agent chooses to send it anyway; that choice is kept
on the reply and in the audit log. Where a connector can post to the platform it does (outside any
database transaction); otherwise the reply is stored for the agent to copy and post by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from voxpop.accounts.audit import record
from voxpop.accounts.permissions import require_write
from voxpop.act import workflow
from voxpop.act.inbox import get_item
from voxpop.act.replies.posting import post_reply
from voxpop.act.replies.tone import ToneReport, check_tone
from voxpop.act.replies.tone_model import ToneModel
from voxpop.errors import ValidationError
from voxpop.store import Store
from voxpop.store.models import Item, ItemStatus, User
from voxpop.store.models.replies import Reply, ReplyTemplate
from voxpop.store.types import utcnow

MAX_REPLY = 10_000
ORIGINS = ("manual", "template", "past_reply", "ai_draft")


class ToneCheckFailed(ValidationError):
    """The reply has flagged phrases and the agent did not choose to send it anyway."""

    def __init__(self, report: ToneReport) -> None:
        self.report = report
        kinds = ", ".join(report.categories())
        super().__init__(f"the tone check flagged this reply ({kinds}); soften it, or send it anyway")


@dataclass
class ReplyInput:
    text: str
    send_anyway: bool = False
    template_id: int | None = None
    origin: str = "manual"


def _clean(data: ReplyInput) -> str:
    text = data.text.replace("\r\n", "\n").strip()
    if not text:
        raise ValidationError("text: the reply is empty")
    if len(text) > MAX_REPLY:
        raise ValidationError(f"text: the reply is {len(text)} characters long; the limit is {MAX_REPLY}")
    if data.origin not in ORIGINS:
        raise ValidationError(f"origin: choose one of {', '.join(ORIGINS)}")
    return text


def _mark_responded(session: Session, item: Item, user: User) -> None:
    if item.status == ItemStatus.responded.value:
        return
    if ItemStatus.responded.value in workflow.TRANSITIONS.get(item.status, frozenset()):
        workflow.set_status(session, item, ItemStatus.responded.value, user)
    elif item.responded_at is None:
        # A resolved (or ignored) item keeps its status; the first response is still stamped.
        item.responded_at = utcnow()


def send_reply(store: Store, user: User, item_id: int, data: ReplyInput, *, model: ToneModel | None = None) -> Reply:
    """Check (with the learned ``model`` too, when given), post where a connector can, and store the reply."""
    require_write(user)
    text = _clean(data)
    with store.read() as session:
        item = get_item(session, user, item_id)
        report = check_tone(text, model)
        if not report.ok and not data.send_anyway:
            raise ToneCheckFailed(report)
        posted = post_reply(store, item, text)
    with store.write() as session:
        item = get_item(session, user, item_id)
        template_id = data.template_id if data.template_id and session.get(ReplyTemplate, data.template_id) else None
        now = utcnow()
        reply = Reply(
            item_id=item.id,
            user_id=user.id,
            template_id=template_id,
            origin=data.origin,
            text=text,
            sent_at=now,
            response_seconds=max(0, int((now - item.created_at).total_seconds())),
            delivery="posted" if posted is not None and posted.posted else "manual",
            posted_to=(posted.url if posted is not None else None) or item.url,
            external_id=posted.external_id if posted is not None else None,
            tone_flags=[f.as_dict() for f in report.flags],
            tone_overridden=not report.ok,
        )
        session.add(reply)
        _mark_responded(session, item, user)
        session.flush()
        detail: dict[str, Any] = {"reply_id": reply.id, "delivery": reply.delivery}
        if posted is not None and not posted.posted:
            detail["post_error"] = posted.error or "the platform refused the reply"
        record(session, "reply_sent", user=user, object_type="item", object_id=item.id, **detail)
        if not report.ok:
            record(
                session,
                "reply_tone_overridden",
                user=user,
                object_type="item",
                object_id=item.id,
                reply_id=reply.id,
                categories=report.categories(),
                phrases=[f.phrase for f in report.flags],
            )
        session.expunge(reply)
        return reply


def replies_for(session: Session, user: User, item_id: int) -> list[Reply]:
    """The replies sent for an item the user can see, oldest first."""
    item = get_item(session, user, item_id)
    return list(session.scalars(select(Reply).where(Reply.item_id == item.id).order_by(Reply.sent_at, Reply.id)))
