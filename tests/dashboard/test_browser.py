"""The dashboard in a real browser (Debian's Chromium through Playwright): the page loads and
draws its chart offline, fills from a running bot appear live, a stream cut by the server
resumes from the last event exactly once, and the kill button latches the switch and the bot
stops. A screenshot of each is kept in build/screenshots/."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.dashboard.browsing import ARGS, LoopThread, chromium_path, keep_screenshot
from tests.journal.factories import fill
from tradeguard.cli import runner
from tradeguard.dashboard.boards import Parts
from tradeguard.dashboard.serve import Running, WebOptions, start
from tradeguard.events import KillSwitchSet, ShutDown
from tradeguard.journal import open_journal
from tradeguard.profile.profiles import Profile, builtin_default

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect
pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    path = chromium_path()
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=path, headless=True, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    pg = context.new_page()
    offline: list[str] = []
    pg.on(
        "request", lambda r: None if r.url.startswith("http://127.0.0.1") else offline.append(r.url)
    )
    yield pg
    context.close()
    assert offline == [], f"the page asked the internet for {offline}"


@pytest.fixture
def loop_thread() -> Iterator[LoopThread]:
    t = LoopThread()
    yield t
    t.stop()


def _serve(loop_thread: LoopThread, parts: Parts) -> Running:
    options = WebOptions(port=0, parts=parts, poll_s=0.05)
    return loop_thread.run(start([builtin_default()], None, options))


def test_the_page_loads_offline_and_draws_its_chart(
    page: Any, loop_thread: LoopThread, parts: Parts, tmp_path: Path
) -> None:
    profile = builtin_default()
    with open_journal(profile.journal, profile=profile.name) as j:
        for i in range(4):
            j.append(
                fill(i + 1, "0.001", price=str(100 + i), at_ms=1_767_225_600_000 + i * 60_000),
                durable=True,
            )
    running = _serve(loop_thread, parts)
    try:
        page.goto(running.url)
        expect(page.locator("#fills tbody tr")).to_have_count(4)
        expect(page.locator("#pnl canvas").first).to_be_visible()  # uPlot, from the package
        expect(page.locator("#limits")).to_contain_text("37/6000")
        expect(page.locator("#held")).to_contain_text("no ban or pause")
        expect(page.locator("#kill")).to_have_attribute("data-state", "armed")
        expect(page.locator("#kill")).to_contain_text("tradeguard kill --reset")
        expect(page.locator("#link-text")).to_have_text("live")
        shot = tmp_path / "dashboard-loaded.png"
        page.screenshot(path=str(shot), full_page=True)
        assert keep_screenshot(shot).stat().st_size > 10_000
    finally:
        loop_thread.run(running.close())


def test_a_cut_stream_resumes_from_the_last_event_exactly_once(
    page: Any, loop_thread: LoopThread, parts: Parts
) -> None:
    profile = builtin_default()
    journal = open_journal(profile.journal, profile=profile.name)
    running = _serve(loop_thread, parts)
    try:
        page.goto(running.url)
        expect(page.locator("#link-text")).to_have_text("live")
        first = [journal.append(fill(i + 1, "0.001"), durable=True) for i in range(3)]
        expect(page.locator("#fills tbody tr")).to_have_count(3)
        feed = running.boards[0].feed
        loop_thread.call(feed.end_streams)  # the server drops the stream
        expect(page.locator("#link-text")).to_have_text("reconnecting")
        more = [journal.append(fill(i + 4, "0.001"), durable=True) for i in range(3)]
        expect(page.locator("#link-text")).to_have_text("live", timeout=10_000)
        expect(page.locator("#fills tbody tr")).to_have_count(6)
        seen = page.evaluate("window.tradeguard.seen")
        assert seen == first + more  # every event once: none lost across the cut, none repeated
    finally:
        loop_thread.run(running.close())
        journal.close()


BOT = """
import asyncio
from pathlib import Path

