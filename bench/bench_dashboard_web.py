"""The dashboard in a browser: how long an event takes from the journal to the page.

- dashboard_event_latency_ms: a fill appended to the journal (the wall time just before
  `append`), until the page has drawn it (the page's own `performance.timeOrigin + now()`, taken
  after the render its SSE message caused). `tradeguard dashboard` on its own, polling the
  journal every 250 ms (its default; `run --web` is woken by the session instead), Debian's
  Chromium through Playwright. Baseline: the same events, received by a plain SSE client
  (aiohttp, in the server's process) on the same stream: the part of the figure that is the
  browser's.

EVENTS appends, spaced at random within one poll interval (so the poll's phase is sampled);
medians. Needs Chromium ($TRADEGUARD_CHROMIUM, else /usr/bin/chromium) and playwright.
"""

from __future__ import annotations

import os
import random
import sys
import tempfile
import time
from pathlib import Path

from figures import Figure, median

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

EVENTS = 40


def run() -> list[Figure]:
    chromium = os.environ.get("TRADEGUARD_CHROMIUM", "/usr/bin/chromium")
    if not Path(chromium).exists():
        print(f"   skipped: no Chromium at {chromium} (apt-get install chromium)")
        return []
    from playwright.sync_api import sync_playwright
    from tests.dashboard.browsing import ARGS, LoopThread
    from tests.journal.factories import fill

    from tradeguard.dashboard.serve import WebOptions, start
    from tradeguard.journal import open_journal
    from tradeguard.profile.profiles import Profile

    folder = Path(tempfile.mkdtemp(prefix="tgbench-dashweb-"))
    os.environ["XDG_CACHE_HOME"] = str(folder / "cache")  # the view's checkpoints, if any
    profile = Profile(name="bench", journal=f"sqlite://{folder}/bench.db")
    journal = open_journal(profile.journal, profile=profile.name)
    journal.append(fill(1, "0.001"), durable=True)
    loop = LoopThread()
    running = loop.run(start([profile], None, WebOptions(port=0)))
    received: dict[int, float] = {}
    reader = loop.submit(_read_sse(running.url + "events", received))
    browser_ms: list[float] = []
    client_ms: list[float] = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, headless=True, args=ARGS)
            page = browser.new_page()
            page.on("pageerror", lambda e: print("   page error:", e))
            page.goto(running.url)
            page.wait_for_selector("#link-text:text('live')")
            for i in range(EVENTS):
                time.sleep(random.uniform(0.05, 0.3))
                before = time.time() * 1000
                seq = journal.append(fill(i + 2, "0.001", at_ms=int(before)), durable=True)
                drawn = None
                for _ in range(1000):  # both: the page, and the plain client
                    if drawn is None:
                        drawn = page.evaluate(f"window.tradeguard.renderedAt[{seq}] ?? null")
                    if drawn is not None and seq in received:
                        break
                    time.sleep(0.005)
                if drawn is None or seq not in received:
                    raise RuntimeError(f"event {seq} never reached the page")
                browser_ms.append(drawn - before)
                client_ms.append(received[seq] - before)
            browser.close()
    finally:
        reader.cancel()
        loop.run(running.close())
        loop.stop()
        journal.close()
    return [
        Figure(
            "dashboard_event_latency_ms",
            median(browser_ms),
            "ms",
            "sse_client_latency_ms",
            median(client_ms),
        )
    ]


async def _read_sse(url: str, received: dict[int, float]) -> None:
    import aiohttp

    async with aiohttp.ClientSession() as http, http.get(url + "?after=0") as stream:
        async for raw in stream.content:
            line = raw.decode()
            if line.startswith("id: "):
                received[int(line[4:])] = time.time() * 1000
