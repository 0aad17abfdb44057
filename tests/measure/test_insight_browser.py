"""The trend chart and the journey map render in headless Chromium under the strict CSP."""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import ConsoleMessage, expect, sync_playwright

from tests.measure.hotels import LONG_BEACH, complaints, dated_series, inject, read_reviews
from tests.measure.insight_store import make_source, store_rows
from tests.servers import CHROMIUM_ARGS, voxpop_server
from tests.web.conftest import PASSWORD, World, world  # noqa: F401
from voxpop.measure.personas import refresh_all
from voxpop.measure.rollups import ensure_fresh
from voxpop.settings import Settings
from voxpop.store import Store


@pytest.fixture
def server(settings: Settings, store: Store, world: World, tmp_path: Path) -> Iterator[str]:  # noqa: F811
    with voxpop_server(settings, tmp_path) as url:
        yield url


@pytest.mark.browser
def test_trend_chart_and_journey_map_render(
    server: str,
    store: Store,
    shared_data: Path,
    tmp_path: Path,
) -> None:
    reviews = read_reviews(shared_data)
    rows = inject(
        dated_series(reviews, date(2015, 9, 1), date(2016, 6, 30)),
        complaints(reviews, "cleanliness"),
        hotel=LONG_BEACH,
        start=date(2016, 2, 1),
        days=29,
        count=25,
        rng=random.Random(1),
    )
    rows = [replace(r, author=f"guest{r.id % 80}") for r in rows]  # returning guests, for the personas
    store_rows(store, rows, make_source(store, "Hotel reviews"))
    ensure_fresh(store, max_days=None)  # every day rolled up: the journey map reads the cells
    refresh_all(store)  # what voxpop serve does in the background
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            problems.append(message.text)

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1360, "height": 900})
        page.set_default_timeout(90_000)
        page.on("console", on_console)
        try:
            page.goto(f"{server}/trends?date_from=2015-09-01&date_to=2016-06-30")
            page.fill("input[name=email]", "manager@example.com")
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url("**/trends?**")
            chart = page.locator("svg[data-chart=trend]")
            expect(chart).to_be_visible()
            box = chart.bounding_box()
            assert box is not None
            assert box["width"] > 600
            assert box["height"] > 100
            line = page.locator("svg[data-chart=trend] path.line")
            line_box = line.bounding_box()
            assert line_box is not None
            assert line_box["width"] > 500  # the line spans the period
            assert page.locator("svg[data-chart=trend] line.marker-up").count() >= 1
            page.screenshot(path=str(tmp_path / "trends.png"), full_page=True)

            page.goto(f"{server}/journey")
            journey = page.locator("svg[data-chart=journey]")
            expect(journey).to_be_visible()
            assert page.locator("svg[data-chart=journey] a.stage rect").count() == 6
            assert page.locator("svg[data-chart=journey] a.touchpoint rect").count() >= 10
            expect(page.locator(".page-head")).to_contain_text("from the daily roll-ups")
            assert page.locator("svg[data-chart=journey] circle.curve-dot").count() >= 3  # net sentiment per stage
            touchpoint = page.locator("svg[data-chart=journey] a.touchpoint", has_text="cleanliness and comfort")
            tp_box = touchpoint.locator("rect").bounding_box()
            assert tp_box is not None
            assert tp_box["width"] > 50
            # The friction colour is painted: the cleanliness box is not the grey of "nothing said".
            assert touchpoint.locator("rect").get_attribute("fill") != "#e9ecef"
            page.screenshot(path=str(tmp_path / "journey.png"), full_page=True)
            touchpoint.click()
            page.wait_for_url("**/inbox?**")
            assert "sentiment=negative" in page.url

            page.goto(f"{server}/personas")
            expect(page.locator("[data-personas=computed]")).to_contain_text("customers")
            cards = page.locator("article.persona")
            assert cards.count() >= 2
            card = cards.first.bounding_box()
            assert card is not None
            assert card["width"] > 150
            page.screenshot(path=str(tmp_path / "personas.png"), full_page=True)
            if os.environ.get("VOXPOP_TEST_SCREENSHOT_DIR"):
                target = Path(os.environ["VOXPOP_TEST_SCREENSHOT_DIR"])
                page.goto(f"{server}/journey")
                page.screenshot(path=str(target / "journey.png"), full_page=True)
                page.goto(f"{server}/trends?date_from=2015-09-01&date_to=2016-06-30")
                page.screenshot(path=str(target / "trends.png"), full_page=True)
        finally:
            browser.close()
    assert not [p for p in problems if "Content Security Policy" in p], problems
