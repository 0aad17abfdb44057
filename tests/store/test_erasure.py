"""Erasing a customer removes their words and contact details everywhere, keeps the numbers, and a
re-import does not bring the words back."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from voxpop.errors import NotFoundError
from voxpop.ingest.records import ItemRecord
from voxpop.ingest.writer import get_or_create_source, write_batch
from voxpop.store import Store
from voxpop.store.erasure import ERASED, erase_customer
from voxpop.store.models import AuditEvent, Customer, Item
from voxpop.store.models.loop import Idea, IdeaComment, Identity, Survey, SurveyResponse
from voxpop.store.models.replies import Reply
from voxpop.store.models.routing import ItemNote
from voxpop.store.models.topics import ItemEmbedding


def _records() -> list[ItemRecord]:
    return [
        ItemRecord(
            external_id="g1",
            text="Ana here: my refund is 3 weeks late",
            author_name="Ana Ruiz",
            rating=1,
            author_email="ana@example.com",
        ),
        ItemRecord(external_id="g2", text="Lovely staff", author_name="Bo", rating=5, author_email="bo@example.com"),
    ]


def test_erasure_keeps_numbers_and_removes_words(store: Store) -> None:
    with store.write() as session:
        source = get_or_create_source(session, "google", kind="file", channel="google")
        write_batch(session, source, _records())
        ana_item = session.scalar(select(Item).where(Item.external_id == "g1"))
        assert ana_item is not None
        assert ana_item.customer_id is not None
        ana_item.sentiment = "negative"
        session.add(Reply(item_id=ana_item.id, text="Sorry Ana, we are on it", response_seconds=3600))
        session.add(ItemNote(item_id=ana_item.id, text="Ana called twice, very upset"))
        session.add(ItemEmbedding(item_id=ana_item.id, model="m", vector=bytes(768)))
        identity = Identity(email="ANA@example.com", name="Ana")
        session.add(identity)
        session.flush()
        idea = Idea(title="Oat milk please", identity_id=identity.id)
        session.add(idea)
        session.flush()
        session.add(IdeaComment(idea_id=idea.id, identity_id=identity.id, body="I, Ana, would come daily"))
        survey = Survey(slug="nps", title="NPS")
        session.add(survey)
        session.flush()
        session.add(SurveyResponse(survey_id=survey.id, email="ana@example.com", answers={"1": 2}))
        ana_id = ana_item.id

    report = erase_customer(store, "Ana@Example.com", actor="dpo@example.com")

    assert report.counts["items"] == 1
    assert report.counts["item_embeddings"] == 1
    with store.read() as session:
        item = session.get(Item, ana_id)
        assert session.get(ItemEmbedding, ana_id) is None
        assert item is not None
        assert (item.text, item.author_name, item.customer_id) == (ERASED, None, None)
        assert (item.rating, item.sentiment) == (0.0, "negative")  # the numbers stay
        reply = session.scalar(select(Reply))
        assert reply is not None
        assert reply.text == ERASED
        assert reply.response_seconds == 3600
        assert session.scalar(select(ItemNote.text)) == ERASED
        assert session.scalar(select(IdeaComment.body)) == ERASED
        assert session.scalar(select(Idea.title)) == "Oat milk please"
        identity_email = session.scalar(select(Identity.email))
        assert identity_email is not None
        assert identity_email.endswith("@erased.invalid")
        assert session.scalar(select(SurveyResponse.answers)) == {"1": 2}
        assert session.scalar(select(SurveyResponse.email)) is None
        assert (
            session.scalar(select(func.count()).select_from(Customer).where(Customer.email == "ana@example.com")) == 0
        )
        bo = session.scalar(select(Item).where(Item.external_id == "g2"))
        assert bo is not None
        assert bo.text == "Lovely staff"
        event = session.scalar(select(AuditEvent).where(AuditEvent.action == "customer.erased"))
        assert event is not None
        assert event.actor == "dpo@example.com"
        assert "ana" not in str(event.detail).lower()

    with store.write() as session:  # the same export imported again
        source = get_or_create_source(session, "google", kind="file", channel="google")
        assert write_batch(session, source, _records()).added_ids == []
    with store.read() as session:
        assert session.scalar(select(Item.text).where(Item.id == ana_id)) == ERASED


def test_an_unknown_customer_is_an_error_and_changes_nothing(store: Store) -> None:
    with pytest.raises(NotFoundError):
        erase_customer(store, "nobody@example.com")
    with pytest.raises(NotFoundError):
        erase_customer(store, "#999")


def test_the_command_needs_yes_and_erases(store: Store) -> None:
    from typer.testing import CliRunner

    from tests.conftest import SECRET
    from voxpop.cli import app

    with store.write() as session:
        source = get_or_create_source(session, "google", kind="file", channel="google")
        write_batch(session, source, _records())
    env = {
        "VOXPOP_HOME": str(store.settings.home),
        "VOXPOP_DATABASE_URL": store.settings.database_url,
        "VOXPOP_SECRET_KEY": SECRET,
    }
    runner = CliRunner()
    refused = runner.invoke(app, ["customer", "erase", "bo@example.com"], env=env)
    assert refused.exit_code == 2
    done = runner.invoke(app, ["customer", "erase", "bo@example.com", "--yes"], env=env)
    assert done.exit_code == 0, done.output
    assert "1 items" in done.output
    with store.read() as session:
        assert session.scalar(select(Item.text).where(Item.external_id == "g2")) == ERASED
    missing = runner.invoke(app, ["customer", "erase", "nobody@example.com", "--yes"], env=env)
    assert missing.exit_code == 1
