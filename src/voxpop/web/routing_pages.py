"""Pages for routing rules (managers and admins), the item's workflow panel (status, assignee,
department, tags, notes, history), inbox bulk actions, saved views and the user's mentions.

Every form posts with the session's CSRF token (``PageUser`` checks it); every item goes through
``act.inbox.get_item``, so another department's item is a 404 here too.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from voxpop.act import workflow
from voxpop.act.inbox import get_item
from voxpop.act.notes import add_note, mark_seen, mentions_of, send_mention_mails
from voxpop.act.routing import rules as routing_rules
from voxpop.act.routing.yamlio import export_yaml, import_yaml
from voxpop.act.views import clean_filters, delete_view, save_view
from voxpop.errors import ValidationError
from voxpop.settings import Settings
from voxpop.store import Store
from voxpop.store.models import User
from voxpop.web.auth import PageUser, ReadDb, get_settings, get_store
from voxpop.web.filters import FORM_FIELDS
from voxpop.web.templating import render

router = APIRouter(include_in_schema=False)
StoreDep = Annotated[Store, Depends(get_store)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
LIST_CONDITIONS = ("channels", "sources", "locations", "kinds", "sentiments", "aspects", "languages", "keywords")
NUMBER_CONDITIONS = ("stars_min", "stars_max", "urgency_min", "authenticity_risk_min")
VIEW_FIELDS = (*FORM_FIELDS, "order")


def _me(session: Any, user: User) -> User:
    return workflow.user_by_id(session, user.id)


# --- rules ------------------------------------------------------------------------------------------------


def _rules_page(request: Request, db: Any, user: User, *, error: str = "", yaml_text: str = "") -> Response:
    routing_rules.require_rule_editor(user)
    rules = [(rule, routing_rules.spec_document(routing_rules.spec_of(rule))) for rule in routing_rules.list_rules(db)]
    context = {"active": "rules", "rules": rules, "error": error, "yaml_text": yaml_text}
    return render(request, "routing/rules.html", context, status_code=422 if error else 200)


@router.get("/rules")
def rules_page(request: Request, user: PageUser, db: ReadDb) -> Response:
    return _rules_page(request, db, user)


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.replace("\n", ",").split(",") if part.strip()]


def spec_from_form(form: FormData) -> dict[str, Any]:
    """The rule document a rule form describes (validated by ``parse_spec`` afterwards)."""
    when: dict[str, Any] = {}
    for name in LIST_CONDITIONS:
        values = _split(str(form.get(name) or ""))
        if values:
            when[name] = values
    for name in NUMBER_CONDITIONS:
        value = str(form.get(name) or "").strip()
        if value:
            when[name] = value
    regex = str(form.get("regex") or "")
    if regex.strip():
        when["regex"] = regex
    then: dict[str, Any] = {}
    for name in ("department", "assignee", "priority", "sla_hours"):
        value = str(form.get(name) or "").strip()
        if value:
            then[name] = value
    tags = _split(str(form.get("tags") or ""))
    if tags:
        then["tags"] = tags
    return {
        "name": str(form.get("name") or ""),
        "enabled": form.get("enabled") == "on",
        "continue": form.get("continue") == "on",
        "default": form.get("default") == "on",
        "when": when,
        "then": then,
    }


def _form_values(doc: dict[str, Any]) -> dict[str, str]:
    """A rule document as the form's field values."""
    values: dict[str, str] = {"name": str(doc.get("name", ""))}
    for key in ("enabled", "continue", "default"):
        values[key] = "on" if doc.get(key, key == "enabled") else ""
    for key, value in {**doc.get("when", {}), **doc.get("then", {})}.items():
        values[key] = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
    return values


def _rule_form(request: Request, db: Any, *, rule_id: int | None, values: dict[str, str], error: str = "") -> Response:
    from voxpop.act.departments import list_departments

    context = {
        "active": "rules",
        "rule_id": rule_id,
        "values": values,
        "error": error,
        "departments": list_departments(db),
    }
    return render(request, "routing/rule_form.html", context, status_code=422 if error else 200)


