"""REST API v1 for replies: send and list an item's replies, suggestions, the tone check, AI drafts and
the template library. Same scoping as the pages: another department's item is a 404."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from voxpop.act.replies import llm
from voxpop.act.replies.send import ORIGINS, ReplyInput, send_reply
from voxpop.act.replies.send import replies_for as list_replies
from voxpop.act.replies.service import suggestions_for, tone_model_for
from voxpop.act.replies.templates import TemplateInput, create_template, ensure_library, list_templates
from voxpop.act.replies.tone import check_tone
from voxpop.settings import Settings
from voxpop.store import Store
from voxpop.web.auth import ApiCaller, ReadDb, get_settings, get_store
from voxpop.web.schemas import ErrorOut

ERRORS: dict[int | str, dict[str, Any]] = {code: {"model": ErrorOut} for code in (401, 403, 404, 422)}
router = APIRouter(prefix="/api/v1", tags=["replies"], responses=ERRORS)
StoreDep = Annotated[Store, Depends(get_store)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


class ToneFlagOut(BaseModel):
    category: str
    phrase: str
    start: int
    end: int
    suggestion: str
    why: str


class ToneIn(BaseModel):
    text: str = Field(max_length=10_000)


class ToneOut(BaseModel):
    ok: bool
    categories: list[str]
    flags: list[ToneFlagOut]


class ReplyIn(BaseModel):
    text: str = Field(min_length=1, max_length=10_000)
    send_anyway: bool = Field(default=False, description="Send although the tone check flags it (recorded).")
    template_id: int | None = None
    origin: str = Field(default="manual", description=f"One of {', '.join(ORIGINS)}.")


class ReplyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    item_id: int
    user_id: int | None
    template_id: int | None
    origin: str
    text: str
    sent_at: datetime
    response_seconds: int | None
    delivery: str
    posted_to: str | None
    tone_flags: list[ToneFlagOut]
    tone_overridden: bool


class SuggestionOut(BaseModel):
    kind: str
    text: str
    reason: str
    score: float
    template_id: int | None
    reply_id: int | None


class TemplateIn(BaseModel):
    name: str = Field(max_length=200)
    body: str = Field(max_length=5000)
    language: str = "en"
    sentiment: str | None = None
    aspect: str | None = None
    channel: str | None = None
    purpose: str = "thanks"
    vertical: str | None = None


class TemplateOut(TemplateIn):
    model_config = ConfigDict(from_attributes=True)

    id: int
    is_default: bool


class DraftOut(BaseModel):
    draft: str
    note: str = "A draft for a person to read and edit; it has not been sent."


@router.post("/tone", response_model=ToneOut)
def tone(body: ToneIn, caller: ApiCaller, settings: SettingsDep) -> ToneOut:
    """Check a draft's tone: flagged phrases, their category and a softer wording for each."""
    caller.require("items:read")
    report = check_tone(body.text, tone_model_for(settings))
    flags = [ToneFlagOut(**f.as_dict()) for f in report.flags]
    return ToneOut(ok=report.ok, categories=report.categories(), flags=flags)


@router.get("/items/{item_id}/replies", response_model=list[ReplyOut])
def replies(item_id: int, caller: ApiCaller, db: ReadDb) -> list[ReplyOut]:
    caller.require("items:read")
    return [ReplyOut.model_validate(r) for r in list_replies(db, caller.user, item_id)]


@router.post("/items/{item_id}/replies", response_model=ReplyOut, status_code=201)
def send(item_id: int, body: ReplyIn, caller: ApiCaller, store: StoreDep, settings: SettingsDep) -> ReplyOut:
    """Send a reply: 422 when the tone check flags it (unless ``send_anyway``); the item becomes responded."""
    caller.require("items:write")
    data = ReplyInput(text=body.text, send_anyway=body.send_anyway, template_id=body.template_id, origin=body.origin)
    return ReplyOut.model_validate(send_reply(store, caller.user, item_id, data, model=tone_model_for(settings)))


@router.get("/items/{item_id}/suggestions", response_model=list[SuggestionOut])
def suggestions(item_id: int, caller: ApiCaller, store: StoreDep, settings: SettingsDep) -> list[SuggestionOut]:
    """The best-fitting templates and the team's replies to similar items, filled in, with reasons."""
    caller.require("items:read")
    found = suggestions_for(store, settings, caller.user, item_id)
    return [SuggestionOut(**s.__dict__) for s in found]


@router.post("/items/{item_id}/draft", response_model=DraftOut)
def draft(item_id: int, caller: ApiCaller, store: StoreDep, settings: SettingsDep) -> DraftOut:
    """An AI draft from the configured OpenAI-compatible endpoint (never sent by itself)."""
    caller.require("items:write")
    return DraftOut(draft=llm.draft_for_item(store, settings, caller.user, item_id))


@router.get("/reply-templates", response_model=list[TemplateOut])
def templates(caller: ApiCaller, store: StoreDep, language: str | None = None) -> list[TemplateOut]:
    caller.require("items:read")
    with store.write() as session:
        ensure_library(session)
    with store.read() as session:
        return [TemplateOut.model_validate(t) for t in list_templates(session, language=language)]


@router.post("/reply-templates", response_model=TemplateOut, status_code=201)
def create(body: TemplateIn, caller: ApiCaller, store: StoreDep) -> TemplateOut:
    """Add a template (managers and admins); a template that reaches beyond its variables is refused (422)."""
    caller.require("items:write")
    with store.write() as session:
        made = create_template(session, caller.user, TemplateInput(**body.model_dump()))
        return TemplateOut.model_validate(made)
