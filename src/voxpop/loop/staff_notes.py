"""Staff notes: what a customer told someone at the counter, on the phone or in the shop, logged in two
clicks. A note is an item of kind ``note`` on the channel ``staff``, analysed like any other; how the
customer felt (as the staff member saw it) and the topic are kept in ``raw`` — never as a rating, since
it is not the customer's own score."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from voxpop.accounts.audit import record
from voxpop.accounts.permissions import require_write
from voxpop.errors import ValidationError
from voxpop.ingest.records import ItemRecord
from voxpop.loop.items import add_item, source_for
from voxpop.store.models import ItemKind, User

CHANNEL = "staff"
SOURCE = "Staff notes"
FEELINGS = ("very unhappy", "unhappy", "neutral", "happy", "very happy")
MAX_TEXT = 10_000


@dataclass
class NoteInput:
    text: str
    location: str = ""
    topic: str = ""
    feeling: str = ""
    customer_name: str = ""
    customer_email: str = ""


def _field(name: str, value: str, limit: int) -> str:
    value = (value or "").strip()
    if len(value) > limit:
        raise ValidationError(f"field '{name}': at most {limit} characters")
    if "\x00" in value:
        raise ValidationError(f"field '{name}': holds a NUL character")
    return value


def add_note(session: Session, user: User, note: NoteInput) -> int:
    """Store the note as an item (the caller runs the pipeline on the id); the note is audited."""
    require_write(user)
    text = _field("text", note.text, MAX_TEXT)
    if not text:
        raise ValidationError("field 'text': write what the customer said")
    feeling = _field("feeling", note.feeling, 20).lower()
    if feeling and feeling not in FEELINGS:
        raise ValidationError(f"field 'feeling': choose one of {', '.join(FEELINGS)}")
    email = _field("customer_email", note.customer_email, 320).lower()
    if email and ("@" not in email or any(c.isspace() for c in email)):
        raise ValidationError("field 'customer_email': not an e-mail address")
    topic = _field("topic", note.topic, 200)
    record_ = ItemRecord(
        text=text,
        kind=ItemKind.note.value,
        channel=CHANNEL,
        title=topic or None,
        author_name=_field("customer_name", note.customer_name, 200) or None,
        author_email=email or None,
        location=_field("location", note.location, 200) or None,
        raw={"topic": topic or None, "feeling": feeling or None, "staff": user.email, "staff_user_id": user.id},
    )
    item_id = add_item(session, source_for(session, SOURCE, kind="staff", channel=CHANNEL), record_)
    if item_id is None:
        raise ValidationError("this note was logged already")
    record(session, "staff_note_added", user=user, object_type="item", object_id=item_id)
    return item_id
