"""Running the dashboard: on its own (`tradeguard dashboard`), or beside a bot in the same
process (`tradeguard run --web`, where the session wakes the feed on every event it records
instead of leaving it to the next poll)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import web

from tradeguard.dashboard import auth, boards, server
from tradeguard.errors import cannot_listen

if TYPE_CHECKING:
    from tradeguard.profile.profiles import Profile
    from tradeguard.session.guard import Session

DEFAULT_PORT = 8470


@dataclass
class WebOptions:
    """Where the dashboard listens, and what it is made of (the real view unless a test
    gives a stand-in)."""

    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    token: str | None = None
    parts: boards.Parts | None = None
    poll_s: float | None = None
    hold: bool = False  # `run --web`: keep the page up after the bot ends, until Ctrl-C
    port_option: str = "--port"  # how the command the user typed names the port
    on_ready: Callable[[str], None] | None = field(default=None, repr=False)

    def check(self) -> None:
        auth.check_bind(self.host, self.token)

    def url_for_user(self, url: str) -> str:
        """The link to print: with ?token= on a guarded dashboard (the page keeps it in a
        cookie after that)."""
        return url if self.token is None else f"{url}?token={self.token}"


class Running:
    """A dashboard that is listening: its URL and how to stop it."""

    def __init__(self, runner: web.AppRunner, url: str, made: Sequence[server.Board]) -> None:
        self.runner = runner
        self.url = url
        self.boards = made

    async def close(self) -> None:
        await self.runner.cleanup()


async def start(profiles: Sequence[Profile], config: Path | None, options: WebOptions) -> Running:
    options.check()
    parts = options.parts or boards.real_parts()
    made: list[server.Board] = []
    try:
        for profile in profiles:
            latch = boards.latch_for(profile.name, config)
            made.append(boards.board(profile, parts, latch=latch, poll_s=options.poll_s))
        app = server.build_app(made, metrics=parts.metrics, token=options.token)
        try:
            runner, url = await server.start(app, options.host, options.port)
        except OSError as exc:
            raise cannot_listen(options.host, options.port, exc, options.port_option) from None
    except BaseException:
        for b in made:
            b.feed.tail.close()
        raise
    if options.on_ready is not None:
        options.on_ready(options.url_for_user(url))
    return Running(runner, url, made)


async def beside(
    tg: Session, profile: Profile, config: Path | None, options: WebOptions
) -> Running:
    """The dashboard of the profile a session trades, woken by the session's own events."""
    running = await start([profile], config, options)
    feed = running.boards[0].feed

    def wake(event: Any) -> None:
        feed.wake()

    tg.recorder.watchers.append(wake)
    return running


async def serve_forever(
    profiles: Sequence[Profile], config: Path | None, options: WebOptions
) -> None:
    """`tradeguard dashboard`: until Ctrl-C or SIGTERM."""
    running = await start(profiles, config, options)
    try:
        await asyncio.Event().wait()
    finally:
        await running.close()
