"""Sending a reply (stored, item responded, response time, scoped, tone-checked, send-anyway recorded,
posted where a connector can) and the suggestions (templates ranked with reasons, past replies)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select

from tests.web.conftest import BASE_TIME, World, add_item
from voxpop.accounts.users import get_user_by_email
from voxpop.act.replies.posting import PostResult, register_poster, unregister_poster
from voxpop.act.replies.send import ReplyInput, ToneCheckFailed, replies_for, send_reply
from voxpop.act.replies.suggest import past_reply_suggestions, template_suggestions
from voxpop.analyze.embeddings import get_embedder
from voxpop.errors import NotFoundError, PermissionDeniedError, ValidationError
from voxpop.store import Store
from voxpop.store.models import AuditEvent, Item, User
from voxpop.store.models.replies import Reply

POLITE = "Hi Maria, I'm so sorry about the late delivery. Please send us your order number and I'll sort it."


def _user(store: Store, email: str) -> User:
    with store.read() as s:
        user = get_user_by_email(s, email)
        s.expunge(user)
        return user


def _negative(store: Store, source: int, department: int, *, minutes: int = 0, **fields: object) -> int:
    values: dict[str, object] = {
        "text": "My parcel arrived a week late and nobody answered my e-mails.",
        "author_name": "Maria Lopez",
        "sentiment": "negative",
        "aspects": [{"name": "delivery", "sentiment": "negative"}],
        "department_id": department,
        "url": "https://maps.google.com/review/1",
    }
    values.update(fields)
    return add_item(store, source, minutes=minutes, **values)


def test_send_stores_the_reply_and_marks_the_item_responded(store: Store, world: World) -> None:
    item_id = _negative(store, world.reviews, world.billing)
    agent = _user(store, "agent@example.com")
    reply = send_reply(store, agent, item_id, ReplyInput(text=POLITE, origin="template"))
    with store.read() as s:
        item = s.get(Item, item_id)
        assert item is not None
        assert item.status == "responded"
        assert item.responded_at is not None
        stored = s.get(Reply, reply.id)
        assert stored is not None
        assert stored.text == POLITE
        assert stored.user_id == agent.id
        assert stored.origin == "template"
        assert stored.delivery == "manual"
        assert stored.posted_to == "https://maps.google.com/review/1"
        assert stored.tone_flags == []
        assert stored.tone_overridden is False
        assert stored.response_seconds == int((item.responded_at - BASE_TIME).total_seconds())
        actions = list(s.scalars(select(AuditEvent.action).where(AuditEvent.object_id == str(item_id))))
        assert "reply_sent" in actions
        assert [r.id for r in replies_for(s, agent, item_id)] == [reply.id]


def test_a_flagged_reply_is_refused_until_sent_anyway(store: Store, world: World) -> None:
    item_id = _negative(store, world.reviews, world.billing)
    agent = _user(store, "agent@example.com")
    rude = "As we already told you, it is not our fault. Calm down."
    with pytest.raises(ToneCheckFailed) as caught:
        send_reply(store, agent, item_id, ReplyInput(text=rude))
    assert caught.value.report.categories() == ["aggressive", "defensive", "dismissive"]
    with store.read() as s:
        assert s.scalar(select(Reply.id)) is None
        item = s.get(Item, item_id)
        assert item is not None
        assert item.status == "new"
    reply = send_reply(store, agent, item_id, ReplyInput(text=rude, send_anyway=True))
    with store.read() as s:
        stored = s.get(Reply, reply.id)
        assert stored is not None
        assert stored.tone_overridden is True
        assert {f["phrase"] for f in stored.tone_flags} == {"As we already told", "it is not our fault", "Calm down"}
        event = s.scalar(select(AuditEvent).where(AuditEvent.action == "reply_tone_overridden"))
        assert event is not None
        assert event.user_id == agent.id
        assert event.detail["reply_id"] == reply.id
        assert "defensive" in event.detail["categories"]


def test_scoping_and_roles(store: Store, world: World) -> None:
    other = _negative(store, world.reviews, world.delivery)
    agent = _user(store, "agent@example.com")
    with pytest.raises(NotFoundError):
        send_reply(store, agent, other, ReplyInput(text=POLITE))
    with pytest.raises(PermissionDeniedError):
        send_reply(store, _user(store, "viewer@example.com"), other, ReplyInput(text=POLITE))
    with pytest.raises(ValidationError, match="empty"):
        send_reply(store, _user(store, "manager@example.com"), other, ReplyInput(text="   "))
    with store.read() as s:
        assert s.scalar(select(Reply.id)) is None
        with pytest.raises(NotFoundError):
            replies_for(s, agent, other)


def test_a_resolved_item_stays_resolved_but_gets_its_response_time(store: Store, world: World) -> None:
    item_id = _negative(store, world.reviews, world.billing, status="resolved")
    send_reply(store, _user(store, "manager@example.com"), item_id, ReplyInput(text=POLITE))
    with store.read() as s:
        item = s.get(Item, item_id)
        assert item is not None
        assert item.status == "resolved"
        assert item.responded_at is not None


@pytest.fixture
def platform_poster() -> Iterator[list[str]]:
    posted: list[str] = []

    def poster(store: Store, item: Item, text: str) -> PostResult:
        posted.append(text)
        return PostResult(posted=True, url=f"https://platform.example/reply/{item.id}", external_id="r-1")

    register_poster("testplatform", poster)
    yield posted
    unregister_poster("testplatform")


def test_a_connector_that_can_post_does(store: Store, world: World, platform_poster: list[str]) -> None:
    item_id = _negative(store, world.reviews, world.billing, channel="testplatform")
    reply = send_reply(store, _user(store, "agent@example.com"), item_id, ReplyInput(text=POLITE))
    assert platform_poster == [POLITE]
    assert reply.delivery == "posted"
    assert reply.posted_to == f"https://platform.example/reply/{item_id}"
    assert reply.external_id == "r-1"


def test_a_failing_connector_keeps_the_reply_for_posting_by_hand(store: Store, world: World) -> None:
    def broken(store: Store, item: Item, text: str) -> PostResult:
        raise ConnectionError("platform down")

    register_poster("brokenplatform", broken)
    try:
        item_id = _negative(store, world.reviews, world.billing, channel="brokenplatform")
        reply = send_reply(store, _user(store, "agent@example.com"), item_id, ReplyInput(text=POLITE))
    finally:
        unregister_poster("brokenplatform")
    assert reply.delivery == "manual"
    assert reply.posted_to == "https://maps.google.com/review/1"
    with store.read() as s:
        event = s.scalar(select(AuditEvent).where(AuditEvent.action == "reply_sent"))
        assert event is not None
        assert "ConnectionError" in event.detail["post_error"]


def test_template_suggestions_rank_with_reasons(store: Store, world: World) -> None:
    negative = _negative(store, world.reviews, world.billing)
    positive = add_item(
        store, world.reviews, minutes=1, text="Lovely shop!", author_name="Ann Lee", sentiment="positive"
    )
    spanish = _negative(store, world.reviews, world.billing, minutes=2, language="es", text="El paquete llegó tarde.")
    question = add_item(store, world.reviews, minutes=3, text="Do you ship to Canada?", is_question=True)
    agent = _user(store, "admin@example.com")
    with store.write() as s:
        got = template_suggestions(s, s.get(Item, negative), agent, business="Acme")  # type: ignore[arg-type]
        assert got[0].reason == "template 'apology — delivery' matches negative + delivery"
        assert got[0].text.startswith("Hi Maria, I'm so sorry your delivery let you down")
        assert got[0].text.endswith("Ada")
        assert all(s.kind == "template" and s.template_id for s in got)
        assert "thanks" not in " ".join(x.reason for x in got)
        got = template_suggestions(s, s.get(Item, positive), agent)  # type: ignore[arg-type]
        assert got[0].reason.startswith("template 'thanks")
        assert "positive" in got[0].reason
        assert got[0].text.startswith("Hi Ann")
        got = template_suggestions(s, s.get(Item, spanish), agent)  # type: ignore[arg-type]
        assert got[0].reason == "template 'apology — delivery' matches negative + delivery + es"
        assert got[0].text.startswith("Hola Maria, siento mucho")
        got = template_suggestions(s, s.get(Item, question), agent)  # type: ignore[arg-type]
        assert got[0].reason.startswith("template 'answer")
        assert "a question" in got[0].reason


def test_past_reply_suggestions_by_similarity(store: Store, world: World, models_home: Path) -> None:
    embedder = get_embedder(store.settings.model_copy(update={"model_dir": models_home / "models"}))
    admin = _user(store, "admin@example.com")
    late = _negative(store, world.reviews, world.billing, minutes=1, author_name="Maria Lopez")
    food = add_item(
        store, world.reviews, minutes=2, text="The pizza was cold and tasted of cardboard.", department_id=world.billing
    )
    hidden = _negative(store, world.reviews, world.delivery, minutes=3, text="My parcel arrived a week late.")
    rude = _negative(store, world.reviews, world.billing, minutes=4, text="Parcel late again, a week!")
    send_reply(store, admin, late, ReplyInput(text=POLITE))
    send_reply(store, admin, food, ReplyInput(text="Sorry the pizza was cold, we'd love to cook you another."))
    send_reply(store, admin, hidden, ReplyInput(text="Reply to another department's item."))
    send_reply(store, admin, rude, ReplyInput(text="Not our fault.", send_anyway=True))
    new = _negative(
        store, world.reviews, world.billing, minutes=5, text="Parcel came eight days late!", author_name="Tom Hart"
    )
    agent = _user(store, "agent@example.com")
    got = past_reply_suggestions(store, new, agent, encode=embedder.encode, model=embedder.fingerprint)
    assert got, "the reply to the similar item is offered"
    assert got[0].kind == "past_reply"
    assert got[0].text.startswith("Hi Tom, I'm so sorry about the late delivery")
    assert got[0].reason.startswith("Ada Admin's reply to a similar review (0.")
    texts = [g.text for g in got]
    assert not any("another department" in t or "Not our fault" in t for t in texts)
    assert [g.score for g in got] == sorted((g.score for g in got), reverse=True)
    with store.read() as s:
        vectors = list(s.scalars(select(Reply.item_vector).where(Reply.item_vector.is_not(None))))
    assert len(vectors) == 2  # the agent's visible, not-overridden replies; cached for next time
    assert np.frombuffer(vectors[0] or b"", dtype=np.float32).shape == (384,)


def test_replies_imported_from_the_platform_are_suggested_too(store: Store, world: World, models_home: Path) -> None:
    embedder = get_embedder(store.settings.model_copy(update={"model_dir": models_home / "models"}))
    old = _negative(store, world.reviews, world.billing, minutes=1)
    with store.write() as s:
        s.add(Reply(item_id=old, origin="imported", delivery="imported", text=POLITE, tone_flags=[]))
    new = _negative(store, world.reviews, world.billing, minutes=2, text="The parcel was a week late.")
    got = past_reply_suggestions(
        store, new, _user(store, "agent@example.com"), encode=embedder.encode, model=embedder.fingerprint
    )
    assert got[0].reason.startswith("your team's earlier reply on google to a similar review (0.")
