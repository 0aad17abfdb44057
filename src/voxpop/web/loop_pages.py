"""Staff pages of the close-the-loop channels: the survey builder, invitations and results, widget
sites, and the staff-note form."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from typing import Annotated, Literal

from fastapi import APIRouter, BackgroundTasks, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse
from pydantic import BaseModel, Field

from voxpop.accounts.audit import record
from voxpop.accounts.permissions import require_write
from voxpop.errors import PermissionDeniedError, ValidationError
from voxpop.loop.staff_notes import FEELINGS, NoteInput, add_note
from voxpop.loop.survey_mail import add_recipients, send_invitations
from voxpop.loop.survey_results import export_csv, results
from voxpop.loop.surveys import (
    KIND_LABELS,
    SCALES,
    QuestionSpec,
    SurveySpec,
    add_question,
    create_survey,
    get_survey,
    is_open,
    list_surveys,
    move_question,
    remove_question,
    set_closing,
    set_open,
    update_question,
)
from voxpop.loop.widget import create_site, list_sites
from voxpop.notify.mail import MailError
from voxpop.store import Store
from voxpop.store.models import Role, User
from voxpop.store.models.loop import SurveyRecipient
from voxpop.web.auth import PageUser, ReadDb, get_store
from voxpop.web.public_pages import analyze_later
from voxpop.web.templating import render

router = APIRouter(include_in_schema=False)


def require_manager(user: User) -> None:
    """Surveys, widget sites and invitations speak for the business: managers and admins only."""
    if user.role not in (Role.admin.value, Role.manager.value):
        raise PermissionDeniedError("only a manager or an admin can do this")


def _back(survey_id: int, note: str = "") -> Response:
    return RedirectResponse(f"/surveys/{survey_id}" + (f"?note={note}" if note else ""), status_code=303)


@router.get("/surveys")
def surveys_page(request: Request, user: PageUser, db: ReadDb) -> Response:
    return render(request, "loop/surveys.html", {"surveys": list_surveys(db), "active": "surveys"})


@router.post("/surveys")
def survey_create(
    user: PageUser,
    store: Annotated[Store, Depends(get_store)],
    title: Annotated[str, Form(max_length=200)] = "",
    intro: Annotated[str, Form(max_length=2000)] = "",
    thank_you: Annotated[str, Form(max_length=2000)] = "",
    location: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    require_manager(user)
    with store.write() as db:
        survey = create_survey(db, SurveySpec(title=title, intro=intro, thank_you=thank_you, location=location))
        record(db, "survey_created", user=user, object_type="survey", object_id=survey.id)
        return _back(survey.id)


@router.get("/surveys/{survey_id}")
def survey_page(request: Request, survey_id: int, user: PageUser, db: ReadDb, note: str = "") -> Response:
    survey = get_survey(db, survey_id)
    total, per_question = results(db, survey)
    # the recipients' addresses are the business's to manage: agents and viewers see the results only
    recipients = (
        db.query(SurveyRecipient).filter(SurveyRecipient.survey_id == survey.id).order_by(SurveyRecipient.id).all()
        if user.role in (Role.admin.value, Role.manager.value)
        else []
    )
    base = request.app.state.settings.base_url.rstrip("/")
    return render(
        request,
        "loop/survey.html",
        {
            "active": "surveys",
            "survey": survey,
            "open": is_open(survey),
            "public_link": f"{base}/s/{survey.slug}",
            "total": total,
            "results": per_question,
            "recipients": recipients,
            "kinds": KIND_LABELS,
            "scales": SCALES,
            "note": note,
        },
    )


class QuestionForm(BaseModel):
    """The question fields of the builder's add and edit forms."""

    kind: str = Field("", max_length=20)
    prompt: str = Field("", max_length=1000)
    options: str = Field("", max_length=5000)
    required: bool = False
    followup_at_or_below: str = Field("", max_length=10)
    followup_prompt: str = Field("", max_length=1000)

    def spec(self) -> QuestionSpec:
        try:
            threshold = float(self.followup_at_or_below) if self.followup_at_or_below.strip() else None
        except ValueError:
            raise ValidationError("field 'followup_at_or_below': give a number") from None
        return QuestionSpec(
            self.kind, self.prompt, self.options.splitlines(), self.required, threshold, self.followup_prompt
        )


@router.post("/surveys/{survey_id}/questions")
def survey_add_question(
    survey_id: int, user: PageUser, store: Annotated[Store, Depends(get_store)], form: Annotated[QuestionForm, Form()]
) -> Response:
    require_manager(user)
    spec = form.spec()
    with store.write() as db:
        add_question(db, get_survey(db, survey_id), spec)
    return _back(survey_id)


@router.post("/surveys/{survey_id}/questions/{question_id}")
def survey_edit_question(
    survey_id: int,
    question_id: int,
    user: PageUser,
    store: Annotated[Store, Depends(get_store)],
    form: Annotated[QuestionForm, Form()],
) -> Response:
    require_manager(user)
    spec = form.spec()
    with store.write() as db:
        update_question(db, get_survey(db, survey_id), question_id, spec)
        record(db, "survey_question_edited", user=user, object_type="survey", object_id=survey_id, question=question_id)
    return _back(survey_id, "Question saved")


@router.post("/surveys/{survey_id}/questions/{question_id}/move")
def survey_move_question(
    survey_id: int,
    question_id: int,
    user: PageUser,
    store: Annotated[Store, Depends(get_store)],
    direction: Annotated[Literal["up", "down"], Form()],
) -> Response:
    require_manager(user)
    with store.write() as db:
        move_question(db, get_survey(db, survey_id), question_id, -1 if direction == "up" else 1)
    return _back(survey_id)