@router.get("/rules/new")
def rule_new(request: Request, user: PageUser, db: ReadDb) -> Response:
    routing_rules.require_rule_editor(user)
    return _rule_form(request, db, rule_id=None, values={"enabled": "on"})


@router.get("/rules/{rule_id}/edit")
def rule_edit(request: Request, rule_id: int, user: PageUser, db: ReadDb) -> Response:
    routing_rules.require_rule_editor(user)
    rule = routing_rules.get_rule(db, rule_id)
    doc = routing_rules.spec_document(routing_rules.spec_of(rule))
    return _rule_form(request, db, rule_id=rule.id, values=_form_values(doc))


async def _save_rule(request: Request, user: User, store: Store, db: Any, rule_id: int | None) -> Response:
    routing_rules.require_rule_editor(user)
    form = await request.form()
    doc = spec_from_form(form)
    try:
        spec = routing_rules.parse_spec(doc)
        with store.write() as session:
            me = _me(session, user)
            if rule_id is None:
                routing_rules.create_rule(session, me, spec)
            else:
                routing_rules.update_rule(session, me, rule_id, spec)
    except ValidationError as exc:
        values = {k: str(v) for k, v in form.items() if k != "csrf_token"}
        return _rule_form(request, db, rule_id=rule_id, values=values, error=str(exc))
    return RedirectResponse("/rules?saved=1", status_code=303)


@router.post("/rules/new")
async def rule_create(request: Request, user: PageUser, store: StoreDep, db: ReadDb) -> Response:
    return await _save_rule(request, user, store, db, None)


@router.post("/rules/{rule_id}/edit")
async def rule_update(request: Request, rule_id: int, user: PageUser, store: StoreDep, db: ReadDb) -> Response:
    return await _save_rule(request, user, store, db, rule_id)


@router.post("/rules/{rule_id}/{action}")
async def rule_action(request: Request, rule_id: int, action: str, user: PageUser, store: StoreDep) -> Response:
    """Enable, disable, move up, move down or delete one rule."""
    routing_rules.require_rule_editor(user)
    with store.write() as session:
        me = _me(session, user)
        if action in ("enable", "disable"):
            routing_rules.set_enabled(session, me, rule_id, action == "enable")
        elif action in ("up", "down"):
            routing_rules.move_rule(session, me, rule_id, -1 if action == "up" else 1)
        elif action == "delete":
            routing_rules.delete_rule(session, me, rule_id)
        else:
            raise ValidationError(f"unknown action '{action}'")
    return RedirectResponse("/rules", status_code=303)


@router.get("/rules/export.yaml")
def rules_export(user: PageUser, db: ReadDb) -> Response:
    routing_rules.require_rule_editor(user)
    return Response(
        export_yaml(db),
        media_type="application/yaml",
        headers={"Content-Disposition": 'attachment; filename="voxpop-rules.yaml"'},
    )


@router.post("/rules/import")
async def rules_import(request: Request, user: PageUser, store: StoreDep, db: ReadDb) -> Response:
    routing_rules.require_rule_editor(user)
    form = await request.form()
    upload = form.get("file")
    text = str(form.get("yaml") or "")
    if upload is not None and not isinstance(upload, str):
        raw = await upload.read()
        if raw:
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                return _rules_page(request, db, user, error="the file is not UTF-8 text")
    try:
        with store.write() as session:
            import_yaml(session, _me(session, user), text, replace=form.get("replace") == "on", origin="the YAML")
    except ValidationError as exc:
        return _rules_page(request, db, user, error=str(exc), yaml_text=text)
    return RedirectResponse("/rules?imported=1", status_code=303)


# --- the item's workflow ----------------------------------------------------------------------------------


