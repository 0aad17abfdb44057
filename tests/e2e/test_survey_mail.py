"""Acceptance (issue 6): one invitation e-mail to a local SMTP server → click a score in the mail →
follow-up page → answer stored once, even when the link is clicked twice. In headless Chromium against
a real ``voxpop serve``."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import ConsoleMessage, expect, sync_playwright
from sqlalchemy import func, select

from tests.loop.conftest import links_in
from tests.servers import CHROMIUM_ARGS, SmtpSink, voxpop_server
from tests.web.conftest import PASSWORD, World
from voxpop.loop.survey_mail import add_recipients
from voxpop.loop.surveys import QuestionSpec, SurveySpec, create_survey
from voxpop.settings import Settings
from voxpop.store import Store
from voxpop.store.models import Item
from voxpop.store.models.loop import SurveyResponse


def _count(store: Store, model: type) -> int:
    with store.read() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


@pytest.mark.browser
def test_score_in_mail_then_followup_stored_once(
    settings: Settings, store: Store, world: World, smtp_server: SmtpSink, tmp_path: Path
) -> None:
    with store.write() as s:
        survey = create_survey(
            s,
            SurveySpec(
                title="Your stay at the Harbour Hotel",
                thank_you="Thank you, we read every answer.",
                questions=[
                    QuestionSpec(
                        "nps",
                        "How likely are you to recommend us to a friend?",
                        required=True,
                        followup_at_or_below=6,
                        followup_prompt="What should we improve?",
                    ),
                ],
            ),
        )
        add_recipients(s, survey, [("guest@example.com", "Sam Guest")])
        survey_id = survey.id
    smtp_env = {f"VOXPOP_{k.upper()}": str(v) for k, v in smtp_server.settings_overrides().items()}
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            problems.append(f"{message.text} at {message.location.get('url')}")

    with voxpop_server(settings, tmp_path, **smtp_env) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            staff = browser.new_page()
            staff.set_default_timeout(90_000)
            staff.on("console", on_console)
            staff.goto(f"{url}/surveys/{survey_id}")
            staff.fill("input[name=email]", "manager@example.com")
            staff.fill("input[name=password]", PASSWORD)
            staff.click("button[type=submit]")
            staff.wait_for_url(f"{url}/surveys/{survey_id}")
            staff.click("button:has-text('Send the invitations')")
            expect(staff.locator("p.notice")).to_contain_text("1 sent")

            [mail] = smtp_server.wait_for(1)
            assert mail.recipients == ["guest@example.com"]
            html = mail.part("html")
            score_links = [link for link in links_in(html) if "/score/" in link]
            assert len(score_links) == 11  # the NPS buttons 0–10 are in the mail itself

            # The guest's own browser — a phone: no staff cookies, a narrow touch screen.
            customer = browser.new_context(
                viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
            ).new_page()
            customer.set_default_timeout(90_000)
            customer.on("console", on_console)
            customer.goto(score_links[4])  # one click on "4"
            expect(customer.locator("p.notice")).to_contain_text("your score is saved")
            assert customer.locator("input[type=radio][value='4']").is_checked()
            followup = customer.locator("textarea[name$='_followup']")
            expect(followup).to_be_visible()  # 4 ≤ 6: the page asks what to improve
            # Keyboard only: arrow keys move along the score radios; a high score hides the follow-up
            # (static survey.js under the strict CSP), a low one shows it again.
            customer.locator("input[type=radio][value='4']").focus()
            for _ in range(5):
                customer.keyboard.press("ArrowRight")
            assert customer.locator("input[type=radio][value='9']").is_checked()
            expect(followup).to_be_hidden()
            for _ in range(5):
                customer.keyboard.press("ArrowLeft")
            expect(followup).to_be_visible()
            # The follow-up has a real label, and the page fits the phone's width (no sideways scrolling).
            expect(customer.get_by_label("What should we improve?")).to_be_visible()
            assert customer.evaluate("() => document.documentElement.scrollWidth") <= 390
            followup.fill("The room was noisy & the <b>shower</b> cold")
            customer.click("button[type=submit]")
            expect(customer.locator("h1")).to_have_text("Thank you")
            assert _count(store, SurveyResponse) == 1

            # The guest clicks the same score in the mail again: still one response, one item.
            customer.goto(score_links[4])
            expect(customer.locator("p.notice")).to_contain_text("your score is saved")
            expect(followup).to_have_value("The room was noisy & the <b>shower</b> cold")
            assert _count(store, SurveyResponse) == 1
            assert _count(store, Item) == 1
            with store.read() as s:
                item = s.scalars(select(Item)).one()
                assert item.kind == "survey"
                assert (item.rating_raw, item.rating_min, item.rating_max) == (4.0, 0.0, 10.0)
                assert "shower" in item.text

            staff.goto(f"{url}/surveys/{survey_id}")
            expect(staff.locator(".metric-nps")).to_have_text("NPS -100")
        finally:
            browser.close()
    assert problems == []
