"""Review invitations: the staff page (platform links, CSV upload, tracking) and the tracked click."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from voxpop.errors import IngestError, ValidationError
from voxpop.loop.invitations import (
    PLATFORMS,
    click,
    list_links,
    read_customers,
    recent,
    send_invitations,
    set_link,
    stats,
)
from voxpop.notify.mail import MailError
from voxpop.store import Store
from voxpop.web.auth import PageUser, ReadDb, get_store
from voxpop.web.loop_pages import require_manager
from voxpop.web.templating import render

router = APIRouter(include_in_schema=False)
MAX_UPLOAD = 5_000_000


@router.get("/r/{token}")
def review_click(token: str, store: Annotated[Store, Depends(get_store)]) -> Response:
    """The link inside an invitation: counted once, then on to the platform's review page."""
    with store.write() as db:
        url = click(db, store.settings, token)
    return RedirectResponse(url, status_code=303)


def _page(request: Request, db: ReadDb, *, note: str = "", error: str = "", status: int = 200) -> Response:
    context = {
        "active": "invitations",
        "platforms": PLATFORMS,
        "links": list_links(db),
        "stats": stats(db),
        "recent": recent(db),
        "note": note,
        "error": error,
    }
    return render(request, "loop/invitations.html", context, status_code=status)


@router.get("/invitations")
def invitations_page(request: Request, user: PageUser, db: ReadDb, note: str = "") -> Response:
    require_manager(user)
    return _page(request, db, note=note)


@router.post("/invitations/links")
def invitations_link(
    user: PageUser,
    store: Annotated[Store, Depends(get_store)],
    platform: Annotated[str, Form(max_length=20)] = "",
    url: Annotated[str, Form(max_length=2000)] = "",
    location: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    require_manager(user)
    with store.write() as db:
        set_link(db, platform, url, location or None)
    return RedirectResponse("/invitations?note=link+saved", status_code=303)


@router.post("/invitations/send")
async def invitations_send(
    request: Request,
    user: PageUser,
    db: ReadDb,
    store: Annotated[Store, Depends(get_store)],
    customers: Annotated[UploadFile, File()],
    platform: Annotated[str, Form(max_length=20)] = "",
    location: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    require_manager(user)
    data = await customers.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        return _page(request, db, error="the file is larger than 5 MB", status=413)
    name = customers.filename or "upload"
    try:
        rows = read_customers(data.decode("utf-8-sig"), name)
        result = send_invitations(store, rows, platform, location=location or None, user=user)
    except UnicodeDecodeError:
        return _page(request, db, error=f"{name}: not UTF-8 text (save the CSV as UTF-8)", status=422)
    except (IngestError, ValidationError, MailError) as exc:
        return _page(request, db, error=str(exc), status=422)
    note = (
        f"{len(result.sent)} invited, {len(result.opted_out)} opted out, "
        f"{len(result.capped)} invited recently, {len(result.errors)} failed"
    )
    return RedirectResponse(f"/invitations?note={note.replace(' ', '+')}", status_code=303)
