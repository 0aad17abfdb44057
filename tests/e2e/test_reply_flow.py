"""Acceptance (issue 4): a negative review arrives → it goes to the right department → that
department's agent sees it (another department's agent does not, in the UI and the API) → opens the
suggestions → edits a reply into a defensive one → the tone check flags it → fixes it → sends → the
response time shows on the dashboard. Headless Chromium against a real ``voxpop serve``."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import ConsoleMessage, Page, expect, sync_playwright
from sqlalchemy import select

from tests.servers import CHROMIUM_ARGS, voxpop_server
from tests.web.conftest import PASSWORD, World
from voxpop.accounts.tokens import create_token
from voxpop.accounts.users import create_user, get_user_by_email
from voxpop.act.routing.rules import RuleSpec, create_rule
from voxpop.settings import Settings
from voxpop.store import Store
from voxpop.store.models import Item
from voxpop.store.models.replies import Reply

REVIEW = (
    "Terrible service. My parcel arrived nine days late, the box was crushed, and nobody answered my "
    "three e-mails about the delivery. Very disappointed."
)
DEFENSIVE = " As we already told you, the courier is not our fault."
FIXED = (
    "Hi Maria, I'm so sorry your parcel arrived late and damaged, and that our replies didn't reach you. "
    "Please send us your order number in a private message and I'll make this right today."
)


@pytest.fixture
def server(settings: Settings, store: Store, world: World, models_home: Path, tmp_path: Path) -> Iterator[str]:
    """``voxpop serve`` that analyses what arrives (the shipped models, from the shared models folder)."""
    with voxpop_server(
        settings,
        tmp_path,
        VOXPOP_ANALYZE_ON_INGEST="true",
        VOXPOP_MODEL_DIR=str(models_home / "models"),
        VOXPOP_BUSINESS_NAME="Acme Shop",
    ) as url:
        yield url


def _log_in(page: Page, server: str, email: str) -> None:
    page.goto(f"{server}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{server}/inbox")


def _log_out(page: Page) -> None:
    page.click("form[action='/logout'] button")
    page.wait_for_url("**/login**")


def _wait_analysed(store: Store, item_id: int, log_dir: Path) -> Item:
    for _ in range(600):  # the first analysis in a fresh process loads the models
        with store.read() as s:
            item = s.get(Item, item_id)
            if item is not None and item.analyzed_at is not None and item.route is not None:  # analysed, routed
                s.expunge(item)
                return item
        time.sleep(0.5)
    logs = "".join(p.read_text() for p in log_dir.glob("server-*.log"))
    raise AssertionError("the review was not analysed: " + logs[-2000:])


@pytest.mark.browser
def test_negative_review_to_reply_with_tone_check(server: str, store: Store, world: World, tmp_path: Path) -> None:
    with store.write() as s:
        create_user(
            s,
            email="dana@example.com",
            password=PASSWORD,
            role="agent",
            name="Dana Delivery",
            department_ids=[world.delivery],
        )
        manager_token = create_token(
            s, get_user_by_email(s, "manager@example.com"), name="feed", scopes=["items:write"]
        )
        billing_token = create_token(s, get_user_by_email(s, "agent@example.com"), name="b", scopes=["items:read"])
        # The business's routing rule: negative words about delivery go to the Delivery department.
        create_rule(
            s,
            None,
            RuleSpec.model_validate(
                {
                    "name": "late parcels",
                    "when": {"sentiments": ["negative"], "keywords": ["parcel", "courier", "delivery"]},
                    "then": {"department": "Delivery", "sla_hours": 24},
                }
            ),
        )

    # 1. A negative review arrives through the API and is analysed by the pipeline.
    arrived = datetime.now(UTC) - timedelta(hours=3)
    posted = httpx.post(
        f"{server}/api/v1/items?source=Google%20reviews",
        json={
            "text": REVIEW,
            "author_name": "Maria Lopez",
            "rating": 1,
            "created_at": arrived.isoformat(),
            "url": "https://maps.google.com/review/42",
            "external_id": "g-42",
        },
        headers={"Authorization": f"Bearer {manager_token}"},
        timeout=30,
    )
    assert posted.status_code == 201, posted.text
    item_id = posted.json()["added"][0]
    item = _wait_analysed(store, item_id, tmp_path)
    assert item.sentiment == "negative"

    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        # The 404s and the 422 this test provokes on purpose show as "Failed to load resource"; anything
        # else (a script error, a CSP violation) is a problem.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            problems.append(message.text)

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1360, "height": 900})
        page.set_default_timeout(90_000)  # a shared machine: slowness is not what this test checks
        # The first tone check in a fresh server loads the embedder and fits the tone model.
        expect.set_options(timeout=90_000)
        page.on("console", on_console)
        try:
            # 2. The pipeline's route stage sent it to Delivery by the rule, and the item says so.
            assert item.department_id == world.delivery
            _log_in(page, server, "manager@example.com")
            page.goto(f"{server}/items/{item_id}")
            expect(page.locator("#route-explanation")).to_have_text("routed to Delivery by rule 'late parcels'")
            page.goto(f"{server}/dashboard")
            kpi = page.locator("[data-kpi=response_time]")
            expect(kpi).to_contain_text("no answers yet")
            _log_out(page)

            # 3. Billing's agent does not see it, in the UI or the API.
            _log_in(page, server, "agent@example.com")
            expect(page.locator(f"a[href='/items/{item_id}']")).to_have_count(0)
            assert page.goto(f"{server}/items/{item_id}").status == 404  # type: ignore[union-attr]
            assert page.goto(f"{server}/items/{item_id}/reply").status == 404  # type: ignore[union-attr]
            api = httpx.get(
                f"{server}/api/v1/items/{item_id}", headers={"Authorization": f"Bearer {billing_token}"}, timeout=30
            )
            assert api.status_code == 404
            page.goto(f"{server}/inbox")
            _log_out(page)

            # 4. Delivery's agent sees it and opens the suggestions.
            _log_in(page, server, "dana@example.com")
            page.click(f"a[href='/items/{item_id}']")
            page.wait_for_url(f"**/items/{item_id}")
            page.click("#write-reply")
            page.wait_for_url(f"**/items/{item_id}/reply")
            page.click("#load-suggestions")
            first = page.locator("li.suggestion").first
            expect(first.locator(".suggestion-why")).to_contain_text("matches negative")
            expect(first.locator(".suggestion-text")).to_contain_text("Hi Maria")
            first.locator("button.use-suggestion").click()
            box = page.locator("#reply-text")
            expect(box).to_have_value(first.locator(".suggestion-text").inner_text())
            expect(page.locator("#tone-ok")).to_be_visible()

            # 5. Edited into a defensive reply: the tone check flags it as the agent types.
            box.press("End")
            box.press_sequentially(DEFENSIVE, delay=5)
            flags = page.locator("#tone-flags")
            expect(flags).to_be_visible()
            expect(flags.locator("mark.tone-dismissive").first).to_have_text("As we already told")
            expect(flags.locator("mark.tone-defensive").first).to_contain_text("not our fault")
            expect(flags).to_contain_text("Try:")

            # 6. Sending it as it is is refused; the agent fixes it, the check clears, and it goes out.
            page.click("#send-reply")
            expect(page.locator("#reply-error")).to_contain_text("the tone check flagged this reply")
            box = page.locator("#reply-text")
            box.fill("")
            box.press_sequentially(FIXED[:40], delay=5)
            box.fill(FIXED)
            box.press("End")
            box.press("Space")
            expect(page.locator("#tone-ok")).to_be_visible()
            page.click("#send-reply")
            page.wait_for_url(f"**/items/{item_id}?replied=1#replies")
            expect(page.locator("#replies .reply-text")).to_have_text(FIXED)
            expect(page.locator("#response-time")).to_contain_text("h")
            _log_out(page)

            # 7. The response time shows on the dashboard's numbers.
            _log_in(page, server, "manager@example.com")
            page.goto(f"{server}/dashboard")
            kpi = page.locator("[data-kpi=response_time]")
            expect(kpi).not_to_contain_text("no answers yet")
            expect(kpi).to_contain_text("n = 1")
        finally:
            browser.close()
    assert problems == [], problems
    with store.read() as s:
        reply = s.scalar(select(Reply))
        stored = s.get(Item, item_id)
        assert reply is not None
        assert stored is not None
        assert reply.text == FIXED
        assert reply.tone_overridden is False
        assert stored.status == "responded"
        assert reply.response_seconds is not None
        assert reply.response_seconds >= 3 * 3600 - 60
