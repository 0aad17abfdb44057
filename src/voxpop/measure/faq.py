"""Recurring questions: what customers ask again and again, grouped into FAQ candidates.

A question answered once on the business's own site (an FAQ entry, a help page) stops being asked in
reviews, mentions and tickets; since Google closed its Q&A API in 2025 that page is where such answers
live. This reads the questions of a period — the items the analysis marked ``is_question``, those the
viewer may see, not spam, not a competitor's — newest first, at most ``MAX_QUESTIONS``, and groups them by
their stored sentence vectors (:func:`voxpop.analyze.questions.faq_candidates`: average-linkage clusters
of questions at least ``similarity`` alike). Each group says how often it was asked, when last, and how
many of its questions still have no response.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from voxpop.act.inbox import visible_to
from voxpop.analyze.questions import faq_candidates
from voxpop.analyze.store_topics import item_text
from voxpop.errors import ValidationError
from voxpop.measure.observations import between, ours
from voxpop.store.models import Item, Source, User
from voxpop.store.models.topics import ItemEmbedding

MAX_QUESTIONS = 2000  # average linkage holds every pair: 2,000 questions group in about half a second
#: How alike two questions must be (cosine of their sentence vectors) to be one FAQ candidate. "close"
#: keeps rewordings of one question; "loose" also joins questions about the same matter ("where is my
#: bag" and "did my luggage leave Denver yet").
SIMILARITY = {"close": 0.75, "usual": 0.65, "loose": 0.55}
MAX_EXAMPLES = 5


@dataclass(frozen=True)
class AskedQuestion:
    item_id: int
    text: str
    created_at: datetime
    answered: bool


@dataclass(frozen=True)
class FaqEntry:
    question: AskedQuestion  # the most central of the group: it stands for the others
    count: int
    unanswered: int
    last_asked: datetime
    examples: list[AskedQuestion]  # the most central first, the representative included


@dataclass(frozen=True)
class FaqView:
    first: date
    last: date
    grouping: str
    questions: int  # questions read (newest first, at most MAX_QUESTIONS)
    capped: bool  # more questions than MAX_QUESTIONS in the period: the oldest were left out
    not_embedded: int  # read but without a vector of the current model yet: not grouped
    entries: list[FaqEntry]


def faq_view(
    session: Session, viewer: User | None, first: date, last: date, *, grouping: str = "usual", min_count: int = 2
) -> FaqView:
    """The FAQ candidates among the questions of the days ``[first, last]`` that ``viewer`` may see
    (``None``: every department), most asked first."""
    if grouping not in SIMILARITY:
        raise ValidationError(f"grouping: '{grouping}' is not one of {', '.join(SIMILARITY)}")
    if last < first:
        raise ValidationError(f"the period ends ({last}) before it starts ({first})")
    if min_count < 2:
        raise ValidationError("min_count: a question asked once is not a recurring one (at least 2)")
    conditions = [*ours(*between(first, last)), Item.is_question.is_(True)]
    scope = visible_to(viewer) if viewer is not None else None
    if scope is not None:
        conditions.append(scope)
    rows = session.execute(
        select(
            Item.id,
            Item.title,
            Item.text,
            Item.created_at,
            Item.responded_at,
            ItemEmbedding.model,
            ItemEmbedding.vector,
        )
        .join(Source, Source.id == Item.source_id)
        .outerjoin(ItemEmbedding, ItemEmbedding.item_id == Item.id)
        .where(*conditions)
        .order_by(Item.created_at.desc(), Item.id.desc())
        .limit(MAX_QUESTIONS + 1)
    ).all()
    capped = len(rows) > MAX_QUESTIONS
    rows = rows[:MAX_QUESTIONS]
    # Vectors of one model only: after a model change the items are embedded again by the topic refresh.
    model = Counter(r.model for r in rows if r.vector is not None).most_common(1)
    usable = [r for r in rows if model and r.model == model[0][0] and r.vector is not None]
    asked = [AskedQuestion(r.id, item_text(r.title, r.text), r.created_at, r.responded_at is not None) for r in usable]
    entries: list[FaqEntry] = []
    if len(usable) >= min_count:
        vectors = np.vstack([np.frombuffer(r.vector, dtype=np.float16) for r in usable]).astype(np.float32)
        found = faq_candidates([q.text for q in asked], vectors, similarity=SIMILARITY[grouping], min_count=min_count)
        for candidate in found:
            members = [asked[i] for i in candidate.indices]
            by_centrality = [asked[i] for i in candidate.central]
            entries.append(
                FaqEntry(
                    question=by_centrality[0],
                    count=candidate.count,
                    unanswered=sum(1 for q in members if not q.answered),
                    last_asked=max(q.created_at for q in members),
                    examples=by_centrality[:MAX_EXAMPLES],
                )
            )
    return FaqView(first, last, grouping, len(rows), capped, len(rows) - len(usable), entries)
