"""The page with the real view (dashboard.view, .tail and .metrics, from the other half of
issue 15): `tradeguard run --web` with its default parts, a bot that trades, and the page
showing the position with its basis, the fills, the exchange's limits and /metrics. Skipped
until those modules are present."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.dashboard.browsing import ARGS, LoopThread, chromium_path, keep_screenshot
from tradeguard.cli import runner
from tradeguard.dashboard.serve import WebOptions

pytest.importorskip("tradeguard.dashboard.view")
playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect
pytestmark = pytest.mark.browser

BOT = """
import asyncio
from decimal import Decimal
from pathlib import Path

async def main(tg):
    go = Path(__file__).with_name("go")
    while not go.exists():
        await asyncio.sleep(0.05)
    await tg.market_buy("BTC/USDT", qty="0.001")
    last = await tg.last_price("BTC/USDT")
    await tg.limit_buy("BTC/USDT", qty="0.001", price=(last * Decimal("0.99")).quantize(Decimal("0.01")))
    await tg.market_sell("BTC/USDT", qty="0.0005")
    while True:
        await asyncio.sleep(0.05)
"""


@pytest.fixture
def loop_thread() -> Iterator[LoopThread]:
    t = LoopThread()
    yield t
    t.stop()


def test_a_trading_bot_on_the_real_view(loop_thread: LoopThread, tmp_path: Path) -> None:
    bot = tmp_path / "bot.py"
    bot.write_text(BOT)
    urls: list[str] = []
    options = WebOptions(port=0, on_ready=urls.append)  # the real view, tail and metrics
    ran = loop_thread.submit(runner.run(bot, None, None, live=False, web=options))
    try:
        for _ in range(600):
            if urls or ran.done():
                break
            time.sleep(0.05)
        assert urls, ran.exception() if ran.done() else "the dashboard did not start"
        with playwright_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium_path(), headless=True, args=ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            _check(page, urls[0], tmp_path)
            browser.close()
        assert ran.result(30) == runner.KILLED
    finally:
        ran.cancel()


def _check(page: Any, url: str, tmp_path: Path) -> None:
    page.goto(url)
    expect(page.locator("#link-text")).to_have_text("live")
    (tmp_path / "go").touch()
    expect(page.locator("#fills tbody tr")).to_have_count(2, timeout=15_000)
    expect(page.locator("#positions tbody")).to_contain_text("BTCUSDT")
    expect(page.locator("#positions-basis")).to_contain_text("fees included")
    expect(page.locator("#open_orders tbody")).to_contain_text("LIMIT")
    expect(page.locator("#limits")).to_contain_text("/6000")
    expect(page.locator("#pnl-summary")).to_contain_text("realized")
    metrics = page.request.get(url + "metrics")
    assert metrics.headers["content-type"].startswith("text/plain; version=0.0.4")
    assert "tradeguard_kill_switch_engaged" in metrics.text()
    shot = tmp_path / "dashboard-real-view.png"
    page.screenshot(path=str(shot), full_page=True)
    keep_screenshot(shot)
    page.click("#kill-button")
    page.click("#kill-engage")
    expect(page.locator("#kill")).to_have_attribute("data-state", "engaged", timeout=10_000)
