"""The recurring questions page (``/questions``): FAQ candidates from the questions customers asked.

Every role may open it; an agent sees the questions of their departments only (the inbox's rule).
"""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import Response

from voxpop.errors import ValidationError
from voxpop.measure.faq import SIMILARITY, faq_view
from voxpop.store.types import utcnow
from voxpop.web.auth import PageUser, ReadDb
from voxpop.web.templating import render

router = APIRouter(include_in_schema=False)

PERIODS = (30, 90, 365)


@router.get("/questions")
def questions_page(request: Request, user: PageUser, db: ReadDb, days: int = 90, grouping: str = "usual") -> Response:
    if days not in PERIODS:
        raise ValidationError(f"days: {days} is not one of {', '.join(map(str, PERIODS))}")
    today = utcnow().date()
    view = faq_view(db, user, today - timedelta(days=days - 1), today, grouping=grouping)
    return render(
        request,
        "questions.html",
        {"active": "questions", "view": view, "days": days, "periods": PERIODS, "groupings": list(SIMILARITY)},
    )
