"""Agents correct the analysis: scoped, audited, kept by re-analysis, and fed to the next sentiment fit."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from tests.web.conftest import World, add_item, login
from voxpop.act.corrections import CorrectionInput, correct_item, sentiment_examples
from voxpop.analyze.pipeline import Analyzer, analyze_items
from voxpop.cli import app
from voxpop.errors import NotFoundError, PermissionDeniedError, ValidationError
from voxpop.store import Store
from voxpop.store.models import AuditEvent, Correction, Item, User

ASPECTS = ("delivery", "price", "staff")


def _user(store: Store, email: str) -> User:
    with store.read() as session:
        user = session.scalar(select(User).where(User.email == email))
        assert user is not None
        return user


def _item(store: Store, item_id: int) -> Item:
    with store.read() as session:
        item = session.get(Item, item_id)
        assert item is not None
        return item


def test_agent_corrects_sentiment_aspects_and_department(store: Store, world: World) -> None:
    item_id = add_item(
        store,
        world.reviews,
        text="The courier left my order at the wrong door.",
        department_id=world.billing,
        sentiment="neutral",
        sentiment_score=0.05,
        aspects=[{"name": "price", "sentiment": "neutral", "score": 0.0}],
    )
    agent = _user(store, "agent@example.com")
    with store.write() as session:
        made = correct_item(
            session,
            agent,
            item_id,
            CorrectionInput(sentiment="negative", aspects=["delivery"], department_id=world.delivery),
            aspect_names=ASPECTS,
        )
    assert {c.field for c in made} == {"sentiment", "aspects", "department"}
    item = _item(store, item_id)
    assert (item.sentiment, item.sentiment_score, item.sentiment_confidence) == ("negative", -1.0, 1.0)
    assert [a["name"] for a in item.aspects or []] == ["delivery"]
    assert item.department_id == world.delivery
    assert (item.analysis or {})["corrected"] == ["aspects", "department", "sentiment"]
    with store.read() as session:
        stored = {c.field: (c.previous, c.value) for c in session.scalars(select(Correction))}
        event = session.scalar(select(AuditEvent).where(AuditEvent.action == "item_corrected"))
    assert stored["sentiment"] == ("neutral", "negative")
    assert stored["department"] == (world.billing, world.delivery)
    assert event is not None
    assert event.object_id == str(item_id)
    assert event.actor == "agent@example.com"


def test_nothing_changed_records_nothing(store: Store, world: World) -> None:
    item_id = add_item(store, world.reviews, department_id=world.billing, sentiment="positive")
    with store.write() as session:
        made = correct_item(session, _user(store, "agent@example.com"), item_id, CorrectionInput(sentiment="positive"))
    assert made == []
    assert (_item(store, item_id).analysis or {}).get("corrected") is None


def test_scoping_roles_and_bad_values(store: Store, world: World) -> None:
    theirs = add_item(store, world.reviews, minutes=1, department_id=world.delivery)
    mine = add_item(store, world.reviews, minutes=2, department_id=world.billing)
    agent = _user(store, "agent@example.com")
    with store.write() as session, pytest.raises(NotFoundError):
        correct_item(session, agent, theirs, CorrectionInput(sentiment="negative"))
    with store.write() as session, pytest.raises(PermissionDeniedError):
        correct_item(session, _user(store, "viewer@example.com"), mine, CorrectionInput(sentiment="negative"))
    with store.write() as session, pytest.raises(ValidationError, match="sentiment must be one of"):
        correct_item(session, agent, mine, CorrectionInput(sentiment="furious"))
    with store.write() as session, pytest.raises(ValidationError, match="unknown aspect 'weather'"):
        correct_item(session, agent, mine, CorrectionInput(aspects=["weather"]), aspect_names=ASPECTS)
    with store.write() as session, pytest.raises(ValidationError, match="no department 999"):
        correct_item(session, agent, mine, CorrectionInput(department_id=999))
    assert _item(store, mine).sentiment is None


def test_latest_correction_is_the_training_example(store: Store, world: World) -> None:
    item_id = add_item(store, world.reviews, text="Still waiting for my refund.", department_id=world.billing)
    manager = _user(store, "manager@example.com")
    for label in ("neutral", "negative"):
        with store.write() as session:
            correct_item(session, manager, item_id, CorrectionInput(sentiment=label))
    with store.read() as session:
        assert sentiment_examples(session) == [("Still waiting for my refund.", "negative")]


def test_reanalysis_keeps_what_a_person_corrected(store: Store, world: World, models_home: Path) -> None:
    item_id = add_item(store, world.reviews, text="Absolutely wonderful staff, thank you!", department_id=world.billing)
    analyzer = Analyzer(store.settings.model_copy(update={"model_dir": models_home / "models"}), "general")
    analyze_items(store, [item_id], analyzer)
    assert _item(store, item_id).sentiment == "positive"
    with store.write() as session:
        correct_item(session, _user(store, "manager@example.com"), item_id, CorrectionInput(sentiment="neutral"))
    analyze_items(store, [item_id], analyzer)
    item = _item(store, item_id)
    assert item.sentiment == "neutral"
    assert item.sentiment_score == 0.0
    assert (item.analysis or {})["corrected"] == ["sentiment"]
    assert "evidence" in (item.analysis or {})  # the rest of the analysis was refreshed


def test_correct_on_the_item_page(app_client: TestClient, store: Store, world: World) -> None:
    item_id = add_item(
        store, world.reviews, text="Cold coffee again.", department_id=world.billing, sentiment="positive"
    )
    login(app_client, "agent@example.com")
    page = app_client.get(f"/items/{item_id}")
    assert "Correct the analysis" in page.text
    token = page.text.split('name="csrf_token" value="', 2)[1].split('"', 1)[0]
    form = {"csrf_token": token, "sentiment": "negative", "department_id": str(world.billing), "aspects_shown": "1"}
    done = app_client.post(f"/items/{item_id}/correct", data=form, follow_redirects=False)
    assert done.status_code == 303
    assert _item(store, item_id).sentiment == "negative"
    forged = app_client.post(f"/items/{item_id}/correct", data={**form, "csrf_token": "x", "sentiment": "positive"})
    assert forged.status_code == 403
    assert _item(store, item_id).sentiment == "negative"


def test_model_fit_learns_from_corrections(
    store: Store, world: World, models_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    item_id = add_item(store, world.reviews, text="Waited forty minutes for a table.", department_id=world.billing)
    with store.write() as session:
        correct_item(session, _user(store, "manager@example.com"), item_id, CorrectionInput(sentiment="negative"))
    labelled = tmp_path / "labelled.csv"
    rows = [f"Great visit number {i},positive" for i in range(5)]
    rows += [f"Awful visit number {i},negative" for i in range(5)]
    rows += [f"We visited on day {i},neutral" for i in range(5)]
    labelled.write_text("review,mood\n" + "\n".join(rows) + "\n")
    monkeypatch.setenv("VOXPOP_HOME", str(store.settings.home))
    monkeypatch.setenv("VOXPOP_DATABASE_URL", store.settings.database_url)
    monkeypatch.setenv("VOXPOP_MODEL_DIR", str(tmp_path / "fitted"))
    args = ["model", "fit", "sentiment", str(labelled), "--text-column", "review", "--label-column", "mood"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "learning from 16 labelled rows, 1 of them agents' corrections" in result.output
    assert any((tmp_path / "fitted").iterdir())
    missing = CliRunner().invoke(app, [*args[:4], "--text-column", "nope", "--label-column", "mood"])
    assert missing.exit_code == 1
    assert "no column 'nope'" in missing.output