async def main(tg):
    go = Path(__file__).with_name("go")
    while not go.exists():
        await asyncio.sleep(0.05)
    for _ in range(3):
        await tg.market_buy("BTC/USDT", qty="0.001")
    while True:  # until the kill switch stops it
        await asyncio.sleep(0.05)
"""


def test_fills_from_a_running_bot_appear_and_the_kill_button_stops_it(
    page: Any, loop_thread: LoopThread, parts: Parts, tmp_path: Path
) -> None:
    bot = tmp_path / "bot.py"
    bot.write_text(BOT)
    urls: list[str] = []
    options = WebOptions(port=0, parts=parts, poll_s=0.05, on_ready=urls.append)
    ran = loop_thread.submit(runner.run(bot, None, None, live=False, web=options))
    try:
        _drive(page, ran, urls, tmp_path)
    finally:
        ran.cancel()  # a failed test's bot: stopped, not left to the closing loop


def _drive(page: Any, ran: Any, urls: list[str], tmp_path: Path) -> None:
    for _ in range(600):  # the simulator, the session, then the page
        if urls or ran.done():
            break
        time.sleep(0.05)
    assert urls, ran.exception() if ran.done() else "the dashboard did not start"
    page.goto(urls[0])
    expect(page.locator("#link-text")).to_have_text("live")
    (tmp_path / "go").touch()
    expect(page.locator("#fills tbody tr")).to_have_count(3, timeout=15_000)
    expect(page.locator("#fills tbody")).to_contain_text("BUY")
    for _ in range(100):  # the snapshot the page fetches after events (wait_for_function
        if (
            page.evaluate("window.tradeguard.state.pnl_curve.points.length") == 3
        ):  # is barred by CSP)
            break
        time.sleep(0.05)

    page.click("#kill-button")
    expect(page.locator("#kill-confirm")).to_be_visible()
    page.fill("#kill-reason", "stop from the browser test")
    page.click("#kill-engage")
    expect(page.locator("#kill")).to_have_attribute("data-state", "engaged", timeout=10_000)
    expect(page.locator("#kill-detail")).to_contain_text("stop from the browser test")
    shot = tmp_path / "dashboard-killed.png"
    page.screenshot(path=str(shot), full_page=True)
    keep_screenshot(shot)

    assert ran.result(30) == runner.KILLED  # the bot stopped
    profile = builtin_default()
    with open_journal(profile.journal, profile=profile.name) as j:
        events = list(j.events())
    (latch,) = [e for e in events if isinstance(e, KillSwitchSet)]
    assert latch.by == "user" and latch.reason == "stop from the browser test"
    assert any(isinstance(e, ShutDown) and "kill switch" in e.reason for e in events)


def test_several_profiles_a_chooser_and_a_live_page_each(
    page: Any, loop_thread: LoopThread, parts: Parts, tmp_path: Path
) -> None:
    profiles = []
    for name, n in (("alpha", 1), ("beta", 2)):
        p = Profile(name=name, journal=f"sqlite://{tmp_path}/{name}.db")
        with open_journal(p.journal, profile=name) as j:
            for i in range(n):
                j.append(fill(i + 1, "0.001"), durable=True)
        profiles.append(p)
    running = loop_thread.run(start(profiles, None, WebOptions(port=0, parts=parts, poll_s=0.05)))
    try:
        page.goto(running.url)
        page.click("text=beta")
        expect(page.locator("#profile")).to_contain_text("beta")
        expect(page.locator("#link-text")).to_have_text("live")
        expect(page.locator("#fills tbody tr")).to_have_count(2)
        with open_journal(profiles[1].journal, profile="beta") as j:
            j.append(fill(3, "0.001"), durable=True)
        expect(page.locator("#fills tbody tr")).to_have_count(3)
        page.click("#chooser >> text=alpha")
        expect(page.locator("#fills tbody tr")).to_have_count(1)
    finally:
        loop_thread.run(running.close())
