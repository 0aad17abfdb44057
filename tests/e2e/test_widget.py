"""Acceptance (issue 6): the feedback widget embedded in a page served from a different origin, in headless
Chromium — an allowed origin posts; a disallowed origin is refused; a flood from one client is
rate-limited; the honeypot drops bots. The host pages carry a strict CSP of their own, which the widget
must live with (no inline script or style)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect, sync_playwright
from sqlalchemy import select

from tests.servers import CHROMIUM_ARGS, HttpSink, Response, voxpop_server
from tests.web.conftest import World
from voxpop.loop.widget import create_site
from voxpop.settings import Settings
from voxpop.store import Store
from voxpop.store.models import Item


def host_page(voxpop: str, key: str) -> Response:
    html = f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Shop</title>
<script src="{voxpop}/static/widget.js" data-site-key="{key}" defer></script></head>
<body><h1>Our shop</h1><p>Products…</p></body></html>"""
    csp = f"default-src 'self'; script-src {voxpop}; connect-src {voxpop}; style-src 'self'; img-src 'self'"
    return Response(200, html, {"Content-Type": "text/html; charset=utf-8", "Content-Security-Policy": csp})


def widget_texts(store: Store) -> list[str]:
    with store.read() as s:
        return list(s.scalars(select(Item.text).where(Item.channel == "widget").order_by(Item.id)))


def send(page: Page, text: str, *, rating: int | None = None, bot: bool = False) -> str:
    """Fill the widget and send; returns the status line the visitor sees."""
    if page.locator(".vx-open").is_visible():
        page.locator(".vx-open").click()
    if rating is not None:
        page.locator(f".vx-star:has(input[value='{rating}'])").click()
    page.locator("textarea[name=text]").fill(text)
    if bot:
        # A bot fills every field, the invisible one too.
        page.locator("input[name=website]").evaluate("node => { node.value = 'http://pills.example'; }")
    status = page.locator(".vx-status")
    page.locator(".vx-send").click()
    expect(status).not_to_have_text("Sending…")
    expect(status).not_to_have_text("")
    return status.inner_text()


@pytest.mark.browser
def test_widget_across_origins(
    settings: Settings, store: Store, world: World, http_server: HttpSink, tmp_path: Path
) -> None:
    stranger = HttpSink().start()
    try:
        with store.write() as s:
            key = create_site(s, "Shop", [http_server.url], location="Online").site_key
        problems: list[str] = []

        def on_console(message: ConsoleMessage) -> None:
            if message.type == "error":
                problems.append(message.text)

        env = {"VOXPOP_WIDGET_RATE_BURST": "4", "VOXPOP_WIDGET_RATE_PER_MINUTE": "0.01"}
        with voxpop_server(settings, tmp_path, **env) as voxpop, sync_playwright() as p:
            http_server.routes[("GET", "/")] = host_page(voxpop, key)
            stranger.routes[("GET", "/")] = host_page(voxpop, key)
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            try:
                page = browser.new_page()
                page.set_default_timeout(90_000)
                page.on("console", on_console)
                page.goto(http_server.url + "/?from=test")
                opener = page.locator(".vx-open")
                expect(opener).to_be_visible()
                assert opener.get_attribute("aria-expanded") == "false"
                # Its own stylesheet applies (a constructed sheet, allowed by the host's style-src 'self').
                assert opener.evaluate("node => getComputedStyle(node).backgroundColor") == "rgb(59, 91, 219)"
                # Keyboard: the button opens the dialog, focus moves into it, Escape closes it again.
                opener.focus()
                page.keyboard.press("Enter")
                expect(page.locator(".vx-panel")).to_be_visible()
                page.keyboard.press("Escape")
                expect(page.locator(".vx-panel")).to_be_hidden()

                # 1. The allowed origin posts; the page URL is captured.
                assert send(page, "Checkout <b>broke</b> on step 2", rating=2).startswith("Thank you")
                assert widget_texts(store) == ["Checkout <b>broke</b> on step 2"]
                with store.read() as s:
                    item = s.scalars(select(Item).where(Item.channel == "widget")).one()
                    assert item.url == http_server.url + "/?from=test"
                    assert item.rating_raw == 2.0
                assert problems == []  # the widget ran under the host's strict CSP without a violation

                # 2. The honeypot drops a bot: it is told "thank you", nothing is stored.
                assert send(page, "Cheap pills here", bot=True).startswith("Thank you")
                assert len(widget_texts(store)) == 1

                # 3. A flood from one client is rate-limited (burst of 4: two more pass, then refused).
                assert send(page, "Second message").startswith("Thank you")
                assert send(page, "Third message").startswith("Thank you")
                assert "Too many messages" in send(page, "Fourth message")
                assert widget_texts(store) == ["Checkout <b>broke</b> on step 2", "Second message", "Third message"]

                # 4. The same snippet on a page of another origin is refused (CORS preflight denied).
                other = browser.new_page()
                other.set_default_timeout(90_000)
                other.goto(stranger.url + "/")
                assert "could not be sent" in send(other, "From a site not on the list")
                assert len(widget_texts(store)) == 3
            finally:
                browser.close()
    finally:
        stranger.stop()
