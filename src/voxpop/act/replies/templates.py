"""The canned-response library: templates by sentiment × aspect × channel × language.

Managers and admins edit the library; everyone who can answer uses it. Every body is checked by
:mod:`voxpop.act.replies.sandbox` when saved (a template that reaches for internals is refused with a
message that says why). The default library (``library/*.yaml``, one file per vertical) is loaded the
first time the library is used, and again on ``voxpop templates import``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from voxpop.accounts.audit import record
from voxpop.act.replies.sandbox import check_template, render_template
from voxpop.errors import NotFoundError, PermissionDeniedError, ValidationError
from voxpop.store.models import AuditEvent, Item, Role, User
from voxpop.store.models.replies import ReplyTemplate
from voxpop.store.types import utcnow

SENTIMENTS = ("negative", "neutral", "positive")
PURPOSES = ("thanks", "apology", "answer")
LIBRARY_LOADED = "reply_library_loaded"


@dataclass
class TemplateInput:
    """What a person typed into the template form (or a YAML entry holds)."""

    name: str
    body: str
    language: str = "en"
    sentiment: str | None = None
    aspect: str | None = None
    channel: str | None = None
    purpose: str = "thanks"
    vertical: str | None = None


def require_editor(user: User) -> None:
    if not user.is_active or user.role not in (Role.admin.value, Role.manager.value):
        raise PermissionDeniedError("only a manager or an admin can change the reply templates")


def _blank(value: object) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text or None


def clean_input(data: TemplateInput) -> TemplateInput:
    """Normalise and validate a template; raises ValidationError naming the field."""
    name = data.name.strip()
    if not name or len(name) > 200:
        raise ValidationError("name: give the template a name (at most 200 characters)")
    language = (data.language or "en").strip().lower()
    if not (2 <= len(language) <= 8) or not language.replace("-", "").isalpha():
        raise ValidationError(f"language: '{data.language}' is not a language code such as en, es, fr, de")
    sentiment = _blank(data.sentiment)
    if sentiment is not None and sentiment not in SENTIMENTS:
        raise ValidationError(f"sentiment: choose one of {', '.join(SENTIMENTS)} or leave it empty")
    purpose = _blank(data.purpose) or "thanks"
    if purpose not in PURPOSES:
        raise ValidationError(f"purpose: choose one of {', '.join(PURPOSES)}")
    body = data.body.replace("\r\n", "\n").strip()
    if not body:
        raise ValidationError("body: the template is empty")
    try:
        check_template(body)
    except ValidationError as exc:
        raise ValidationError(f"body: {exc}") from exc
    return TemplateInput(
        name=name,
        body=body,
        language=language,
        sentiment=sentiment,
        aspect=_blank(data.aspect),
        channel=_blank(data.channel),
        purpose=purpose,
        vertical=_blank(data.vertical),
    )


def _apply(template: ReplyTemplate, data: TemplateInput) -> None:
    template.name = data.name
    template.body = data.body
    template.language = data.language
    template.sentiment = data.sentiment
    template.aspect = data.aspect
    template.channel = data.channel
    template.purpose = data.purpose
    template.vertical = data.vertical


def _taken(session: Session, name: str, language: str, but: int | None = None) -> bool:
    query = select(ReplyTemplate.id).where(ReplyTemplate.name == name, ReplyTemplate.language == language)
    if but is not None:
        query = query.where(ReplyTemplate.id != but)
    return session.scalar(query) is not None


def create_template(session: Session, user: User, data: TemplateInput) -> ReplyTemplate:
    require_editor(user)
    clean = clean_input(data)
    if _taken(session, clean.name, clean.language):
        raise ValidationError(f"name: a '{clean.language}' template called '{clean.name}' already exists")
    template = ReplyTemplate(created_by=user.id, is_default=False)
    _apply(template, clean)
    session.add(template)
    session.flush()
    record(session, "reply_template_created", user=user, object_type="reply_template", object_id=template.id)
    return template


def update_template(session: Session, user: User, template_id: int, data: TemplateInput) -> ReplyTemplate:
    require_editor(user)
    template = get_template(session, template_id)
    clean = clean_input(data)
    if _taken(session, clean.name, clean.language, but=template.id):
        raise ValidationError(f"name: a '{clean.language}' template called '{clean.name}' already exists")
    _apply(template, clean)
    template.updated_at = utcnow()
    record(session, "reply_template_updated", user=user, object_type="reply_template", object_id=template.id)
    return template


def delete_template(session: Session, user: User, template_id: int) -> None:
    require_editor(user)
    template = get_template(session, template_id)
    record(
        session,
        "reply_template_deleted",
        user=user,
        object_type="reply_template",
        object_id=template.id,
        name=template.name,
    )
    session.delete(template)


def get_template(session: Session, template_id: int) -> ReplyTemplate:
    template = session.get(ReplyTemplate, template_id)
    if template is None:
        raise NotFoundError(f"no reply template {template_id}")
    return template


def list_templates(session: Session, *, language: str | None = None) -> list[ReplyTemplate]:
    query = select(ReplyTemplate).order_by(ReplyTemplate.name, ReplyTemplate.language)
    if language:
        query = query.where(ReplyTemplate.language == language)
    return list(session.scalars(query))


# --- the default library and YAML import/export ---------------------------------------------------


def library_files() -> list[Path]:
    folder = files("voxpop.act.replies") / "library"
    return sorted(Path(str(folder / name.name)) for name in folder.iterdir() if name.name.endswith(".yaml"))


def read_library(path: Path) -> list[TemplateInput]:
    """The templates of one YAML file; errors name the file, the entry and the field."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ValidationError(f"{path}: cannot read the file as YAML ({exc})") from exc
    if not isinstance(data, dict) or not isinstance(data.get("templates"), list):
        raise ValidationError(f"{path}: expected a mapping with a 'templates' list")
    vertical = _blank(data.get("vertical"))
    out: list[TemplateInput] = []
    for number, entry in enumerate(data["templates"], start=1):
        where = f"{path}, template {number}"
        if not isinstance(entry, dict):
            raise ValidationError(f"{where}: expected a mapping")
        bodies = entry.get("bodies")
        if isinstance(entry.get("body"), str):
            bodies = {str(entry.get("language") or "en"): entry["body"]}
        if not isinstance(bodies, dict) or not bodies:
            raise ValidationError(f"{where}, field 'bodies': give at least one language's text")
        for language, body in bodies.items():
            if not isinstance(body, str):
                raise ValidationError(f"{where}, field 'bodies.{language}': expected text")
            item = TemplateInput(
                name=str(entry.get("name") or ""),
                body=body,
                language=str(language),
                sentiment=entry.get("sentiment"),
                aspect=entry.get("aspect"),
                channel=entry.get("channel"),
                purpose=str(entry.get("purpose") or "thanks"),
                vertical=_blank(entry.get("vertical")) or vertical,
            )
            try:
                out.append(clean_input(item))
            except ValidationError as exc:
                raise ValidationError(f"{where} ({item.name or 'unnamed'}, {language}): {exc}") from exc
    return out


