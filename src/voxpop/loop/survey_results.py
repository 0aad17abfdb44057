"""A survey's results (NPS, CSAT, CES, averages, choice counts) and its CSV export.

NPS = % promoters (9–10) − % detractors (0–6); CSAT = share of 4–5 answers (top-two box) in %; CES and
ratings are means. The CSV is safe to open in a spreadsheet: a cell a stranger wrote that starts like
a formula (``= + - @``, tab, CR) is prefixed with ``'`` so it is shown, never evaluated.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from voxpop.loop.surveys import SCALES
from voxpop.spreadsheet import defuse_formula
from voxpop.store.models.loop import Question, Survey, SurveyResponse


@dataclass
class QuestionResult:
    question: Question
    answers: int = 0
    mean: float | None = None
    nps: float | None = None
    csat: float | None = None
    promoters: int = 0
    passives: int = 0
    detractors: int = 0
    counts: dict[str, int] = field(default_factory=dict)  # score or option → answers
    followups: int = 0


def nps(scores: list[float]) -> float | None:
    if not scores:
        return None
    promoters = sum(1 for s in scores if s >= 9)
    detractors = sum(1 for s in scores if s <= 6)
    return 100.0 * (promoters - detractors) / len(scores)


def csat(scores: list[float]) -> float | None:
    if not scores:
        return None
    return 100.0 * sum(1 for s in scores if s >= 4) / len(scores)


def responses(session: Session, survey: Survey) -> list[SurveyResponse]:
    return list(
        session.scalars(select(SurveyResponse).where(SurveyResponse.survey_id == survey.id).order_by(SurveyResponse.id))
    )


def results(session: Session, survey: Survey) -> tuple[int, list[QuestionResult]]:
    """How many responses, and each question's figures."""
    rows = responses(session, survey)
    out = []
    for q in survey.questions:
        key = str(q.id)
        values = [r.answers[key] for r in rows if r.answers.get(key) is not None]
        result = QuestionResult(question=q, answers=len(values))
        result.followups = sum(1 for r in rows if r.answers.get(f"{q.id}:followup"))
        if q.kind in SCALES:
            scores = [float(v) for v in values]
            low, high = SCALES[q.kind]
            counted = Counter(int(s) for s in scores)
            result.counts = {str(s): counted.get(s, 0) for s in range(low, high + 1)}
            result.mean = sum(scores) / len(scores) if scores else None
            if q.kind == "nps":
                result.nps = nps(scores)
                result.promoters = sum(1 for s in scores if s >= 9)
                result.detractors = sum(1 for s in scores if s <= 6)
                result.passives = len(scores) - result.promoters - result.detractors
            if q.kind == "csat":
                result.csat = csat(scores)
        elif q.kind in ("single", "multiple"):
            chosen = Counter(v for value in values for v in (value if isinstance(value, list) else [value]))
            result.counts = {o: chosen.get(o, 0) for o in q.options}
        out.append(result)
    return len(rows), out


def safe_cell(value: Any) -> Any:
    """A CSV cell that a spreadsheet will not evaluate as a formula."""
    if isinstance(value, list):
        value = "; ".join(str(v) for v in value)
    return defuse_formula(value) if isinstance(value, str) else value


def export_csv(session: Session, survey: Survey) -> Iterator[str]:
    """The responses as CSV lines: one row per response, one column per question (and follow-up)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    header = ["response_id", "created_at", "updated_at", "email"]
    for q in survey.questions:
        header.append(f"q{q.id} {q.prompt}")
        if q.followup_prompt:
            header.append(f"q{q.id} follow-up {q.followup_prompt}")
    writer.writerow([safe_cell(h) for h in header])
    yield _take(buffer)
    for r in responses(session, survey):
        row: list[Any] = [r.id, r.created_at.isoformat(), r.updated_at.isoformat(), r.email or ""]
        for q in survey.questions:
            row.append(r.answers.get(str(q.id), ""))
            if q.followup_prompt:
                row.append(r.answers.get(f"{q.id}:followup", ""))
        writer.writerow([safe_cell(v) for v in row])
        yield _take(buffer)


def _take(buffer: io.StringIO) -> str:
    value = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate(0)
    return value
