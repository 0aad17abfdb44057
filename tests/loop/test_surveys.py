"""Surveys as a service: building, answering (each response one item), editing, closing, results, export."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import func, select

from voxpop.errors import PermissionDeniedError, ValidationError
from voxpop.loop.survey_results import export_csv, results
from voxpop.loop.surveys import (
    QuestionSpec,
    SurveySpec,
    check_question,
    create_survey,
    parse_answers,
    save_response,
    spec_from_dict,
)
from voxpop.store import Store
from voxpop.store.models import Item
from voxpop.store.models.loop import Survey


def nps_survey(store: Store) -> int:
    with store.write() as s:
        survey = create_survey(
            s,
            SurveySpec(
                title="How did we do?",
                location="Leeds",
                questions=[
                    QuestionSpec(
                        "nps",
                        "How likely are you to recommend us?",
                        required=True,
                        followup_at_or_below=6,
                        followup_prompt="What should we improve?",
                    ),
                    QuestionSpec("csat", "How satisfied are you with the delivery?"),
                    QuestionSpec("multiple", "What did you order?", options=["Pizza", "Pasta", "Salad"]),
                    QuestionSpec("open", "Anything else?"),
                ],
            ),
        )
        return survey.id


def answer(store: Store, survey_id: int, form: dict[str, list[str]]) -> tuple[int, int]:
    with store.write() as s:
        survey = s.get(Survey, survey_id)
        assert survey is not None
        response, item_id = save_response(s, survey, parse_answers(survey, form))
        return response.id, item_id


def test_spec_errors_name_the_question_and_field() -> None:
    with pytest.raises(ValidationError, match=r"question 2, field 'kind'"):
        spec_from_dict({"title": "T", "questions": [{"kind": "nps", "prompt": "Q"}, {"kind": "stars", "prompt": "Q"}]})
    with pytest.raises(ValidationError, match="question 1, field 'options'"):
        spec_from_dict({"title": "T", "questions": [{"kind": "single", "prompt": "Q", "options": ["a"]}]})
    with pytest.raises(ValidationError, match="followup_at_or_below"):
        check_question(QuestionSpec("open", "Q", followup_at_or_below=3, followup_prompt="Why?"))
    with pytest.raises(ValidationError, match="from 0 to 10"):
        check_question(QuestionSpec("nps", "Q", followup_at_or_below=11, followup_prompt="Why?"))


def test_answer_is_one_survey_item_with_the_score_on_its_scale(store: Store) -> None:
    survey_id = nps_survey(store)
    with store.read() as s:
        survey = s.get(Survey, survey_id)
        assert survey is not None
        q = {x.kind: x.id for x in survey.questions}
    form = {
        f"q{q['nps']}": ["3"],
        f"q{q['nps']}_followup": ["The <b>soup</b> was cold"],
        f"q{q['csat']}": ["4"],
        f"q{q['multiple']}": ["Salad", "Pizza"],
        f"q{q['open']}": ['=HYPERLINK("http://evil")'],
    }
    _, item_id = answer(store, survey_id, form)
    with store.read() as s:
        item = s.get(Item, item_id)
        assert item is not None
        assert (item.kind, item.channel, item.location) == ("survey", "survey", "Leeds")
        assert (item.rating_raw, item.rating_min, item.rating_max) == (3.0, 0.0, 10.0)
        assert item.rating == pytest.approx(0.3)
        assert item.raw["question_type"] == "nps"
        assert "The <b>soup</b> was cold" in item.text
        types = {a["type"]: a["value"] for a in item.raw["answers"]}
        assert types == {"nps": 3, "csat": 4, "multiple": ["Pizza", "Salad"], "open": '=HYPERLINK("http://evil")'}
        assert item.raw["score_only"] is False


def test_followup_is_kept_only_when_the_score_calls_for_it(store: Store) -> None:
    survey_id = nps_survey(store)
    with store.read() as s:
        survey = s.get(Survey, survey_id)
        assert survey is not None
        nps_id = survey.questions[0].id
        high = parse_answers(survey, {f"q{nps_id}": ["9"], f"q{nps_id}_followup": ["ignored"]})
        low = parse_answers(survey, {f"q{nps_id}": ["6"], f"q{nps_id}_followup": ["Faster please"]})
        assert high == {str(nps_id): 9}
        assert low == {str(nps_id): 6, f"{nps_id}:followup": "Faster please"}
        with pytest.raises(ValidationError, match="needs an answer"):
            parse_answers(survey, {})
        with pytest.raises(ValidationError, match="from 0 to 10"):
            parse_answers(survey, {f"q{nps_id}": ["11"]})
        with pytest.raises(ValidationError, match="choose among"):
            parse_answers(survey, {f"q{nps_id}": ["5"], f"q{survey.questions[2].id}": ["Sushi"]})


def test_score_only_answer_still_an_item(store: Store) -> None:
    survey_id = nps_survey(store)
    with store.read() as s:
        nps_id = s.get(Survey, survey_id).questions[0].id  # type: ignore[union-attr]
    _, item_id = answer(store, survey_id, {f"q{nps_id}": ["10"]})
    with store.read() as s:
        item = s.get(Item, item_id)
        assert item is not None
        assert item.raw["score_only"] is True
        assert item.rating_raw == 10.0


def test_editing_updates_the_same_item_and_closing_stops_answers(store: Store) -> None:
    survey_id = nps_survey(store)
    with store.read() as s:
        nps_id = s.get(Survey, survey_id).questions[0].id  # type: ignore[union-attr]
    response_id, item_id = answer(store, survey_id, {f"q{nps_id}": ["2"]})
    with store.write() as s:
        survey = s.get(Survey, survey_id)
        assert survey is not None
        from voxpop.store.models.loop import SurveyResponse

        own = s.get(SurveyResponse, response_id)
        _, again = save_response(s, survey, {str(nps_id): 8}, response=own)
    assert again == item_id
    with store.read() as s:
        assert s.scalar(select(func.count()).select_from(Item)) == 1
        item = s.get(Item, item_id)
        assert item is not None
        assert item.rating_raw == 8.0
        assert item.updated_at is not None
    with store.write() as s:
        survey = s.get(Survey, survey_id)
        assert survey is not None
        survey.is_open = False
    with store.write() as s:
        survey = s.get(Survey, survey_id)
        assert survey is not None
        with pytest.raises(PermissionDeniedError, match="closed"):
            save_response(s, survey, {str(nps_id): 1})


def test_results_nps_and_csat_by_hand(store: Store) -> None:
    survey_id = nps_survey(store)
    with store.read() as s:
        survey = s.get(Survey, survey_id)
        assert survey is not None
        nps_id, csat_id = survey.questions[0].id, survey.questions[1].id
    # NPS answers 10, 9, 8, 6, 0: 2 promoters, 2 detractors of 5 → 0. CSAT 5, 4, 2: 2 of 3 → 66.7 %.
    for nps, sat in [("10", "5"), ("9", "4"), ("8", "2"), ("6", ""), ("0", "")]:
        answer(store, survey_id, {f"q{nps_id}": [nps], f"q{csat_id}": [sat]})
    with store.read() as s:
        survey = s.get(Survey, survey_id)
        assert survey is not None
        total, per_question = results(s, survey)
    assert total == 5
    assert per_question[0].nps == pytest.approx(0.0)
    assert (per_question[0].promoters, per_question[0].passives, per_question[0].detractors) == (2, 1, 2)
    assert per_question[1].csat == pytest.approx(200 / 3)
    assert per_question[1].answers == 3


def test_results_with_no_answers(store: Store) -> None:
    survey_id = nps_survey(store)
    with store.read() as s:
        survey = s.get(Survey, survey_id)
        assert survey is not None
        total, per_question = results(s, survey)
    assert total == 0
    assert per_question[0].nps is None
    assert per_question[1].csat is None


def test_csv_export_defuses_formulas(store: Store) -> None:
    survey_id = nps_survey(store)
    with store.read() as s:
        survey = s.get(Survey, survey_id)
        assert survey is not None
        q = [x.id for x in survey.questions]
    answer(store, survey_id, {f"q{q[0]}": ["5"], f"q{q[0]}_followup": ["@SUM(A1)"], f"q{q[3]}": ["=1+1"]})
    with store.read() as s:
        survey = s.get(Survey, survey_id)
        assert survey is not None
        rows = list(csv.reader(io.StringIO("".join(export_csv(s, survey)))))
    assert len(rows) == 2
    assert "'@SUM(A1)" in rows[1]
    assert "'=1+1" in rows[1]
    assert not any(cell.startswith(("=", "+", "@")) for cell in rows[1])
