"""Surveys: building them, and storing answers — each response is one item of kind ``survey``.

Scored questions use the scales the metrics expect: NPS 0–10, CSAT 1–5, CES 1–7, a rating 1–5. The
response's item carries the first answered scored question in ``rating_raw/rating_min/rating_max`` and
its type in ``raw["question_type"]``; every answer (with its type and prompt) is in ``raw["answers"]``.
The item's text is what the customer wrote (follow-ups and open answers), so the analysis reads their
words; a response with a score only gets a short text saying so (``raw["score_only"]`` is true).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from voxpop.errors import NotFoundError, PermissionDeniedError, ValidationError
from voxpop.ingest.records import ItemRecord
from voxpop.loop.items import source_for, upsert_item
from voxpop.store.models import ItemKind
from voxpop.store.models.loop import Question, Survey, SurveyRecipient, SurveyResponse

SCALES: dict[str, tuple[int, int]] = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7), "rating": (1, 5)}
CHOICES = ("single", "multiple")
KINDS = (*SCALES, *CHOICES, "open")
KIND_LABELS = {
    "nps": "NPS (0–10)",
    "csat": "CSAT (1–5)",
    "ces": "CES (1–7)",
    "rating": "Rating (1–5)",
    "single": "Single choice",
    "multiple": "Multiple choice",
    "open": "Open question",
}
MAX_TEXT = 5000
MAX_OPTIONS = 20
CHANNEL = "survey"


@dataclass
class QuestionSpec:
    kind: str
    prompt: str
    options: list[str] = field(default_factory=list)
    required: bool = False
    followup_at_or_below: float | None = None
    followup_prompt: str = ""


@dataclass
class SurveySpec:
    title: str
    intro: str = ""
    thank_you: str = ""
    location: str | None = None
    closes_at: datetime | None = None
    questions: list[QuestionSpec] = field(default_factory=list)


def check_question(spec: QuestionSpec, where: str = "question") -> QuestionSpec:
    """``spec`` cleaned, or a ``ValidationError`` naming ``where`` and the field."""
    kind = (spec.kind or "").strip().lower()
    if kind not in KINDS:
        raise ValidationError(f"{where}, field 'kind': {spec.kind!r} is not one of {', '.join(KINDS)}")
    prompt = (spec.prompt or "").strip()
    if not prompt or len(prompt) > 1000:
        raise ValidationError(f"{where}, field 'prompt': give the question (1–1000 characters)")
    options = [o.strip() for o in spec.options if o and o.strip()]
    if kind in CHOICES:
        if not 2 <= len(options) <= MAX_OPTIONS or len(set(options)) != len(options):
            raise ValidationError(f"{where}, field 'options': give 2–{MAX_OPTIONS} different options")
        if any(len(o) > 200 for o in options):
            raise ValidationError(f"{where}, field 'options': an option is longer than 200 characters")
    else:
        options = []
    threshold = spec.followup_at_or_below
    followup = (spec.followup_prompt or "").strip()
    if threshold is not None or followup:
        if kind not in SCALES:
            raise ValidationError(f"{where}, field 'followup_at_or_below': only scored questions have follow-ups")
        low, high = SCALES[kind]
        if threshold is None or not low <= threshold <= high:
            raise ValidationError(f"{where}, field 'followup_at_or_below': give a score from {low} to {high}")
        if not followup or len(followup) > 1000:
            raise ValidationError(f"{where}, field 'followup_prompt': give the follow-up question")
    return QuestionSpec(kind, prompt, options, bool(spec.required), threshold, followup)


def spec_from_dict(data: Mapping[str, Any], where: str = "survey") -> SurveySpec:
    """A survey spec from plain data (a YAML/JSON file), with errors naming the field."""
    if not isinstance(data, Mapping):
        raise ValidationError(f"{where}: expected a mapping with 'title' and 'questions'")
    questions = data.get("questions") or []
    if not isinstance(questions, list):
        raise ValidationError(f"{where}, field 'questions': expected a list")
    specs = []
    for index, q in enumerate(questions, start=1):
        if not isinstance(q, Mapping):
            raise ValidationError(f"{where}, question {index}: expected a mapping")
        options = q.get("options") or []
        if not isinstance(options, list):
            raise ValidationError(f"{where}, question {index}, field 'options': expected a list")
        threshold = q.get("followup_at_or_below")
        if threshold is not None and not isinstance(threshold, int | float):
            raise ValidationError(f"{where}, question {index}, field 'followup_at_or_below': expected a number")
        spec = QuestionSpec(
            kind=str(q.get("kind", "")),
            prompt=str(q.get("prompt", "")),
            options=[str(o) for o in options],
            required=bool(q.get("required", False)),
            followup_at_or_below=None if threshold is None else float(threshold),
            followup_prompt=str(q.get("followup_prompt", "")),
        )
        specs.append(check_question(spec, f"{where}, question {index}"))
    return SurveySpec(
        title=str(data.get("title", "")),
        intro=str(data.get("intro", "")),
        thank_you=str(data.get("thank_you", "")),
        location=data.get("location") or None,
        questions=specs,
    )


def _slug(title: str) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:40] or "survey"
    return f"{base}-{secrets.token_hex(3)}"


def create_survey(session: Session, spec: SurveySpec) -> Survey:
    title = spec.title.strip()
    if not title or len(title) > 200:
        raise ValidationError("field 'title': give the survey a title (1–200 characters)")
    survey = Survey(
        slug=_slug(title),
        title=title,
        intro=spec.intro.strip(),
        thank_you=spec.thank_you.strip(),
        location=(spec.location or "").strip() or None,
        closes_at=spec.closes_at,
        is_open=True,
    )
    session.add(survey)
    session.flush()
    for index, q in enumerate(spec.questions, start=1):
        add_question(session, survey, check_question(q, f"question {index}"))
    return survey


def add_question(session: Session, survey: Survey, spec: QuestionSpec) -> Question:
    spec = check_question(spec)
    question = Question(
        survey_id=survey.id,
        position=len(survey.questions) + 1,
        kind=spec.kind,
        prompt=spec.prompt,
        options=spec.options,
        required=spec.required,
        followup_at_or_below=spec.followup_at_or_below,
        followup_prompt=spec.followup_prompt,
    )
    session.add(question)
    survey.questions.append(question)
    session.flush()
    return question


def get_survey(session: Session, survey_id: int) -> Survey:
    survey = session.get(Survey, survey_id)
    if survey is None:
        raise NotFoundError(f"no survey {survey_id}")
    return survey


def get_survey_by_slug(session: Session, slug: str) -> Survey:
    survey = session.scalars(select(Survey).where(Survey.slug == slug)).one_or_none()
    if survey is None:
        raise NotFoundError("no such survey")
    return survey


def list_surveys(session: Session) -> list[Survey]:
    return list(session.scalars(select(Survey).order_by(Survey.created_at.desc(), Survey.id.desc())))


def is_open(survey: Survey, now: datetime | None = None) -> bool:
    now = now or datetime.now(UTC)
    return survey.is_open and (survey.closes_at is None or survey.closes_at > now)


def set_open(session: Session, survey: Survey, value: bool) -> None:
    survey.is_open = value
    session.flush()


def set_closing(session: Session, survey: Survey, closes_at: datetime | None) -> None:
    """Close the survey automatically at ``closes_at`` (None: only when closed by hand)."""
    if closes_at is not None and closes_at.tzinfo is None:
        closes_at = closes_at.replace(tzinfo=UTC)
    survey.closes_at = closes_at
    session.flush()


def remove_question(session: Session, survey: Survey, question_id: int) -> None:
    """Take a question off the survey. Answers already given to it stay in their responses (and items)."""
    survey.questions.remove(_question_of(survey, question_id))
    for position, q in enumerate(survey.questions, start=1):
        q.position = position
    session.flush()


def _question_of(survey: Survey, question_id: int) -> Question:
    question = next((q for q in survey.questions if q.id == question_id), None)
    if question is None:
        raise NotFoundError(f"survey {survey.id} has no question {question_id}")
    return question


def is_answered(session: Session, survey: Survey, question_id: int) -> bool:
    """Whether any stored response holds an answer (or a follow-up) to the question."""
    keys = {str(question_id), f"{question_id}:followup"}
    answers = session.scalars(select(SurveyResponse.answers).where(SurveyResponse.survey_id == survey.id))
    return any(keys & set(given) for given in answers)


def update_question(session: Session, survey: Survey, question_id: int, spec: QuestionSpec) -> Question:
    """Edit a question in place: its wording, options, follow-up and whether it is required. Its type can
    change only while nobody has answered it, so stored answers keep the scale they were given on."""
    question = _question_of(survey, question_id)
    spec = check_question(spec, f"question {question.position}")
    if spec.kind != question.kind and is_answered(session, survey, question_id):
        raise ValidationError(
            f"question {question.position}, field 'kind': it has answers already, so its type stays "
            f"{question.kind}; add a new question instead"
        )
    question.kind = spec.kind
    question.prompt = spec.prompt
    question.options = spec.options
    question.required = spec.required
    question.followup_at_or_below = spec.followup_at_or_below
    question.followup_prompt = spec.followup_prompt
    session.flush()
    return question


def move_question(session: Session, survey: Survey, question_id: int, steps: int) -> None:
    """Move a question ``steps`` places down (negative: up), stopping at either end."""
    question = _question_of(survey, question_id)
    order = list(survey.questions)
    old = order.index(question)
    new = max(0, min(len(order) - 1, old + steps))
    order.insert(new, order.pop(old))
    for position, q in enumerate(order, start=1):
        q.position = position
    survey.questions.sort(key=lambda q: q.position)  # a plain sort: no collection events, nothing orphaned
    session.flush()


def shows_followup(question: Question, value: Any) -> bool:
    """Whether the follow-up applies to ``value`` (asked when the score is at or below the threshold)."""
    if question.followup_at_or_below is None or not isinstance(value, int | float):
        return False
    return float(value) <= question.followup_at_or_below


def check_score(question: Question, raw: Any) -> int:
    low, high = SCALES[question.kind]
    try:
        value = int(str(raw).strip())
    except ValueError:
        raise ValidationError(f"'{question.prompt}': give a whole number from {low} to {high}") from None
    if not low <= value <= high:
        raise ValidationError(f"'{question.prompt}': give a whole number from {low} to {high}")
    return value


def parse_answers(survey: Survey, form: Mapping[str, Sequence[str]]) -> dict[str, Any]:
    """Answers from a posted form (``q<id>`` and ``q<id>_followup`` fields), validated per question."""
    answers: dict[str, Any] = {}
    for q in survey.questions:
        values = [v for v in form.get(f"q{q.id}", []) if v.strip()]
        if q.kind in SCALES:
            if values:
                answers[str(q.id)] = check_score(q, values[0])
        elif q.kind == "single":
            if values:
                if values[0] not in q.options:
                    raise ValidationError(f"'{q.prompt}': choose one of the options")
                answers[str(q.id)] = values[0]
        elif q.kind == "multiple":
            if any(v not in q.options for v in values):
                raise ValidationError(f"'{q.prompt}': choose among the options")
            if values:
                answers[str(q.id)] = sorted(set(values), key=q.options.index)
        elif values:
            answers[str(q.id)] = _text(q.prompt, values[0])
        followup = [v for v in form.get(f"q{q.id}_followup", []) if v.strip()]
        if followup and shows_followup(q, answers.get(str(q.id))):
            answers[f"{q.id}:followup"] = _text(q.followup_prompt, followup[0])
        if q.required and str(q.id) not in answers:
            raise ValidationError(f"'{q.prompt}' needs an answer")
    return answers


def _text(prompt: str, value: str) -> str:
    value = value.strip()
    if len(value) > MAX_TEXT:
        raise ValidationError(f"'{prompt}': at most {MAX_TEXT} characters")
    if "\x00" in value:
        raise ValidationError(f"'{prompt}': the text holds a NUL character")
    return value


def get_recipient(session: Session, survey: Survey, recipient_id: int) -> SurveyRecipient:
    recipient = session.get(SurveyRecipient, recipient_id)
    if recipient is None or recipient.survey_id != survey.id:
        raise NotFoundError("this survey link is not valid")
    return recipient


def response_of(session: Session, recipient: SurveyRecipient) -> SurveyResponse | None:
    return session.scalars(select(SurveyResponse).where(SurveyResponse.recipient_id == recipient.id)).one_or_none()


def save_response(
    session: Session,
    survey: Survey,
    answers: dict[str, Any],
    *,
    recipient: SurveyRecipient | None = None,
    response: SurveyResponse | None = None,
    merge: bool = False,
) -> tuple[SurveyResponse, int]:
    """Store a response (a personal link's one response is created or replaced) and its item.

    ``merge`` keeps answers not in ``answers`` (a score clicked in the mail adds to what was there).
    Returns the response and its item's id (to send through the pipeline).
    """
    if not is_open(survey):
        raise PermissionDeniedError("this survey is closed")
    now = datetime.now(UTC)
    if recipient is not None:
        response = response_of(session, recipient)
        if recipient.clicked_at is None:
            recipient.clicked_at = now
    if response is None:
        response = SurveyResponse(
            survey_id=survey.id,
            recipient_id=recipient.id if recipient else None,
            email=recipient.email if recipient else None,
            answers={},
            created_at=now,
            updated_at=now,
        )
        session.add(response)
    elif response.survey_id != survey.id:
        raise PermissionDeniedError("this answer belongs to another survey")
    response.answers = {**response.answers, **answers} if merge else dict(answers)
    response.updated_at = now
    session.flush()
    item_id = upsert_item(session, _source(session), response_record(survey, response))
    response.item_id = item_id
    if response.email and response.customer_id is None:
        from voxpop.store.models import Item

        item = session.get(Item, item_id)
        response.customer_id = item.customer_id if item else None
    session.flush()
    return response, item_id


def _source(session: Session) -> Any:
    return source_for(session, "Surveys", kind="survey", channel=CHANNEL)


def response_record(survey: Survey, response: SurveyResponse) -> ItemRecord:
    """The item a response is stored as (see the module's docstring)."""
    answers = response.answers
    listed: list[dict[str, Any]] = []
    words: list[str] = []
    primary: Question | None = None
    for q in survey.questions:
        value = answers.get(str(q.id))
        followup = answers.get(f"{q.id}:followup")
        if value is None and followup is None:
            continue
        listed.append({"question_id": q.id, "type": q.kind, "prompt": q.prompt, "value": value, "followup": followup})
        if q.kind in SCALES and primary is None and value is not None:
            primary = q
        if q.kind == "open" and value:
            words.append(str(value))
        if followup:
            words.append(str(followup))
    raw: dict[str, Any] = {
        "survey_id": survey.id,
        "survey": survey.slug,
        "response_id": response.id,
        "answers": listed,
        "score_only": not words,
    }
    rating: float | None = None
    low = high = None
    if primary is not None:
        low, high = SCALES[primary.kind]
        rating = float(answers[str(primary.id)])
        raw.update(question_type=primary.kind, question=primary.prompt)
    if words:
        text = "\n\n".join(words)
    elif primary is not None:
        text = f"{primary.kind.upper()} score {rating:g} of {high} (no comment)."
    else:
        text = "; ".join(", ".join(a["value"]) if isinstance(a["value"], list) else str(a["value"]) for a in listed)
    return ItemRecord(
        text=text or "(empty answer)",
        created_at=response.created_at,
        external_id=f"response:{response.id}",
        kind=ItemKind.survey.value,
        channel=CHANNEL,
        title=survey.title,
        author_email=response.email,
        rating=rating,
        rating_min=None if low is None else float(low),
        rating_max=None if high is None else float(high),
        location=survey.location,
        raw=raw,
    )
