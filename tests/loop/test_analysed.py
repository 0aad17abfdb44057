"""The loop's voices are analysed like any other item: a survey follow-up, a widget post and a staff note
sent through the web go through the pipeline after the response, with the app's models."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.web.conftest import World, csrf_of
from voxpop.loop.surveys import QuestionSpec, SurveySpec, create_survey
from voxpop.loop.widget import create_site
from voxpop.store import Store
from voxpop.store.models import Item
from voxpop.web.app import create_app


def test_answers_posts_and_notes_are_analysed(store: Store, world: World, models_home: Path, token_for: Any) -> None:
    settings = store.settings.model_copy(update={"analyze_on_ingest": True, "model_dir": models_home / "models"})
    with store.write() as s:
        survey = create_survey(
            s,
            SurveySpec(
                title="Visit",
                questions=[QuestionSpec("csat", "Satisfied?", followup_at_or_below=2, followup_prompt="Why?")],
            ),
        )
        slug, qid = survey.slug, survey.questions[0].id
        key = create_site(s, "Shop", ["https://shop.example.com"]).site_key
    token = token_for("agent@example.com", "items:write")
    with TestClient(create_app(settings, Store(settings))) as client:
        form = csrf_of(client.get(f"/s/{slug}").text)
        client.post(
            f"/s/{slug}",
            data={"csrf_token": form, f"q{qid}": "1", f"q{qid}_followup": "Rude staff and a cold, late meal."},
        )
        client.post(
            f"/w/{key}/feedback",
            json={"text": "Wonderful shop, thank you so much!", "rating": 5},
            headers={"Origin": "https://shop.example.com"},
        )
        client.post(
            "/api/v1/notes",
            json={"text": "Furious that the delivery was late again and nobody called."},
            headers={"Authorization": f"Bearer {token}"},
        )
    with store.read() as s:
        by_channel = {i.channel: i for i in s.scalars(select(Item))}
    assert set(by_channel) == {"survey", "widget", "staff"}
    assert all(i.analyzed_at is not None for i in by_channel.values())
    assert by_channel["survey"].sentiment == "negative"
    assert by_channel["widget"].sentiment == "positive"
    assert by_channel["staff"].sentiment == "negative"
