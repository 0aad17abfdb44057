"""Acceptance (issue 6): the idea board in headless Chromium — post, see a similar idea suggested, vote,
merge as staff, change status → voters receive the e-mail."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import ConsoleMessage, expect, sync_playwright
from sqlalchemy import func, select

from tests.loop.conftest import links_in
from tests.servers import CHROMIUM_ARGS, SmtpSink, voxpop_server
from tests.web.conftest import PASSWORD, World
from voxpop.loop.ideas import post_idea
from voxpop.loop.identity import start_identity
from voxpop.settings import Settings
from voxpop.store import Store
from voxpop.store.models.loop import Idea, IdeaVote

SLOW = 90_000  # ms: the machine is shared; slowness is not what this test checks


@pytest.mark.browser
def test_post_similar_vote_merge_status_mail(
    settings: Settings, store: Store, world: World, smtp_server: SmtpSink, tmp_path: Path
) -> None:
    with store.write() as s:
        early = start_identity(s, "early@example.com", "Early Bird")
        early.verified_at = datetime.now(UTC)
        s.flush()
        kept, _ = post_idea(s, settings, early, "Dark mode for the mobile app", "The white screen is blinding at night")
        kept_id = kept.id
    smtp_env = {f"VOXPOP_{k.upper()}": str(v) for k, v in smtp_server.settings_overrides().items()}
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            problems.append(f"{message.text} at {message.location.get('url')}")

    with voxpop_server(settings, tmp_path, **smtp_env) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            customer = browser.new_context().new_page()
            customer.set_default_timeout(90_000)
            customer.on("console", on_console)
            customer.goto(f"{url}/ideas")
            expect(customer.locator(".idea-row")).to_have_count(1)  # browsing needs no account
            customer.fill("#join-email", "casey@example.com")
            customer.fill("#join-name", "Casey")
            customer.click("button:has-text('Send me a link')")
            expect(customer.locator("h1")).to_have_text("Check your mail", timeout=SLOW)
            [mail] = smtp_server.wait_for(1)
            [magic] = [x for x in links_in(mail.part("plain")) if "/ideas/verify/" in x]
            customer.goto(magic)
            customer.wait_for_url(f"{url}/ideas")

            # While Casey types, the similar existing idea is suggested (htmx, embedding similarity).
            customer.locator("#idea-title").press_sequentially("Please add a night theme to the app", delay=20)
            suggestion = customer.locator("#similar a.similar-idea")
            # (The server loads the embedding model on its first suggestion: allow for a slow, shared machine.)
            expect(suggestion).to_have_text("Dark mode for the mobile app", timeout=SLOW)
            customer.click("button:has-text('Post my idea')")  # Casey posts anyway: a duplicate
            expect(customer.locator("h1")).to_have_text("Please add a night theme to the app", timeout=SLOW)
            duplicate_id = int(customer.url.rsplit("/", 1)[1])

            customer.goto(f"{url}/ideas/{kept_id}")
            customer.click("button:has-text('Vote for this idea')")
            expect(customer.locator(".voted")).to_have_text("You voted for this idea.")
            expect(customer.locator(".vote-count")).to_have_text("2 votes")

            staff = browser.new_context().new_page()
            staff.set_default_timeout(90_000)
            staff.on("console", on_console)
            staff.goto(f"{url}/ideas-admin")
            staff.fill("input[name=email]", "manager@example.com")
            staff.fill("input[name=password]", PASSWORD)
            staff.click("button[type=submit]")
            staff.wait_for_url(f"{url}/ideas-admin")
            row = staff.locator(f"#idea-{duplicate_id}")
            row.locator("select[name=into]").select_option(str(kept_id))
            row.locator("button:has-text('Merge into it')").click()
            expect(staff.locator("p.notice")).to_contain_text("0 votes moved")  # Casey had voted for both
            expect(staff.locator(f"#idea-{duplicate_id}")).to_have_count(0)
            with store.read() as s:
                assert s.scalar(select(func.count()).select_from(IdeaVote).where(IdeaVote.idea_id == kept_id)) == 2
                assert s.get(Idea, duplicate_id).merged_into_id == kept_id  # type: ignore[union-attr]

            row = staff.locator(f"#idea-{kept_id}")
            row.locator("select[name=status]").select_option("shipped")
            row.locator("input[name=note]").fill("Dark mode is in version 2.3 — thank you!")
            row.locator("button:has-text('Save status')").click()
            expect(staff.locator("p.notice")).to_contain_text("2 people told")

            news = smtp_server.wait_for(3)[1:]
            assert sorted(m.recipients[0] for m in news) == ["casey@example.com", "early@example.com"]
            for m in news:
                assert m.subject == "You asked, we delivered: Dark mode for the mobile app"
                assert "version 2.3" in m.part("plain")

            customer.goto(f"{url}/ideas/{duplicate_id}")  # the merged idea leads to the kept one
            expect(customer.locator("h1")).to_have_text("Dark mode for the mobile app")
            expect(customer.locator(".status")).to_have_text("shipped")
        finally:
            browser.close()
    assert problems == []
