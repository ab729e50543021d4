"""What every market-stream connection keeps alike, Binance's (stream.MarketStream) and a ccxt
venue's (venue_stream.VenueStream): the subscriptions asked for (a handler per name, whether
the venue confirmed or refused each), and the connection's life. I/O (aiohttp).

    subscribing         `subscribe(name, handler)` opens the connection on the first one; each
                        kind says how a name is asked for (`_ask`), and reads the answers
    a drop, a close     reconnect with exponential backoff and full jitter (capped), every
                        name subscribed again; `on_up` tells the keeper, which rebuilds books
    a stale stream      each kind's `_read` says so; the connection is replaced as after a drop
    a ban, a pause      (`held`: the venue's rate ledger) nothing asks anything of the venue
                        until it ends: no handshake, no subscription. A socket that is up stays
                        up and keeps delivering

The hot path, reading frames and handing each to its handler, is each kind's own (`_read`).
Time comes from the injected clock (monotonic) and waits from the injected sleep.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp

from tradeguard.market.cache import MarketStats
from tradeguard.net.clock import SYSTEM, Clock
from tradeguard.net.ratelimit import Wait
from tradeguard.net.task_stop import stop_task

Handler = Callable[[Any], None]  # takes the frame's decoded payload
Sleep = Callable[[float], Awaitable[None]]
HOLD_RECHECK_S = 1.0  # a hold is looked at again this often (it may be lifted early)


@dataclass(frozen=True, slots=True)
class MarketStreamConfig:
    stale_after_s: float = 30.0  # no frame this long while subscribed: a stale stream
    backoff_base_s: float = 0.5
    backoff_cap_s: float = 30.0
    connect_timeout_s: float = 10.0
    requests_per_s: int = 4  # Binance closes a connection past 5 incoming messages a second


class SubscribedStream:
    """One connection and the names subscribed on it. A kind says how to ask (`_ask`,
    `_ask_unsubscribe`, `_asking_again`), sends what it asked (`_send_loop`) and reads
    (`_read`)."""

    # what ends a connection while it is read (beside its own end), with why
    _failures: tuple[type[BaseException], ...] = (aiohttp.ClientError, OSError)

    def __init__(
        self,
        url: str,
        *,
        stats: MarketStats,
        config: MarketStreamConfig | None = None,
        held: Callable[[], Wait] | None = None,
        clock: Clock = SYSTEM,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.url = url
        self.stats = stats
        self.config = config or MarketStreamConfig()
        self._held = held
        self.clock = clock
        self._sleep = sleep
        self._rng = rng or random.Random()  # jitter, not cryptography
        self.on_up: Callable[[], None] | None = None
        self.on_down: Callable[[str], None] | None = None
        self.on_refused: Callable[[str, str], None] | None = None  # a name refused, and why
        self._handlers: dict[str, Handler] = {}
        self._confirmed: dict[str, asyncio.Event] = {}
        self.refused: dict[str, str] = {}  # name -> the venue's refusal
        self._wake = asyncio.Event()
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._http: aiohttp.ClientSession | None = None
        self._task: asyncio.Task[None] | None = None
        self.closed = False
        self.up = asyncio.Event()

    # ── what the keeper asks ──────────────────────────────────────────────────────────────
    def subscribe(self, name: str, handler: Handler) -> None:
        if name in self._handlers:
            self._handlers[name] = handler
            return
        self._room_for(name)
        self._handlers[name] = handler
        self._confirmed.setdefault(name, asyncio.Event())
        self.refused.pop(name, None)
        self._ask([name])
        if self._task is None and not self.closed:
            self._task = asyncio.ensure_future(self._run())

    def unsubscribe(self, name: str) -> None:
        if self._handlers.pop(name, None) is None:
            return
        self._confirmed.pop(name, None)
        self._ask_unsubscribe(name)

    @property
    def names(self) -> list[str]:
        return list(self._handlers)

    async def confirmed(self, name: str) -> None:
        """Until the venue has confirmed (or refused: `refused`) the subscription on the
        current connection."""
        await self._confirmed.setdefault(name, asyncio.Event()).wait()

    async def close(self) -> None:
        self.closed = True
        self._wake.set()
        try:
            if self._task is not None:
                await stop_task(self._task, quiet=(Exception,))
        finally:  # cancelled while the loop ends, the connection and the session still close
            if self._ws is not None:
                with contextlib.suppress(Exception):
                    await self._ws.close()
            if self._http is not None:
                await self._http.close()

    def _went_stale(self) -> str:
        """Count a stale stream; why the connection is replaced."""
        self.stats.stale += 1
        return f"stale: no market data for {self.config.stale_after_s:g} s"

    # ── what each kind says ───────────────────────────────────────────────────────────────
    def _room_for(self, name: str) -> None:
        """Raise if the connection can carry no more names."""

    def _ask(self, names: list[str]) -> None:
        raise NotImplementedError

    def _ask_unsubscribe(self, name: str) -> None:
        raise NotImplementedError

    def _asking_again(self) -> None:
        """A new connection: forget what was asked on the old one, ask for every name."""
        raise NotImplementedError

    async def _send_loop(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        raise NotImplementedError

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> tuple[str, bool]:
        """Read until the connection ends or goes stale; why, and whether data came."""
        raise NotImplementedError

    # ── answers ───────────────────────────────────────────────────────────────────────────
    def _confirm(self, name: str) -> None:
        if name in self._handlers:
            self._confirmed.setdefault(name, asyncio.Event()).set()

    def _refuse(self, name: str, why: str) -> None:
        self.refused[name] = why
        self._handlers.pop(name, None)
        event = self._confirmed.get(name)
        if event is not None:
            event.set()  # the waiter reads `refused`
        if self.on_refused is not None:
            self.on_refused(name, why)  # a watch of it ends, saying why

    # ── the connection ────────────────────────────────────────────────────────────────────
    def _stopped(self) -> bool:
        return self.closed  # a call, so that the checker does not keep a narrowed `closed`

    def _held_s(self) -> float:
        """How long the venue's ban or pause still holds what would ask it for something."""
        return 0.0 if self._held is None else self._held().seconds

    async def _hold(self) -> None:
        """Nothing asks anything of the venue during a ban or a pause."""
        while not self.closed:
            seconds = self._held_s()
            if seconds <= 0:
                return
            await self._sleep(min(seconds, HOLD_RECHECK_S))

    async def _run(self) -> None:
        attempt = 0
        while not self.closed:
            await self._hold()
            reason = "closed"
            try:
                if self._http is None:
                    self._http = aiohttp.ClientSession()
                # asyncio.timeout, not wait_for: on Python 3.11 wait_for returns the socket when
                # close()'s cancellation comes in the same turn as the handshake's end, and the
                # loop then read that socket until its stale timeout
                async with asyncio.timeout(self.config.connect_timeout_s):
                    ws = await self._http.ws_connect(self.url, autoping=True, heartbeat=None)
            except (aiohttp.ClientError, OSError, TimeoutError) as exc:
                reason = f"could not connect: {exc or type(exc).__name__}"
            else:
                if self._stopped():  # closed as it opened: nothing to read it for
                    await ws.close()
                    return
                reason, delivered = await self._connected(ws)
                if delivered:
                    attempt = 0
            if self._stopped():
                return
            if self.on_down is not None:
                self.on_down(reason)
            attempt += 1
            ceiling = min(
                self.config.backoff_cap_s, self.config.backoff_base_s * 2 ** (attempt - 1)
            )
            await self._sleep(self._rng.uniform(0, ceiling))

    async def _connected(self, ws: aiohttp.ClientWebSocketResponse) -> tuple[str, bool]:
        self._ws = ws
        self.stats.connections += 1
        self._asking_again()
        if self.on_up is not None:
            self.on_up()
        self.up.set()
        sender = asyncio.ensure_future(self._send_loop(ws))
        try:
            return await self._read(ws)
        except self._failures as exc:
            return f"connection failed: {exc}", False
        finally:
            try:
                await stop_task(sender, quiet=(Exception,))
            finally:  # cancelled while the sender ends, the connection is still given up
                self.up.clear()
                for event in self._confirmed.values():
                    event.clear()
                self._ws = None
                with contextlib.suppress(Exception):
                    await ws.close()


_DATA = (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY)


def ended_by(ws: aiohttp.ClientWebSocketResponse, message: aiohttp.WSMessage) -> str | None:
    """Why the connection ended with `message` (an error, the exchange's close, a drop), or
    None when it is a frame of data."""
    if message.type in _DATA:
        return None
    if message.type is aiohttp.WSMsgType.ERROR:
        return f"connection error: {ws.exception()}"
    code = ws.close_code
    return f"closed by the exchange ({code})" if code else "dropped"


__all__ = ["Handler", "MarketStreamConfig", "Sleep", "SubscribedStream", "ended_by"]
