"""Internal notes on an item, with @mentions.

``@ana@example.com`` (an e-mail) or ``@ana`` (the part of a user's e-mail before the ``@``, when only one
user has it) mentions a user who may see the item. Each mentioned user gets a notification (a
``Mention`` row, shown under "Mentions" until seen) and, when mail is configured, an e-mail — sent after
the note is stored, so a mail server that is down never loses the note.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from voxpop.accounts.audit import record
from voxpop.accounts.permissions import require_write
from voxpop.act.inbox import visible_to
from voxpop.errors import ValidationError, VoxpopError
from voxpop.notify.mail import Mail, send_mail
from voxpop.settings import Settings
from voxpop.store import Store
from voxpop.store.models import Item, User
from voxpop.store.models.routing import ItemNote, Mention
from voxpop.store.types import utcnow

log = logging.getLogger(__name__)
MAX_NOTE = 10_000
# "@" + an e-mail or a local part; not preceded by a word character (so "ana@example.com" alone is no mention).
MENTION = re.compile(r"(?<![\w@])@([A-Za-z0-9._%+-]+(?:@[A-Za-z0-9.-]+\.[A-Za-z]{2,})?)")


@dataclass
class NoteResult:
    note: ItemNote
    mentioned: list[User]
    unknown: list[str]


def _can_see(user: User, item: Item) -> bool:
    return user.is_active and (user.sees_all_departments or item.department_id in user.department_ids)


def mentioned_users(session: Session, item: Item, text: str) -> tuple[list[User], list[str]]:
    """The users ``text`` mentions who may see ``item``, and the handles that named no such user."""
    users: dict[int, User] = {}
    unknown: list[str] = []
    for handle in dict.fromkeys(m.rstrip(".") for m in MENTION.findall(text)):
        handle_lower = handle.lower()
        if "@" in handle_lower:
            found = list(session.scalars(select(User).where(User.email == handle_lower)))
        else:
            found = list(session.scalars(select(User).where(User.email.like(f"{handle_lower}@%"))))
        candidates = [u for u in found if _can_see(u, item)]
        if len(candidates) == 1:
            users[candidates[0].id] = candidates[0]
        else:
            unknown.append(handle)
    return list(users.values()), unknown


def add_note(session: Session, author: User, item: Item, text: str) -> NoteResult:
    """Add a note to ``item`` (loaded through ``get_item``, so the author may see it)."""
    require_write(author)
    text = text.strip()
    if not text:
        raise ValidationError("text: a note cannot be empty")
    if len(text) > MAX_NOTE:
        raise ValidationError(f"text: a note is at most {MAX_NOTE} characters")
    note = ItemNote(item_id=item.id, user_id=author.id, text=text)
    session.add(note)
    session.flush()
    users, unknown = mentioned_users(session, item, text)
    for user in users:
        if user.id != author.id:
            session.add(Mention(note_id=note.id, item_id=item.id, user_id=user.id))
    session.flush()
    record(
        session,
        "item_note",
        user=author,
        object_type="item",
        object_id=item.id,
        note_id=note.id,
        mentioned=[u.email for u in users if u.id != author.id],
    )
    return NoteResult(note=note, mentioned=[u for u in users if u.id != author.id], unknown=unknown)


def notes_of(session: Session, item_id: int) -> list[tuple[ItemNote, User | None]]:
    rows = session.execute(
        select(ItemNote, User)
        .outerjoin(User, User.id == ItemNote.user_id)
        .where(ItemNote.item_id == item_id)
        .order_by(ItemNote.created_at, ItemNote.id)
    )
    return [(note, user) for note, user in rows]


def mentions_of(session: Session, user: User, *, unseen_only: bool = False, limit: int = 100) -> list[Mention]:
    """The user's mentions, newest first — only on items they may still see."""
    query = (
        select(Mention)
        .join(Item, Item.id == Mention.item_id)
        .where(Mention.user_id == user.id)
        .order_by(Mention.created_at.desc(), Mention.id.desc())
        .limit(limit)
    )
    scope = visible_to(user)
    if scope is not None:
        query = query.where(scope)
    if unseen_only:
        query = query.where(Mention.seen_at.is_(None))
    return list(session.scalars(query))


def unseen_count(session: Session, user: User) -> int:
    query = select(func.count()).select_from(Mention).where(Mention.user_id == user.id, Mention.seen_at.is_(None))
    return int(session.scalar(query) or 0)


def mark_seen(session: Session, user: User, *, item_id: int | None = None) -> int:
    """Mark the user's mentions (on one item, or all) as seen; returns how many."""
    statement = update(Mention).where(Mention.user_id == user.id, Mention.seen_at.is_(None))
    if item_id is not None:
        statement = statement.where(Mention.item_id == item_id)
    result = session.execute(statement.values(seen_at=utcnow()).execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)


def mention_mails(settings: Settings, session: Session, note_id: int) -> list[tuple[int, Mail]]:
    """The e-mails for a note's mentions not mailed yet: (mention id, mail)."""
    rows = session.execute(
        select(Mention, User, ItemNote, Item)
        .join(User, User.id == Mention.user_id)
        .join(ItemNote, ItemNote.id == Mention.note_id)
        .join(Item, Item.id == Mention.item_id)
        .where(Mention.note_id == note_id, Mention.emailed_at.is_(None))
    )
    out: list[tuple[int, Mail]] = []
    for mention, user, note, item in rows:
        author = session.get(User, note.user_id) if note.user_id else None
        who = (author.name or author.email) if author else "Someone"
        link = f"{settings.base_url.rstrip('/')}/items/{item.id}"
        text = f"{who} mentioned you in a note on item {item.id}:\n\n{note.text}\n\nOpen it: {link}\n"
        subject = f"{who} mentioned you on item {item.id}"
        out.append((mention.id, Mail(to=user.email, to_name=user.name or None, subject=subject, text=text)))
    return out


def send_mention_mails(store: Store, note_id: int, settings: Settings | None = None) -> int:
    """E-mail the note's mentioned users (when SMTP is configured); returns how many were sent.

    Each mention is stamped once mailed, so a retry never mails anyone twice. A failure is logged and
    leaves the mention for the next try; the note and the in-app notification stay whatever happens.
    """
    settings = settings or store.settings
    if not settings.smtp_host:
        return 0
    with store.read() as session:
        mails = mention_mails(settings, session, note_id)
    sent = 0
    for mention_id, mail in mails:
        try:
            send_mail(settings, mail)
        except VoxpopError:
            log.warning("could not e-mail mention %d; it stays in the app", mention_id)
            continue
        with store.write() as session:
            session.execute(
                update(Mention)
                .where(Mention.id == mention_id, Mention.emailed_at.is_(None))
                .values(emailed_at=utcnow())
                .execution_options(synchronize_session=False)
            )
        sent += 1
    return sent
