"""Headless Chromium: a manager creates a routing rule in the UI, an item arrives through the API, is
routed by the pipeline, and the item page explains why; the Billing agent sees it, the Delivery agent
gets a 404 (page and API)."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import ConsoleMessage, Page, expect, sync_playwright

from tests.e2e.test_reply_flow import CHROMIUM_ARGS, server
from tests.web.conftest import PASSWORD, World
from voxpop.accounts.tokens import create_token
from voxpop.accounts.users import create_user, get_user_by_email
from voxpop.store import Store
from voxpop.store.models import Item

__all__ = ["server"]


def _log_in(page: Page, url: str, email: str) -> None:
    page.goto(f"{url}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/inbox")


def _wait_routed(store: Store, item_id: int, log: Path) -> Item:
    for _ in range(1200):
        with store.read() as s:
            item = s.get(Item, item_id)
            if item is not None and item.route is not None:
                return item
        time.sleep(0.1)
    raise AssertionError("the item was not routed: " + log.read_text()[-3000:])


@pytest.mark.browser
def test_rule_made_in_the_ui_routes_an_api_item(server: str, store: Store, world: World, tmp_path: Path) -> None:
    with store.write() as s:
        create_user(s, email="dave@example.com", password=PASSWORD, role="agent", department_ids=[world.delivery])
        token = create_token(s, get_user_by_email(s, "admin@example.com"), name="t", scopes=["items:write"])
        dave = create_token(s, get_user_by_email(s, "dave@example.com"), name="t", scopes=["items:read"])
    errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(message.text)

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.on("console", on_console)
            _log_in(page, server, "manager@example.com")
            page.click("nav.mainnav >> text=Act")
            page.click("nav.subnav a[href='/rules']")
            page.click("#new-rule")
            page.fill("input[name=name]", "refund words")
            page.fill("input[name=keywords]", "refund, money back")
            page.select_option("select[name=department]", "Billing")
            page.fill("input[name=sla_hours]", "4")
            page.fill("input[name=tags]", "refund")
            page.click("#rule-form button[type=submit]")
            page.wait_for_url(f"{server}/rules?saved=1")
            expect(page.locator("table.rules")).to_contain_text("refund words")

            created = httpx.post(
                f"{server}/api/v1/items?source=website",
                json={"text": "I was charged twice. I want my money back now.", "external_id": "r1"},
                headers={"Authorization": f"Bearer {token}"},
            )
            assert created.status_code == 201, created.text
            item_id = created.json()["added"][0]
            item = _wait_routed(store, item_id, tmp_path / "server.log")
            assert item.department_id == world.billing

            page.goto(f"{server}/items/{item_id}")
            expect(page.locator("#route-explanation")).to_have_text("routed to Billing by rule 'refund words'")
            expect(page.locator("#history")).to_contain_text("routed to Billing by rule 'refund words'")
            page.click("form.inline button.link-button")  # log out
            page.wait_for_url("**/login**")

            _log_in(page, server, "agent@example.com")
            expect(page.locator("table.inbox")).to_contain_text("charged twice")
            page.click("form.inline button.link-button")
            page.wait_for_url("**/login**")
            _log_in(page, server, "dave@example.com")
            assert errors == []  # the console stays clean up to here; the 404 below is expected
            assert page.goto(f"{server}/items/{item_id}").status == 404  # type: ignore[union-attr]
            assert "charged twice" not in page.goto(f"{server}/inbox").text()  # type: ignore[union-attr]
        finally:
            browser.close()
    api = httpx.get(f"{server}/api/v1/items/{item_id}", headers={"Authorization": f"Bearer {dave}"})
    assert api.status_code == 404