def import_templates(
    session: Session, entries: Iterable[TemplateInput], *, user: User | None = None, is_default: bool = False
) -> tuple[int, int]:
    """Add the entries, updating those whose (name, language) exists. Returns (added, updated)."""
    added = updated = 0
    for entry in entries:
        clean = clean_input(entry)
        template = session.scalar(
            select(ReplyTemplate).where(ReplyTemplate.name == clean.name, ReplyTemplate.language == clean.language)
        )
        if template is None:
            template = ReplyTemplate(is_default=is_default, created_by=user.id if user else None)
            session.add(template)
            added += 1
        else:
            template.updated_at = utcnow()
            updated += 1
        _apply(template, clean)
    session.flush()
    record(session, "reply_templates_imported", user=user, added=added, updated=updated)
    return added, updated


def load_default_library(session: Session, *, user: User | None = None) -> tuple[int, int]:
    entries = [entry for path in library_files() for entry in read_library(path)]
    result = import_templates(session, entries, user=user, is_default=True)
    record(session, LIBRARY_LOADED, user=user)
    return result


def ensure_library(session: Session) -> None:
    """Load the default library on first use (once: a team that deletes it keeps it deleted)."""
    if session.scalar(select(exists().where(AuditEvent.action == LIBRARY_LOADED))):
        return
    if session.scalar(select(func.count()).select_from(ReplyTemplate)):
        return
    load_default_library(session)


def export_templates(session: Session) -> dict[str, Any]:
    """The whole library in the YAML import format (one entry per template and language)."""
    entries: list[dict[str, Any]] = []
    for t in list_templates(session):
        entry: dict[str, Any] = {"name": t.name, "purpose": t.purpose}
        for key in ("sentiment", "aspect", "channel", "vertical"):
            if getattr(t, key):
                entry[key] = getattr(t, key)
        entry["bodies"] = {t.language: t.body}
        entries.append(entry)
    return {"templates": entries}


# --- filling a template for one item ---------------------------------------------------------------


def _first(name: str | None) -> str:
    """A first name to greet with: the first word of a real name; nothing for a handle like @ann_99."""
    name = (name or "").strip()
    if not name or name.startswith("@"):
        return ""
    token = name.split()[0]
    return token if token.replace("-", "").replace("'", "").isalpha() else ""


def item_values(item: Item, agent: User | None, *, business: str = "") -> dict[str, str]:
    """The variables for ``item``: plain strings only (the sandbox never sees an object)."""
    customer = (item.customer.name if item.customer is not None and item.customer.name else None) or (
        item.author_name or item.author_handle or ""
    )
    first = _first(customer)
    aspects = [str(a.get("name")) for a in item.aspects or [] if a.get("name")]
    agent_name = (agent.name or "").strip() if agent is not None else ""
    return {
        "first_name": first,
        "customer_name": customer,
        "business": business,
        "location": item.location or "",
        "aspect": aspects[0] if aspects else "",
        "agent_name": agent_name,
        "agent_first_name": agent_name.split()[0] if agent_name else "",
        "review_link": item.url or "",
        "channel": item.channel or "",
    }


def fill(template: ReplyTemplate | str, values: Mapping[str, str]) -> str:
    body = template if isinstance(template, str) else template.body
    return render_template(body, values)
