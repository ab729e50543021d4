"""A user stream against the simulator, on a fake clock that moves only when a test moves it.

`FakeTimer` is the stream's `sleep`: a sleeper wakes when the test advances time past its
deadline (`await env.advance(seconds)`), which moves tradeguard's FakeClock and the simulator's
manual clock together. Nothing waits on the wall clock except socket I/O on loopback, and that
only through `until(...)`, bounded to a couple of seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import pytest

from tests.transport.conftest import Paired, _paired, credentials
from tradeguard.events import EventBase, OrderFilled, OrderIntended
from tradeguard.journal.replay import Ledger
from tradeguard.model import OrderIntent, OrderType, Side, Symbol, TimeInForce
from tradeguard.venues.binance.client import BinanceTransport
from tradeguard.venues.binance.endpoints import NewOrder
from tradeguard.venues.binance.stream import StreamConfig, UserStream

SYMBOL = "BTCUSDT"
ASSETS = {"BTCUSDT": ("BTC", "USDT")}
PROFILE = "test"
WAIT_S = 3.0  # real seconds a socket round trip on loopback may take, at most

T = TypeVar("T")


class FakeTimer:
    """`sleep` for the stream: sleepers wake when `advance` moves the fake clock past them."""

    def __init__(self, paired: Paired) -> None:
        self.paired = paired
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()

    async def sleep(self, seconds: float) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        deadline = self.paired.clock.monotonic() + max(seconds, 0.0)
        heapq.heappush(self._sleepers, (deadline, next(self._seq), future))
        await future

    async def advance(self, seconds: float) -> None:
        """Move both clocks by `seconds`, waking each sleeper at its deadline on the way."""
        clock = self.paired.clock
        end = clock.monotonic() + seconds
        while True:
            self._sleepers = [s for s in self._sleepers if not s[2].done()]
            heapq.heapify(self._sleepers)
            due = self._sleepers[0][0] if self._sleepers else end
            target = min(due, end)
            step = target - clock.monotonic()
            if step > 0:
                clock.advance(step)
                await self.paired.remote.clock(advance_ms=max(1, round(step * 1000)))
            woke = False
            while self._sleepers and self._sleepers[0][0] <= clock.monotonic():
                _, _, future = heapq.heappop(self._sleepers)
                if not future.done():
                    future.set_result(None)
                    woke = True
            for _ in range(5):  # let the woken run up to their next await
                await asyncio.sleep(0)
            if not woke and target >= end:
                return


@dataclass
class Env:
    paired: Paired
    timer: FakeTimer
    venue: BinanceTransport
    events: list[EventBase] = field(default_factory=list)
    ledger: Ledger = field(default_factory=Ledger)
    refused: list[tuple[EventBase, Exception]] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)  # set by every event
    streams: list[UserStream] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=itertools.count)

    def on_event(self, event: EventBase) -> None:
        self.events.append(event)
        try:
            self.ledger.apply(event)
        except Exception as exc:  # what the session would journal as ErrorRaised
            self.refused.append((event, exc))
        self.changed.set()

    def stream(self, **config: Any) -> UserStream:
        config.setdefault("watch_every_s", 1.0)
        stream = UserStream(
            self.paired.running.ws_api_url,
            config.pop("credentials", None)
            or credentials(self.paired.running, config.pop("key", "trade-only")),
            ASSETS,
            profile=PROFILE,
            transport=self.venue,
            on_event=self.on_event,
            config=StreamConfig(**config),
            clock=self.paired.clock,
            sleep=self.timer.sleep,
        )
        self.streams.append(stream)
        stream.start()
        return stream

    async def until(self, found: Callable[[list[EventBase]], T | None], what: str) -> T:
        """Wait (real time, bounded) until `found(events)` is truthy; its value."""

        async def wait() -> T:
            while not (value := found(self.events)):
                self.changed.clear()
                await self.changed.wait()
            return value

        try:
            return await asyncio.wait_for(wait(), WAIT_S)
        except TimeoutError:
            kinds = [type(e).__name__ for e in self.events]
            raise AssertionError(f"timed out waiting for {what}; events: {kinds}") from None

    async def advance_until(
        self,
        found: Callable[[list[EventBase]], T | None],
        what: str,
        *,
        step_s: float = 1.0,
        limit_s: float = 120.0,
    ) -> T:
        """Advance the fake clock step by step until `found(events)` is truthy."""
        moved = 0.0
        while not (value := found(self.events)):
            if moved >= limit_s:
                kinds = [type(e).__name__ for e in self.events]
                raise AssertionError(f"{what} not seen after {moved} s; events: {kinds}")
            await self.timer.advance(step_s)
            moved += step_s
            for _ in range(20):
                if value := found(self.events):
                    return value
                await asyncio.sleep(0)
        return value

    def intend(self, price: str = "30000", qty: str = "0.001", side: Side = Side.BUY) -> NewOrder:
        """An order intent, applied to the ledger (as the session would), and its request."""
        coid = f"tg-s-{next(self._ids)}"
        intent = OrderIntent(
            client_order_id=coid, symbol=Symbol("BTC", "USDT"), side=side, type=OrderType.LIMIT,
            qty=Decimal(qty), price=Decimal(price), time_in_force=TimeInForce.GTC,
        )  # fmt: skip
        self.ledger.apply(
            OrderIntended(at_ms=self.paired.clock.wall_ms(), profile=PROFILE, intent=intent)
        )
        return NewOrder(
            SYMBOL, side, OrderType.LIMIT, coid, Decimal(qty), price=Decimal(price),
            time_in_force=TimeInForce.GTC,
        )  # fmt: skip

    def fills(self) -> list[OrderFilled]:
        return [e for e in self.events if isinstance(e, OrderFilled)]


@contextlib.asynccontextmanager
async def environment_of(paired: Paired, venue: BinanceTransport) -> AsyncIterator[Env]:
    """An Env on `venue` (its clock synced); every stream a test opened is closed after it."""
    await venue.sync_clock()
    environment = Env(paired, FakeTimer(paired), venue)
    try:
        yield environment
    finally:
        for stream in environment.streams:
            await stream.close()


@pytest.fixture
async def env(tmp_path: Path) -> AsyncIterator[Env]:
    async for paired in _paired(tmp_path):
        async with environment_of(paired, paired.make()) as environment:
            yield environment
