"""The dashboard in headless Chromium against a real ``voxpop serve``: the charts render (their pixels
vary — a blank canvas does not), and clicking a chart and a KPI lands on exactly the items behind them."""

from __future__ import annotations

import os
import struct
import time
import zlib
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import ConsoleMessage, sync_playwright

from tests.servers import CHROMIUM_ARGS, voxpop_server
from tests.web.conftest import PASSWORD, World, add_item
from voxpop.settings import Settings
from voxpop.store import Store


@pytest.fixture
def dashboard_server(settings: Settings, store: Store, world: World, tmp_path: Path) -> Iterator[str]:
    with voxpop_server(settings, tmp_path) as url:
        yield url


def png_pixels(data: bytes) -> list[tuple[int, ...]]:
    """The pixels of an 8-bit RGB/RGBA, non-interlaced PNG (what Chromium's screenshots are)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width = 8, b"", 0
    channels = 4
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        chunk = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, _height, depth, color = struct.unpack(">IIBB", chunk[:10])
            assert depth == 8
            channels = {2: 3, 6: 4}[color]
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * channels
    rows: list[bytearray] = []
    previous = bytearray(stride)
    for start in range(0, len(raw), stride + 1):
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            corner = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 0xFF
        rows.append(line)
        previous = line
    return [tuple(row[i : i + 3]) for row in rows for i in range(0, stride, channels)]


@pytest.mark.browser
def test_charts_render_and_drill_down(dashboard_server: str, store: Store, world: World, tmp_path: Path) -> None:
    today = datetime.now(UTC).replace(hour=10, minute=0, second=0, microsecond=0)
    per_day: Counter[date] = Counter()
    n = 0
    for back in range(1, 11):
        for k in range(1 + back % 4):
            created = today - timedelta(days=back, minutes=k)
            add_item(
                store,
                world.reviews,
                created_at=created,
                external_id=f"e{n}",
                rating=(n % 5) / 4,
                sentiment=("negative", "neutral", "positive")[n % 3],
                location=("Leeds", "York")[n % 2],
                aspects=[{"name": "staff", "sentiment": ("negative", "neutral", "positive")[n % 3]}],
                department_id=world.billing,
            )
            per_day[created.date()] += 1
            n += 1
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error" and ".map" not in message.text:
            problems.append(message.text)

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1360, "height": 1000})
        page.set_default_timeout(90_000)
        page.on("console", on_console)
        try:
            page.goto(f"{dashboard_server}/login?next=/dashboard")
            page.fill("input[name=email]", "manager@example.com")
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url("**/dashboard**")
            page.goto(f"{dashboard_server}/dashboard?period=30d")
            assert page.locator("[data-kpi=volume] .kpi-value").inner_text() == str(n)
            trend = page.locator("canvas.chart").first
            trend.wait_for(state="visible")
            time.sleep(1)  # let Chart.js draw (no animation; one frame)
            shot = trend.screenshot()
            (tmp_path / "trend.png").write_bytes(shot)
            if os.environ.get("VOXPOP_TEST_SCREENSHOT_DIR"):
                page.screenshot(
                    path=str(Path(os.environ["VOXPOP_TEST_SCREENSHOT_DIR"]) / "dashboard.png"), full_page=True
                )
            pixels = png_pixels(shot)
            colours = Counter(pixels)
            background_share = colours.most_common(1)[0][1] / len(pixels)
            assert len(colours) > 20, "the trend canvas is blank"
            assert background_share < 0.97, "the trend canvas is nearly blank"
            # bars are drawn in the chart's bar colour (rgba(66, 99, 235, .35) over white ~ (183, 193, 249))
            assert any(abs(r - 183) < 12 and abs(g - 193) < 12 and abs(b - 249) < 12 for r, g, b in colours)
            assert problems == []

            # Click inside the plot near its right end: the bar of one day, which opens that day's items.
            box = trend.bounding_box()
            assert box is not None
            page.mouse.click(box["x"] + box["width"] * 0.8, box["y"] + box["height"] * 0.5)
            page.wait_for_url("**/inbox?**")
            query = parse_qs(urlsplit(page.url).query)
            day = date.fromisoformat(query["date_from"][0])
            assert query["date_to"] == query["date_from"]
            assert page.locator("tr.item-row").count() == per_day[day]

            # A KPI drills down too: all the period's feedback.
            page.goto(f"{dashboard_server}/dashboard?period=30d")
            page.click("[data-kpi=volume]")
            page.wait_for_url("**/inbox?**")
            assert page.locator("tr.item-row").count() == n
        finally:
            browser.close()
