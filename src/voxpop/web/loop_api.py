"""REST API of the close-the-loop channels: staff notes."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends
from pydantic import BaseModel, Field

from voxpop.loop.staff_notes import NoteInput, add_note
from voxpop.store import Store
from voxpop.web.auth import ApiCaller, get_store
from voxpop.web.public_pages import analyze_later
from voxpop.web.schemas import ErrorOut

ERRORS: dict[int | str, dict[str, Any]] = {code: {"model": ErrorOut} for code in (401, 403, 422)}
router = APIRouter(prefix="/api/v1", tags=["v1"], responses=ERRORS)


class NoteIn(BaseModel):
    text: str = Field(min_length=1, max_length=10_000, description="What the customer said, in their words.")
    location: str = Field(default="", max_length=200)
    topic: str = Field(default="", max_length=200)
    feeling: str = Field(default="", max_length=20, description="very unhappy, unhappy, neutral, happy, very happy")
    customer_name: str = Field(default="", max_length=200)
    customer_email: str = Field(default="", max_length=320)


class NoteOut(BaseModel):
    id: int


@router.post("/notes", response_model=NoteOut, status_code=201)
def create_note(
    body: NoteIn, caller: ApiCaller, background: BackgroundTasks, store: Annotated[Store, Depends(get_store)]
) -> NoteOut:
    """Log what a customer told a member of staff; it becomes an item on the ``staff`` channel."""
    caller.require("items:write")
    with store.write() as db:
        item_id = add_note(db, caller.user, NoteInput(**body.model_dump()))
    analyze_later(background, store, [item_id])
    return NoteOut(id=item_id)
