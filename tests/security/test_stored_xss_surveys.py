"""Stored XSS through survey answers: a stranger answers the public survey with markup in the follow-up
text; the answer stays text on the survey's results, the inbox and the item page, and the CSV export
does not turn it (or a formula) into something live."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.web.conftest import World, csrf_of, login
from voxpop.loop.surveys import QuestionSpec, SurveySpec, add_question, create_survey
from voxpop.store import Store
from voxpop.store.models import Item
from voxpop.web.app import create_app

PAYLOADS = ('<script>alert("survey")</script>', '<img src=x onerror="alert(4)">', '"><svg onload=alert(5)>')


def test_survey_answers_never_become_markup(app_client: TestClient, world: World, store: Store) -> None:
    with store.write() as s:
        survey = create_survey(s, SurveySpec(title="Your visit", thank_you="Thanks"))
        question = add_question(
            s, survey, QuestionSpec("nps", "Recommend us?", followup_at_or_below=6, followup_prompt="Why?")
        )
        survey_id, slug, qid = survey.id, survey.slug, question.id

    hostile = '=HYPERLINK("http://evil.example") slow ' + " ".join(PAYLOADS)
    with TestClient(create_app(store.settings, store), base_url="http://testserver") as stranger:
        token = csrf_of(stranger.get(f"/s/{slug}").text)
        sent = stranger.post(f"/s/{slug}", data={"csrf_token": token, f"q{qid}": "2", f"q{qid}_followup": hostile})
        assert sent.status_code in (200, 303)
    with store.read() as s:
        item_id = s.scalars(select(Item.id)).one()

    login(app_client, "admin@example.com")
    pages = [f"/surveys/{survey_id}", "/inbox", f"/items/{item_id}"]
    leaks = []
    shown = 0
    for path in pages:
        response = app_client.get(path)
        assert response.status_code == 200, path
        shown += "slow" in response.text
        leaks += [f"{path}: {p}" for p in PAYLOADS if p in response.text]
    assert not leaks, "\n".join(leaks)
    assert shown >= 2  # the answer really is on the pages checked (escaped)

    export = app_client.get(f"/surveys/{survey_id}/export.csv")
    assert export.status_code == 200
    assert "slow" in export.text
    assert "'=HYPERLINK" in export.text  # defused: a leading quote makes it text
    assert ",=HYPERLINK" not in export.text
    assert '"=HYPERLINK' not in export.text