@router.post("/surveys/{survey_id}/state")
def survey_state(
    survey_id: int,
    user: PageUser,
    store: Annotated[Store, Depends(get_store)],
    open: Annotated[bool, Form()] = False,
) -> Response:
    require_manager(user)
    with store.write() as db:
        set_open(db, get_survey(db, survey_id), open)
        record(db, "survey_opened" if open else "survey_closed", user=user, object_type="survey", object_id=survey_id)
    return _back(survey_id)


@router.post("/surveys/{survey_id}/questions/{question_id}/remove")
def survey_remove_question(
    survey_id: int, question_id: int, user: PageUser, store: Annotated[Store, Depends(get_store)]
) -> Response:
    require_manager(user)
    with store.write() as db:
        remove_question(db, get_survey(db, survey_id), question_id)
    return _back(survey_id)


@router.post("/surveys/{survey_id}/closing")
def survey_closing(
    survey_id: int,
    user: PageUser,
    store: Annotated[Store, Depends(get_store)],
    closes_on: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """The day (UTC) the survey stops taking answers; empty: no closing date."""
    require_manager(user)
    try:
        day = date.fromisoformat(closes_on) if closes_on.strip() else None
    except ValueError:
        raise ValidationError("field 'closes_on': give a date like 2026-12-31") from None
    with store.write() as db:
        set_closing(db, get_survey(db, survey_id), datetime.combine(day, time.min, UTC) if day else None)
    return _back(survey_id)


@router.post("/surveys/{survey_id}/recipients")
def survey_recipients(
    survey_id: int,
    user: PageUser,
    store: Annotated[Store, Depends(get_store)],
    emails: Annotated[str, Form(max_length=200_000)] = "",
) -> Response:
    """One recipient a line: ``e-mail`` or ``e-mail, name``."""
    require_manager(user)
    people: list[tuple[str, str | None]] = []
    for line in emails.splitlines():
        if line.strip():
            email, _, name = line.partition(",")
            people.append((email, name or None))
    with store.write() as db:
        added, known = add_recipients(db, get_survey(db, survey_id), people)
    return _back(survey_id, f"{added} added, {known} already invited")


@router.post("/surveys/{survey_id}/send")
def survey_send(survey_id: int, user: PageUser, store: Annotated[Store, Depends(get_store)]) -> Response:
    require_manager(user)
    try:
        result = send_invitations(store, survey_id, user=user)
    except MailError as exc:
        raise ValidationError(str(exc)) from exc
    note = f"{result.sent} sent, {result.opted_out} opted out"
    if result.errors:
        note += f", {len(result.errors)} failed"
    return _back(survey_id, note)


@router.get("/surveys/{survey_id}/export.csv")
def survey_export(survey_id: int, user: PageUser, store: Annotated[Store, Depends(get_store)]) -> Response:
    require_manager(user)
    with store.write() as db:
        record(db, "survey_exported", user=user, object_type="survey", object_id=survey_id)
    session = store.read()
    survey = get_survey(session, survey_id)

    def lines() -> Iterator[str]:
        try:
            yield from export_csv(session, survey)
        finally:
            session.close()

    return StreamingResponse(
        lines(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="survey-{survey_id}.csv"'},
    )


@router.get("/widget-sites")
def widget_sites_page(request: Request, user: PageUser, db: ReadDb) -> Response:
    require_manager(user)
    base = request.app.state.settings.base_url.rstrip("/")
    return render(request, "loop/widget_sites.html", {"active": "widget", "sites": list_sites(db), "base": base})


@router.post("/widget-sites")
def widget_site_create(
    user: PageUser,
    store: Annotated[Store, Depends(get_store)],
    name: Annotated[str, Form(max_length=200)] = "",
    origins: Annotated[str, Form(max_length=5000)] = "",
    location: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    require_manager(user)
    with store.write() as db:
        site = create_site(db, name, origins.split(), location=location)
        record(db, "widget_site_created", user=user, object_type="widget_site", object_id=site.id, origins=site.origins)
    return RedirectResponse("/widget-sites", status_code=303)


@router.get("/notes/new")
def note_form(request: Request, user: PageUser, added: int | None = None) -> Response:
    require_write(user)
    context = {"active": "notes", "feelings": FEELINGS, "form": NoteInput(text=""), "added": added, "error": ""}
    return render(request, "loop/note_form.html", context)


@router.post("/notes")
def note_add(
    request: Request,
    user: PageUser,
    background: BackgroundTasks,
    store: Annotated[Store, Depends(get_store)],
    text: Annotated[str, Form(max_length=10_000)] = "",
    feeling: Annotated[str, Form(max_length=20)] = "",
    topic: Annotated[str, Form(max_length=200)] = "",
    location: Annotated[str, Form(max_length=200)] = "",
    customer_name: Annotated[str, Form(max_length=200)] = "",
    customer_email: Annotated[str, Form(max_length=320)] = "",
) -> Response:
    note = NoteInput(text, location, topic, feeling, customer_name, customer_email)
    try:
        with store.write() as db:
            item_id = add_note(db, user, note)
    except ValidationError as exc:
        context = {"active": "notes", "feelings": FEELINGS, "form": note, "added": None, "error": str(exc)}
        return render(request, "loop/note_form.html", context, status_code=422)
    analyze_later(background, store, [item_id])
    return RedirectResponse("/notes/new?added=1", status_code=303)
