"""The grouped main menu: six groups in the top bar, the current group's pages in a second row, and
only the pages a role may open."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import World, csrf_of, login


def _links(html: str, nav_class: str) -> list[str]:
    nav = re.search(rf'<nav class="{nav_class}"[^>]*>(.*?)</nav>', html, re.S)
    return re.findall(r'href="([^"]+)"', nav.group(1)) if nav else []


def _menu(client: TestClient) -> dict[str, list[str]]:
    """Every group's link and the pages its second row lists, read from the pages themselves."""
    groups = _links(client.get("/inbox").text, "mainnav")
    # the API reference (/api/docs, the Admin group of agents and viewers) is a page of its own, without the menu
    return {group: _links(client.get(group).text, "subnav") for group in groups if group != "/api/docs"}


@pytest.mark.parametrize(
    "email", ["admin@example.com", "manager@example.com", "agent@example.com", "viewer@example.com"]
)
def test_every_menu_link_opens_for_the_role_that_sees_it(app_client: TestClient, world: World, email: str) -> None:
    login(app_client, email)
    menu = _menu(app_client)
    pages = [page for pages in menu.values() for page in pages]
    assert pages, email
    for page in pages:
        assert app_client.get(page).status_code == 200, (email, page)


def test_agents_and_viewers_see_only_what_they_may_use(app_client: TestClient, world: World) -> None:
    login(app_client, "manager@example.com")
    manager = {page for pages in _menu(app_client).values() for page in pages}
    assert {"/rules", "/alerts", "/sources", "/widget-sites", "/invitations", "/pipeline", "/notes/new"} <= manager
    assert len(_links(app_client.get("/inbox").text, "mainnav")) == 6

    app_client.post("/logout", data={"csrf_token": csrf_of(app_client.get("/inbox").text)})
    login(app_client, "agent@example.com")
    agent = {page for pages in _menu(app_client).values() for page in pages}
    assert {"/notes/new", "/inbox"} <= agent
    assert not agent & {"/rules", "/alerts", "/sources", "/widget-sites", "/invitations", "/pipeline", "/outreach"}


def test_viewer_has_no_staff_note_link_and_no_empty_group(app_client: TestClient, world: World) -> None:
    login(app_client, "viewer@example.com")
    menu = _menu(app_client)
    assert "/notes/new" not in {page for pages in menu.values() for page in pages}
    assert all(menu.values())  # a group whose every page is closed to the role is left out
    assert ">Listen</a>" not in app_client.get("/inbox").text  # neither Sources nor Staff note is a viewer's


def test_second_row_marks_the_current_page(app_client: TestClient, world: World) -> None:
    login(app_client, "admin@example.com")
    html = app_client.get("/surveys").text
    assert re.search(r'<nav class="mainnav".*?<a href="/surveys" aria-current="true"[^>]*>Loop</a>', html, re.S)
    assert '<nav class="subnav" aria-label="Loop">' in html
    assert re.search(r'<a href="/surveys" aria-current="page">Surveys</a>', html)


ROLE_EMAILS = {
    "admin": "admin@example.com",
    "manager": "manager@example.com",
    "agent": "agent@example.com",
    "viewer": "viewer@example.com",
}


@pytest.mark.parametrize("role", ["manager", "agent", "viewer"])
def test_a_page_the_menu_hides_from_a_role_refuses_it_by_url(app_client: TestClient, world: World, role: str) -> None:
    """Hiding a link is not access control: every page the menu keeps from a role answers 403 to that role."""
    from voxpop.web.navigation import MENU

    login(app_client, ROLE_EMAILS[role])
    hidden = [link.href for group in MENU for link in group.links if role not in link.roles]
    assert hidden
    for href in hidden:
        assert app_client.get(href).status_code == 403, (role, href)


def test_survey_recipients_and_export_are_for_managers(app_client: TestClient, world: World) -> None:
    login(app_client, "manager@example.com")
    page = app_client.get("/surveys")
    csrf = csrf_of(page.text)
    created = app_client.post("/surveys", data={"csrf_token": csrf, "title": "After your visit"})
    survey_url = created.headers.get("location") or str(created.url)
    survey_path = re.search(r"/surveys/\d+", survey_url)
    assert survey_path, survey_url
    html = app_client.get(survey_path.group(0)).text
    added = app_client.post(
        survey_path.group(0) + "/recipients",
        data={"csrf_token": csrf_of(html), "emails": "zoe@example.org, Zoe"},
    )
    assert added.status_code in (200, 303)
    assert "zoe@example.org" in app_client.get(survey_path.group(0)).text
    assert app_client.get(survey_path.group(0) + "/export.csv").status_code == 200

    app_client.post("/logout", data={"csrf_token": csrf_of(app_client.get("/inbox").text)})
    login(app_client, "agent@example.com")
    assert app_client.get(survey_path.group(0)).status_code == 200  # the results stay readable
    assert "zoe@example.org" not in app_client.get(survey_path.group(0)).text
    assert app_client.get(survey_path.group(0) + "/export.csv").status_code == 403