@router.post("/items/{item_id}/workflow")
async def item_workflow(request: Request, item_id: int, user: PageUser, store: StoreDep) -> Response:
    """The workflow form on the item page: department, assignee, status, priority, tags."""
    form = await request.form()
    with store.write() as session:
        me = _me(session, user)
        item = get_item(session, me, item_id)
        department = str(form.get("department_id") or "")
        if "department_id" in form and department != str(item.department_id or ""):
            target = workflow.department_by_id(session, _int(department, "department_id")) if department else None
            workflow.set_department(session, item, target, me)
        assignee = str(form.get("assignee_id") or "")
        if "assignee_id" in form and assignee != str(item.assignee_id or ""):
            person = workflow.user_by_id(session, _int(assignee, "assignee_id")) if assignee else None
            workflow.assign(session, item, person, me)
        status = str(form.get("status") or "")
        if status and status != item.status:
            workflow.set_status(session, item, status, me)
        priority = str(form.get("priority") or "")
        if priority:
            workflow.set_priority(session, item, _int(priority, "priority"), me)
        tags = str(form.get("tags") or "")
        if "tags" in form:
            wanted = workflow.clean_tags(_split(tags))
            workflow.remove_tags(session, item, [t for t in item.tags or [] if t not in wanted], me)
            workflow.add_tags(session, item, wanted, me)
    return RedirectResponse(f"/items/{item_id}#workflow", status_code=303)


def _int(value: str, field: str) -> int:
    if not value.strip().isdigit():
        raise ValidationError(f"{field}: '{value[:40]}' is not a number")
    return int(value)


@router.post("/items/{item_id}/notes")
async def item_note(
    request: Request,
    item_id: int,
    user: PageUser,
    store: StoreDep,
    settings: SettingsDep,
    background: BackgroundTasks,
) -> Response:
    form = await request.form()
    with store.write() as session:
        me = _me(session, user)
        made = add_note(session, me, get_item(session, me, item_id), str(form.get("text") or ""))
        note_id, mentioned = made.note.id, bool(made.mentioned)
        mark_seen(session, me, item_id=item_id)
    if mentioned:
        background.add_task(send_mention_mails, store, note_id, settings)
    return RedirectResponse(f"/items/{item_id}#notes", status_code=303)


# --- inbox: bulk actions, saved views; mentions -------------------------------------------------------------


@router.post("/inbox/bulk")
async def inbox_bulk(request: Request, user: PageUser, store: StoreDep) -> Response:
    form = await request.form()
    ids = [str(v) for v in form.getlist("ids")]
    if not all(v.isdigit() for v in ids):
        raise ValidationError("ids must be item ids")
    action = str(form.get("action") or "")
    value = str(form.get(f"value_{action}") or form.get("value") or "")
    with store.write() as session:
        result = workflow.bulk_apply(session, _me(session, user), [int(v) for v in ids], action, value)
    back = str(form.get("back") or "")
    target = back if back.startswith("/inbox") and "//" not in back else "/inbox"
    separator = "&" if "?" in target else "?"
    return RedirectResponse(
        f"{target}{separator}bulk_changed={len(result['changed'])}&bulk_skipped={len(result['skipped'])}",
        status_code=303,
    )


@router.post("/views")
async def view_save(request: Request, user: PageUser, store: StoreDep) -> Response:
    form = await request.form()
    filters = clean_filters({k: str(v) for k, v in form.items()}, VIEW_FIELDS)
    with store.write() as session:
        view = save_view(
            session, _me(session, user), str(form.get("view_name") or ""), filters, shared=form.get("shared") == "on"
        )
        view_id = view.id
    return RedirectResponse(f"/inbox?view={view_id}", status_code=303)


@router.post("/views/{view_id}/delete")
async def view_delete(view_id: int, user: PageUser, store: StoreDep) -> Response:
    with store.write() as session:
        delete_view(session, _me(session, user), view_id)
    return RedirectResponse("/inbox", status_code=303)


@router.get("/mentions")
def mentions_page(request: Request, user: PageUser, db: ReadDb) -> Response:
    mentions = mentions_of(db, user)
    return render(request, "routing/mentions.html", {"active": "mentions", "mentions": mentions})


@router.post("/mentions/seen")
async def mentions_seen(user: PageUser, store: StoreDep) -> Response:
    with store.write() as session:
        mark_seen(session, _me(session, user))
    return RedirectResponse("/mentions", status_code=303)
