"""End to end in headless Chromium against a real ``voxpop serve`` on a free local port."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import ConsoleMessage, Dialog, expect, sync_playwright

from tests.servers import CHROMIUM_ARGS, voxpop_server
from tests.web.conftest import PASSWORD, World, add_item
from voxpop.settings import Settings
from voxpop.store import Store

PAYLOAD = "<img src=x onerror=alert('xss')> The <b>soup</b> was cold & late"


@pytest.fixture
def server(settings: Settings, store: Store, world: World, tmp_path: Path) -> Iterator[str]:
    with voxpop_server(settings, tmp_path, VOXPOP_PAGE_SIZE="5") as url:
        yield url


@pytest.mark.browser
def test_login_filter_open_item(server: str, store: Store, world: World, tmp_path: Path) -> None:
    for n in range(7):
        add_item(
            store,
            world.reviews,
            minutes=n,
            text=f"Review number {n} about the breakfast",
            rating=n % 5 / 4,
            author_name=f"Guest {n}",
            department_id=world.billing,
            location="Leeds",
        )
    target = add_item(
        store,
        world.tweets,
        minutes=30,
        channel="twitter",
        kind="mention",
        text=PAYLOAD,
        author_name="<script>alert(1)</script>",
        sentiment="negative",
        department_id=world.delivery,
        raw={"tweet": PAYLOAD},
    )
    dialogs: list[str] = []
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            problems.append(message.text)

    def on_dialog(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1360, "height": 900})
        page.set_default_timeout(90_000)  # the machine is shared; slowness is not what this test checks
        page.on("console", on_console)
        page.on("dialog", on_dialog)
        try:
            page.goto(f"{server}/inbox")
            assert "/login" in page.url
            page.fill("input[name=email]", "manager@example.com")
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(f"{server}/inbox")
            assert page.locator("tr.item-row").count() == 5  # page_size
            # htmx "load more" works under the strict CSP (no inline script).
            page.click("#load-more a")
            # (A locator wait, not wait_for_function: the page's CSP rightly forbids evaluating strings.)
            expect(page.locator("tr.item-row")).to_have_count(8)
            screenshot = tmp_path / "inbox.png"
            page.screenshot(path=str(screenshot), full_page=True)
            if os.environ.get("VOXPOP_TEST_SCREENSHOT_DIR"):
                page.screenshot(path=str(Path(os.environ["VOXPOP_TEST_SCREENSHOT_DIR"]) / "inbox.png"), full_page=True)

            page.select_option("select[name=channel]", "twitter")
            page.click("form.filters button[type=submit]")
            page.wait_for_url("**channel=twitter**")
            assert page.locator("tr.item-row").count() == 1
            assert page.locator("select[name=channel]").input_value() == "twitter"  # the form kept it
            page.click(f"a[href='/items/{target}']")
            page.wait_for_url(f"{server}/items/{target}")
            assert page.locator("#item-text").inner_text() == PAYLOAD
            assert page.locator("#item-author").inner_text() == "<script>alert(1)</script>"
            assert page.locator("#item-text img, #item-text b").count() == 0
            assert PAYLOAD in page.locator("#raw").inner_text()
            if os.environ.get("VOXPOP_TEST_SCREENSHOT_DIR"):
                page.screenshot(path=str(Path(os.environ["VOXPOP_TEST_SCREENSHOT_DIR"]) / "item.png"), full_page=True)

            # The vendored Swagger UI renders under the CSP (its scripts are static files).
            page.goto(f"{server}/api/docs")
            page.wait_for_selector(".opblock-summary-path[data-path='/api/v1/items']")
            page.goto(f"{server}/inbox")
            page.click("button:has-text('Log out')")
            page.wait_for_url(f"{server}/login")
        finally:
            browser.close()
    assert dialogs == []
    assert problems == []
