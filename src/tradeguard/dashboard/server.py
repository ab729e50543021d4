"""The dashboard's web server (aiohttp): one page per profile, live by Server-Sent Events.

Routes of each profile, under `/p/<profile>/` (and also at `/` when the dashboard serves one):

- `GET  /`                   the page (server-rendered, every value escaped)
- `GET  /api/snapshot.json`  the whole view as JSON, with the journal seq it reflects
- `GET  /events`             SSE: `id: <journal seq>`; resumes after `Last-Event-ID` (or `?after=`)
- `POST /api/kill`           latch the kill switch (the code path of `tradeguard kill`);
                             reset is the CLI's alone
- `GET  /metrics`            Prometheus text

With several profiles, `/` lists them. Static files (the page's CSS, script, and the vendored
uPlot) are served from the package under `/static/`: nothing comes from the internet.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from importlib import resources
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote

from aiohttp import web

from tradeguard.dashboard import auth, page
from tradeguard.dashboard.sse import (
    KEEPALIVE,
    KEEPALIVE_S,
    Feed,
    frame,
    is_end,
    retry_line,
)
from tradeguard.errors import TradeguardError
from tradeguard.net.clock import SYSTEM, Clock

PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
DEFAULT_KILL_REASON = "engaged from the dashboard"


class MetricsText(Protocol):
    """dashboard.metrics.prometheus_text (`view` is that module's own view class, the one the
    board was made with, hence Any here)."""

    def __call__(self, view: Any, *, now_ms: int, head_seq: int | None = None) -> str: ...


@dataclass
class Board:
    """One profile on the dashboard: its feed of the journal, and how to latch its kill
    switch (`latch(reason)` blocks, journals the latch and returns what to tell the user)."""

    profile: str
    venue: str
    env: str
    feed: Feed
    latch: Callable[[str], str]


def _static_dir() -> Path:
    return Path(str(resources.files("tradeguard.dashboard").joinpath("static")))


_dumps = partial(json.dumps, default=str, separators=(",", ":"))


def snapshot(board: Board, clock: Clock = SYSTEM) -> dict[str, Any]:
    """The view as the page shows it (the promotion verdict dated now), stamped with the seq
    the feed has folded."""
    return {**board.feed.view.snapshot(now_ms=clock.wall_ms()), "seq": board.feed.seq}


class _Routes:
    """The handlers of one profile."""

    def __init__(
        self,
        board: Board,
        prefix: str,
        profiles: Sequence[str],
        metrics: MetricsText,
        clock: Clock,
        keepalive_s: float,
    ) -> None:
        self.board = board
        self.prefix = prefix
        self.profiles = profiles
        self.metrics = metrics
        self.clock = clock
        self.keepalive_s = keepalive_s

    async def page(self, request: web.Request) -> web.StreamResponse:
        if not request.path.endswith("/"):  # relative URLs in the page need the slash
            raise web.HTTPFound(request.path + "/")
        b = self.board
        body = page.render(
            snapshot(b, self.clock),
            profile=b.profile,
            venue=b.venue,
            env=b.env,
            static="/static/",
            profiles=self.profiles,
        )
        return web.Response(
            text=body,
            content_type="text/html",
            headers={
                "Cache-Control": "no-store",
                "Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; "
                "img-src 'self' data:; frame-ancestors 'none'",
            },
        )

    async def snapshot(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(snapshot(self.board, self.clock), dumps=_dumps)

    async def metrics_text(self, request: web.Request) -> web.StreamResponse:
        feed = self.board.feed
        text = self.metrics(feed.view, now_ms=self.clock.wall_ms(), head_seq=feed.head())
        return web.Response(body=text.encode(), headers={"Content-Type": PROMETHEUS_CONTENT_TYPE})

    async def kill(self, request: web.Request) -> web.StreamResponse:
        try:
            body = await request.json() if request.can_read_body else {}
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return web.json_response({"error": 'send a JSON object: {"reason": ...}'}, status=400)
        reason = " ".join(str(body.get("reason") or DEFAULT_KILL_REASON).split())[:200]
        try:
            message = await asyncio.to_thread(self.board.latch, reason)
        except TradeguardError as exc:
            return web.json_response({"error": str(exc)}, status=500)
        self.board.feed.wake()
        return web.json_response({"message": message})

    async def events(self, request: web.Request) -> web.StreamResponse:
        feed = self.board.feed
        asked = request.headers.get("Last-Event-ID") or request.query.get("after") or ""
        after = int(asked) if asked.strip().isdigit() else -1  # unknown: the whole snapshot
        response = web.StreamResponse(
            headers={
                "Content-Type": "text/event-stream",
                "Cache-Control": "no-cache",
                "X-Accel-Buffering": "no",
            }
        )
        await response.prepare(request)
        sub = feed.subscribe(after)  # with the resync snapshot below, one synchronous step
        first = retry_line()
        if sub.resync:
            whole = snapshot(self.board, self.clock)
            first += frame({"kind": "snapshot", "snapshot": whole}, seq=whole["seq"])
        try:
            await response.write(first + b"".join(frame(p, seq=s) for s, p in sub.replay))
            while True:
                try:
                    async with asyncio.timeout(self.keepalive_s):  # not wait_for: see sse.Feed
                        message = await sub.queue.get()
                except TimeoutError:
                    await response.write(KEEPALIVE)
                    continue
                if is_end(message):
                    break
                seq, payload = message
                await response.write(frame(payload, seq=seq))
        except ConnectionResetError:
            pass  # the browser went away; it reconnects with Last-Event-ID if it comes back
        finally:
            feed.unsubscribe(sub)
        with contextlib.suppress(ConnectionResetError):
            await response.write_eof()
        return response

    def add_to(self, router: web.UrlDispatcher) -> None:
        p = self.prefix
        router.add_get(p + "/", self.page)
        if p:
            router.add_get(p, self.page)
        router.add_get(p + "/api/snapshot.json", self.snapshot)
        router.add_get(p + "/events", self.events)
        router.add_post(p + "/api/kill", self.kill)
        router.add_get(p + "/metrics", self.metrics_text)


def profile_path(profile: str) -> str:
    return "/p/" + quote(profile, safe="")


def build_app(
    boards: Sequence[Board],
    *,
    metrics: MetricsText,
    token: str | None = None,
    clock: Clock = SYSTEM,
    keepalive_s: float = KEEPALIVE_S,
) -> web.Application:
    """The dashboard of these profiles; `token` required on every request when given."""
    app = web.Application(middlewares=[auth.middleware(token)])
    names = [b.profile for b in boards]
    for board in boards:
        _Routes(board, profile_path(board.profile), names, metrics, clock, keepalive_s).add_to(
            app.router
        )
    if len(boards) == 1:
        _Routes(boards[0], "", names, metrics, clock, keepalive_s).add_to(app.router)
    else:

        async def choose(request: web.Request) -> web.StreamResponse:
            return web.Response(text=page.chooser(names), content_type="text/html")

        app.router.add_get("/", choose)
    app.router.add_static("/static/", _static_dir())

    async def start_feeds(app: web.Application) -> None:
        for board in boards:
            board.feed.start()

    async def end_streams(app: web.Application) -> None:
        for board in boards:  # else an open stream keeps the server from stopping
            board.feed.end_streams()

    async def close_feeds(app: web.Application) -> None:
        for board in boards:
            await board.feed.close()

    app.on_startup.append(start_feeds)
    app.on_shutdown.append(end_streams)
    app.on_cleanup.append(close_feeds)
    return app


async def start(app: web.Application, host: str, port: int) -> tuple[web.AppRunner, str]:
    """Listen; (the runner to clean up, the URL of the dashboard)."""
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound = port
    for address in runner.addresses:  # port 0: the one the system picked
        bound = address[1]
    shown = f"[{host}]" if ":" in host else host
    return runner, f"http://{shown}:{bound}/"
