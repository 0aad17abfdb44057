"""Tables of the close-the-loop channels (issue 6): surveys and their answers, and the website widget's sites.

The voices themselves (survey answers, widget posts, staff notes) are ``items``; these tables hold what
makes the channel work — the survey's questions, who was invited, which response a token owns, which
origins may post through a site key.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from voxpop.store.models.core import Base
from voxpop.store.types import BigIntId, Json, UtcDateTime, utcnow


class Survey(Base):
    __tablename__ = "loop_surveys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    intro: Mapped[str] = mapped_column(Text, default="")
    thank_you: Mapped[str] = mapped_column(Text, default="")
    location: Mapped[str | None] = mapped_column(String(200))
    is_open: Mapped[bool] = mapped_column(Boolean, default=True)
    closes_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    questions: Mapped[list[Question]] = relationship(
        order_by="Question.position", lazy="selectin", cascade="all, delete-orphan"
    )


class Question(Base):
    """One question. Scored kinds (nps, csat, ces, rating) may ask a follow-up when the score is at or
    below ``followup_at_or_below``."""

    __tablename__ = "loop_questions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("loop_surveys.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[str] = mapped_column(String(20))
    prompt: Mapped[str] = mapped_column(Text)
    options: Mapped[list[str]] = mapped_column(Json, default=list)
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    followup_at_or_below: Mapped[float | None] = mapped_column(Float)
    followup_prompt: Mapped[str] = mapped_column(Text, default="")


class SurveyRecipient(Base):
    """Someone invited personally; their link (signed with the secret key) owns one response."""

    __tablename__ = "loop_survey_recipients"
    __table_args__ = (UniqueConstraint("survey_id", "email"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("loop_surveys.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(320))
    name: Mapped[str | None] = mapped_column(String(200))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    clicked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class SurveyResponse(Base):
    """One answer to a survey: from a personal link (``recipient_id``, at most one) or the public link.

    ``answers`` maps question id (as text) to the value: a number for scored kinds, a string for single
    choice and open questions, a list for multiple choice, and ``"<id>:followup"`` to the follow-up text.
    """

    __tablename__ = "loop_survey_responses"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("loop_surveys.id", ondelete="CASCADE"), index=True)
    recipient_id: Mapped[int | None] = mapped_column(
        ForeignKey("loop_survey_recipients.id", ondelete="SET NULL"), unique=True
    )
    answers: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    email: Mapped[str | None] = mapped_column(String(320))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class WidgetSite(Base):
    """A website that embeds the feedback widget: its public key and the origins allowed to post."""

    __tablename__ = "loop_widget_sites"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    site_key: Mapped[str] = mapped_column(String(64), unique=True)
    origins: Mapped[list[str]] = mapped_column(Json, default=list)
    location: Mapped[str | None] = mapped_column(String(200))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Identity(Base):
    """A customer on the public idea board, known only by an e-mail address they proved they read."""

    __tablename__ = "loop_identities"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str | None] = mapped_column(String(200))
    verified_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Idea(Base):
    """An idea on the public board. A merged duplicate points at the idea its votes went to."""

    __tablename__ = "loop_ideas"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="open")
    status_note: Mapped[str] = mapped_column(Text, default="")
    identity_id: Mapped[int | None] = mapped_column(ForeignKey("loop_identities.id", ondelete="SET NULL"))
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("loop_ideas.id", ondelete="SET NULL"), index=True)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id", ondelete="SET NULL"))
    # Deferred: 384 floats of JSON per idea are read only by the similar-idea search (loop.ideas).
    embedding: Mapped[list[float] | None] = mapped_column(Json, deferred=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class IdeaVote(Base):
    __tablename__ = "loop_idea_votes"
    __table_args__ = (UniqueConstraint("idea_id", "identity_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    idea_id: Mapped[int] = mapped_column(ForeignKey("loop_ideas.id", ondelete="CASCADE"), index=True)
    identity_id: Mapped[int] = mapped_column(ForeignKey("loop_identities.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class IdeaComment(Base):
    __tablename__ = "loop_idea_comments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    idea_id: Mapped[int] = mapped_column(ForeignKey("loop_ideas.id", ondelete="CASCADE"), index=True)
    identity_id: Mapped[int | None] = mapped_column(ForeignKey("loop_identities.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ReviewLink(Base):
    """Where a customer of a location reviews the business on a platform (location None: the default)."""

    __tablename__ = "loop_review_links"
    __table_args__ = (UniqueConstraint("platform", "location"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(20))
    location: Mapped[str | None] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(String(2000))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ReviewInvitation(Base):
    """One request to review, sent to one customer: the same for everyone (no gating, no incentive)."""

    __tablename__ = "loop_review_invitations"
    __table_args__ = (Index("ix_loop_review_invitations_email_created", "email", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    email: Mapped[str] = mapped_column(String(320))
    platform: Mapped[str] = mapped_column(String(20))
    location: Mapped[str | None] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(String(2000))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    clicked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
