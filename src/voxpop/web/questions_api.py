"""REST API v1: the recurring questions (FAQ candidates) of a period, for a help centre or an FAQ page
that a business builds from what its customers ask. Thin shell over ``measure.faq``; a token needs the
``items:read`` scope (the answer quotes items), and an agent's token sees their departments' questions."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from voxpop.measure.faq import AskedQuestion, faq_view
from voxpop.store.types import utcnow
from voxpop.web.api import ERRORS
from voxpop.web.auth import ApiCaller, ReadDb

router = APIRouter(prefix="/api/v1/questions", tags=["questions"], responses=ERRORS)
SCOPE = "items:read"


class QuestionOut(BaseModel):
    item_id: int
    text: str
    created_at: datetime
    answered: bool = Field(description="whether the item has a response")


class RecurringOut(BaseModel):
    question: QuestionOut = Field(description="the most central wording of the group")
    count: int
    unanswered: int
    last_asked: datetime
    examples: list[QuestionOut] = Field(description="up to five wordings, the most central first")


class RecurringQuestionsOut(BaseModel):
    first: date
    last: date
    grouping: str
    questions: int = Field(description="questions read, newest first (at most 2,000)")
    capped: bool = Field(description="the period held more questions than were read")
    not_embedded: int = Field(description="questions read but not grouped yet (no sentence vector)")
    recurring: list[RecurringOut]


def _question(q: AskedQuestion) -> QuestionOut:
    return QuestionOut(item_id=q.item_id, text=q.text, created_at=q.created_at, answered=q.answered)


@router.get("/recurring", response_model=RecurringQuestionsOut)
def recurring_questions(
    caller: ApiCaller,
    db: ReadDb,
    days: Annotated[int, Query(ge=1, le=3660, description="the last N days, today included")] = 90,
    grouping: Annotated[
        Literal["close", "usual", "loose"], Query(description="how alike a group's questions are")
    ] = "usual",
    min_count: Annotated[int, Query(ge=2, description="groups asked at least this often")] = 2,
) -> RecurringQuestionsOut:
    """Questions customers asked more than once, grouped by meaning, most asked first.

    A token needs the ``items:read`` scope.
    """
    caller.require(SCOPE)
    today = utcnow().date()
    view = faq_view(db, caller.user, today - timedelta(days=days - 1), today, grouping=grouping, min_count=min_count)
    return RecurringQuestionsOut(
        first=view.first,
        last=view.last,
        grouping=view.grouping,
        questions=view.questions,
        capped=view.capped,
        not_embedded=view.not_embedded,
        recurring=[
            RecurringOut(
                question=_question(e.question),
                count=e.count,
                unanswered=e.unanswered,
                last_asked=e.last_asked,
                examples=[_question(q) for q in e.examples],
            )
            for e in view.entries
        ],
    )
