"""Headless Chromium: the grouped menu as an agent and a manager would use it (keyboard included), and a
manager editing and reordering a survey's questions in the builder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from tests.e2e.test_routing_flow import _log_in
from tests.servers import CHROMIUM_ARGS, voxpop_server
from tests.web.conftest import World
from voxpop.loop.surveys import QuestionSpec, SurveySpec, create_survey
from voxpop.settings import Settings
from voxpop.store import Store
from voxpop.store.models.loop import Survey


@pytest.fixture
def plain_server(settings: Settings, store: Store, world: World, tmp_path: Path) -> Iterator[str]:
    with voxpop_server(settings, tmp_path) as url:
        yield url


def _prompts(store: Store, survey_id: int) -> list[str]:
    with store.read() as s:
        survey = s.get(Survey, survey_id)
        assert survey is not None
        return [q.prompt for q in survey.questions]


@pytest.mark.browser
def test_menu_groups_pages_and_hides_what_a_role_cannot_open(plain_server: str, world: World) -> None:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            page: Page = browser.new_page()
            _log_in(page, plain_server, "agent@example.com")
            main = page.get_by_role("navigation", name="Main")
            expect(main.get_by_role("link")).to_have_text(["Inbox", "Act", "Measure", "Listen", "Loop", "Admin"])
            expect(main.get_by_role("link", name="Inbox")).to_have_attribute("aria-current", "true")
            inbox_row = page.get_by_role("navigation", name="Inbox")
            expect(inbox_row.get_by_role("link")).to_have_text(["Inbox", "Mentions", "Questions"])
            inbox_row.get_by_role("link", name="Questions").click()
            page.wait_for_url(f"{plain_server}/questions")
            expect(page.get_by_role("heading", name="Recurring questions")).to_be_visible()
            expect(
                page.get_by_role("navigation", name="Inbox").get_by_role("link", name="Questions")
            ).to_have_attribute("aria-current", "page")
            page.get_by_label("Period").select_option("30")
            page.get_by_role("button", name="Show").click()
            page.wait_for_url(f"{plain_server}/questions?days=30&grouping=usual")
            expect(page.get_by_text("No question was asked more than once in this period.")).to_be_visible()
            # keyboard: the group links are reachable and open with Enter
            main.get_by_role("link", name="Loop").focus()
            page.keyboard.press("Enter")
            page.wait_for_url(f"{plain_server}/surveys")
            loop_row = page.get_by_role("navigation", name="Loop")
            expect(loop_row.get_by_role("link")).to_have_text(["Surveys", "Ideas"])  # no Widget, no Invitations
            expect(loop_row.get_by_role("link", name="Surveys")).to_have_attribute("aria-current", "page")
            page.close()

            page = browser.new_page()
            _log_in(page, plain_server, "manager@example.com")
            page.get_by_role("navigation", name="Main").get_by_role("link", name="Act").click()
            act_row = page.get_by_role("navigation", name="Act")
            expect(act_row.get_by_role("link")).to_have_text(["Reply templates", "Routing rules", "Alerts", "Outreach"])
            act_row.get_by_role("link", name="Routing rules").click()
            page.wait_for_url(f"{plain_server}/rules")
            expect(
                page.get_by_role("navigation", name="Act").get_by_role("link", name="Routing rules")
            ).to_have_attribute("aria-current", "page")
        finally:
            browser.close()


@pytest.mark.browser
def test_manager_edits_and_reorders_survey_questions(plain_server: str, store: Store, world: World) -> None:
    with store.write() as s:
        survey = create_survey(
            s,
            SurveySpec(
                title="Breakfast visit",
                questions=[QuestionSpec("nps", "Recommend us?"), QuestionSpec("open", "Anything else?")],
            ),
        )
        survey_id = survey.id
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            _log_in(page, plain_server, "manager@example.com")
            page.goto(f"{plain_server}/surveys/{survey_id}")
            expect(page.get_by_role("button", name="Move up: question 1")).to_be_disabled()
            page.get_by_role("button", name="Move up: question 2").click()
            page.wait_for_url(f"{plain_server}/surveys/{survey_id}")
            assert _prompts(store, survey_id) == ["Anything else?", "Recommend us?"]

            page.get_by_text("Edit question 2").click()
            form = page.locator("details[open] form")
            expect(form.get_by_label("Question", exact=True)).to_have_value("Recommend us?")
            form.get_by_label("Question", exact=True).fill("Would you recommend our breakfast?")
            form.get_by_label("Ask a follow-up when the score is at or below").fill("6")
            form.get_by_label("Follow-up question").fill("What should we improve?")
            form.get_by_role("button", name="Save question 2").click()
            expect(page.get_by_role("status")).to_have_text("Question saved")
            expect(page.get_by_role("heading", name="2. Would you recommend our breakfast?")).to_be_visible()
            assert _prompts(store, survey_id) == ["Anything else?", "Would you recommend our breakfast?"]

            page.get_by_text("Edit question 1").click()
            form = page.locator("details[open] form")
            form.get_by_label("Type").select_option("single")  # a choice question needs options: refused, named
            form.get_by_role("button", name="Save question 1").click()
            expect(page.locator("main")).to_contain_text("question 1, field 'options'")
            assert _prompts(store, survey_id)[0] == "Anything else?"
        finally:
            browser.close()
