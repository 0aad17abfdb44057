"""Editing and reordering a survey's questions after it was created: the service, and the builder page
(manager only, CSRF checked, errors naming the question and field)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.loop.test_surveys import answer, nps_survey
from tests.web.conftest import World, csrf_of, login
from voxpop.errors import ValidationError
from voxpop.loop.surveys import QuestionSpec, move_question, update_question
from voxpop.store import Store
from voxpop.store.models import AuditEvent
from voxpop.store.models.loop import Survey


def _questions(store: Store, survey_id: int) -> list[tuple[int, str, str]]:
    """(position, kind, prompt) of each question, as a fresh session reads them from the database."""
    with store.read() as s:
        survey = s.get(Survey, survey_id)
        assert survey is not None
        return [(q.position, q.kind, q.prompt) for q in survey.questions]


def _ids(store: Store, survey_id: int) -> list[int]:
    with store.read() as s:
        survey = s.get(Survey, survey_id)
        assert survey is not None
        return [q.id for q in survey.questions]


def test_questions_move_up_and_down_and_stop_at_the_ends(store: Store) -> None:
    survey_id = nps_survey(store)
    first, second, third, fourth = _ids(store, survey_id)
    with store.write() as s:
        survey = s.get(Survey, survey_id)
        assert survey is not None
        move_question(s, survey, fourth, -1)
        move_question(s, survey, first, 5)  # past the end: becomes the last
        move_question(s, survey, second, -3)  # already first after the move above: stays
    assert _ids(store, survey_id) == [second, fourth, third, first]
    assert [position for position, _, _ in _questions(store, survey_id)] == [1, 2, 3, 4]


def test_edit_changes_wording_options_and_followup(store: Store) -> None:
    survey_id = nps_survey(store)
    nps, _, multiple, _ = _ids(store, survey_id)
    with store.write() as s:
        survey = s.get(Survey, survey_id)
        assert survey is not None
        update_question(s, survey, multiple, QuestionSpec("single", "What did you eat?", options=["Pizza", "Soup"]))
        update_question(
            s, survey, nps, QuestionSpec("nps", "Recommend us?", followup_at_or_below=4, followup_prompt="Why not?")
        )
    assert _questions(store, survey_id)[0] == (1, "nps", "Recommend us?")
    assert _questions(store, survey_id)[2] == (3, "single", "What did you eat?")
    with store.read() as s:
        survey = s.get(Survey, survey_id)
        assert survey is not None
        assert survey.questions[2].options == ["Pizza", "Soup"]
        assert (survey.questions[0].followup_at_or_below, survey.questions[0].followup_prompt) == (4, "Why not?")


def test_answered_question_keeps_its_type_and_bad_edits_name_the_field(store: Store) -> None:
    survey_id = nps_survey(store)
    nps, csat, _, _ = _ids(store, survey_id)
    answer(store, survey_id, {f"q{nps}": ["9"]})
    with store.write() as s:
        survey = s.get(Survey, survey_id)
        assert survey is not None
        with pytest.raises(ValidationError, match=r"question 1, field 'kind': it has answers already"):
            update_question(s, survey, nps, QuestionSpec("csat", "Satisfied?"))
        with pytest.raises(ValidationError, match=r"question 2, field 'followup_at_or_below'"):
            update_question(
                s, survey, csat, QuestionSpec("csat", "Happy?", followup_at_or_below=9, followup_prompt="?")
            )
        update_question(s, survey, csat, QuestionSpec("ces", "How easy was it?"))  # not answered yet: may change
    assert [kind for _, kind, _ in _questions(store, survey_id)][:2] == ["nps", "ces"]


def test_builder_edits_and_reorders_with_csrf_and_only_for_managers(
    app_client: TestClient, store: Store, world: World
) -> None:
    survey_id = nps_survey(store)
    nps, csat, multiple, open_ = _ids(store, survey_id)
    login(app_client, "manager@example.com")
    page = app_client.get(f"/surveys/{survey_id}").text
    token = csrf_of(page)
    assert "Edit question 2" in page
    assert re.search(r'aria-label="Move up: question 1" disabled', page)  # the first cannot go further up

    moved = app_client.post(
        f"/surveys/{survey_id}/questions/{open_}/move",
        data={"csrf_token": token, "direction": "up"},
        follow_redirects=False,
    )
    assert moved.status_code == 303
    assert _ids(store, survey_id) == [nps, csat, open_, multiple]
    assert app_client.post(f"/surveys/{survey_id}/questions/{open_}/move", data={"direction": "up"}).status_code == 403
    sideways = app_client.post(
        f"/surveys/{survey_id}/questions/{open_}/move", data={"csrf_token": token, "direction": "sideways"}
    )
    assert sideways.status_code == 422

    edited = app_client.post(
        f"/surveys/{survey_id}/questions/{csat}",
        data={"csrf_token": token, "kind": "csat", "prompt": "Was the <b>delivery</b> OK?", "required": "true"},
        follow_redirects=False,
    )
    assert edited.status_code == 303
    page = app_client.get(edited.headers["location"]).text
    assert "Question saved" in page
    assert "Was the &lt;b&gt;delivery&lt;/b&gt; OK?" in page
    bad = app_client.post(
        f"/surveys/{survey_id}/questions/{multiple}",
        data={"csrf_token": token, "kind": "multiple", "prompt": "What?", "options": "one"},
    )
    assert bad.status_code == 422
    assert "question 4, field &#39;options&#39;" in bad.text
    no_csrf = app_client.post(f"/surveys/{survey_id}/questions/{csat}", data={"kind": "open", "prompt": "Hi"})
    assert no_csrf.status_code == 403
    with store.read() as s:
        assert s.scalars(select(AuditEvent).where(AuditEvent.action == "survey_question_edited")).one()

    app_client.cookies.clear()
    login(app_client, "agent@example.com")
    token = csrf_of(app_client.get(f"/surveys/{survey_id}").text)
    assert "Edit question" not in app_client.get(f"/surveys/{survey_id}").text
    refused = app_client.post(
        f"/surveys/{survey_id}/questions/{csat}", data={"csrf_token": token, "kind": "open", "prompt": "Hijacked"}
    )
    assert refused.status_code == 403
    refused = app_client.post(
        f"/surveys/{survey_id}/questions/{csat}/move", data={"csrf_token": token, "direction": "down"}
    )
    assert refused.status_code == 403
    assert _questions(store, survey_id)[1] == (2, "csat", "Was the <b>delivery</b> OK?")
