"""One running simulator's state, and the aiohttp application that serves it.

`Sim` owns everything a simulator holds: the engine, the rate-limit ledger, the keys, the fault
plan, the clock, the request counts, the listenKeys and the stream subscribers. Handlers reach
it through closures (each `rest_*` module's `endpoints(sim)`), never through globals, so several
simulators can run in one process (tests do).

Everything here runs on the event loop's one thread: the engine is called synchronously and no
`await` sits between an engine call and the delivery of its events (`pump`), so events reach
subscribers in the engine's order.
"""

from __future__ import annotations

import sys
import traceback
from collections import Counter
from collections.abc import Callable
from typing import Any

from aiohttp import web

from tradeguard.net.clock import SYSTEM, Clock
from tradeguard.sim import (
    control,
    rest_account,
    rest_market,
    rest_orderlist,
    rest_replace,
    rest_trade,
    rest_wallet,
    streams,
    wsapi,
)
from tradeguard.sim.config import SimConfig, build_keys
from tradeguard.sim.engine import Engine
from tradeguard.sim.faults import FaultPlan
from tradeguard.sim.faults_kinds import ClockOffset
from tradeguard.sim.keys import ApiKey, KeyStore, listing
from tradeguard.sim.limits import Ledger
from tradeguard.sim.records import SymbolSpec
from tradeguard.sim.rest_pipeline import make_middleware, serve
from tradeguard.sim.streams_feeds import Feeds
from tradeguard.sim.streams_hub import Hub


class SimClock:
    """The simulator's time in ms: the wall clock ("wall") or a hand-moved clock ("manual").

    `offset_ms()` (the fault plan's clock_offset) shifts it either way, to play an exchange
    whose clock differs from the caller's.
    """

    def __init__(
        self, mode: str, wall: Clock, start_ms: int | None, offset_ms: Callable[[], int]
    ) -> None:
        self.mode = mode
        self._wall = wall
        self._manual_ms = wall.wall_ms() if start_ms is None else start_ms
        self.offset_ms = offset_ms

    def now_ms(self) -> int:
        base = self._wall.wall_ms() if self.mode == "wall" else self._manual_ms
        return base + self.offset_ms()

    def advance(self, ms: int) -> None:
        self._require_manual()
        if ms < 0:
            raise ValueError("advance_ms must be ≥ 0; use set_ms to move the clock back")
        self._manual_ms += ms

    def set(self, ms: int) -> None:
        self._require_manual()
        self._manual_ms = ms

    def _require_manual(self) -> None:
        if self.mode != "manual":
            raise ValueError(
                'the clock follows the wall clock; start the simulator with clock = "manual" '
                "to move it by hand, or use offset_ms"
            )

    def to_json(self) -> dict[str, Any]:
        return {"mode": self.mode, "now_ms": self.now_ms(), "offset_ms": self.offset_ms()}


class RequestLog:
    """How many requests arrived, per "METHOD /path", counted before any check."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def count(self, method: str, path: str) -> None:
        self.counts[f"{method} {path}"] += 1

    def reset(self) -> None:
        self.counts.clear()

    def to_json(self) -> dict[str, Any]:
        return {"total": sum(self.counts.values()), "requests": dict(sorted(self.counts.items()))}


class Sim:
    """Everything one running simulator holds; the aiohttp handlers close over it."""

    def __init__(self, config: SimConfig, wall: Clock = SYSTEM) -> None:
        self.config = config
        self.faults = FaultPlan.from_json(config.faults)  # first: a clock_offset fault moves now
        self.clock = SimClock(
            config.clock, wall, config.start_ms, lambda: self.faults.clock_offset_ms
        )
        now = self.clock.now_ms()
        self.keys: list[ApiKey] = build_keys(config, now)
        self.keystore = KeyStore(self.keys)
        self.key_listing = [listing(k) for k in self.keys]
        self.requests = RequestLog()
        # Bugs the middleware caught (answered -1000, logged to stderr); tests assert it stays
        # empty however malformed their requests are.
        self.unexpected_errors: list[str] = []
        self.hub = Hub()
        # told of every fault added (the FIX acceptor acts on fix_news at once)
        self.fault_watchers: list[Callable[[], None]] = []
        self.feeds = Feeds(self)
        self._fresh(now)

    def _fresh(self, now: int) -> None:
        self.engine = Engine(self.config.engine_config(now))
        # Events go out in `pump`, right after each engine call, to the sinks the hub has then:
        # an account no sink hears gets none built.
        self.engine.build_user_events_for(self.hub.hears)
        self.engine.build_stream_events_for(self.feeds.follows)
        self.ledger = Ledger(self.config.limits)
        self.listen_keys = streams.ListenKeys(self.config.seed)
        self.tape = rest_market.TradeTape()

    def reset(self) -> None:
        """A fresh engine, ledger, fault plan and counts, from the same configuration.

        Open WebSocket connections stay open; their subscriptions now follow the new engine.
        """
        self.faults = FaultPlan.from_json(self.config.faults)
        self._fresh(self.clock.now_ms())
        self.requests.reset()
        self.feeds.reset()
        self.pump()  # the periodic streams show the new market at once

    def record_unexpected(self, where: str, exc: BaseException) -> None:
        """A bug caught at the edge: logged to stderr with where it happened, and kept."""
        line = f"unexpected error on {where}: {exc!r}"
        self.unexpected_errors.append(line)
        print(f"tradeguard sim: {line}", file=sys.stderr)
        traceback.print_exception(exc, file=sys.stderr)

    def symbols(self) -> dict[str, SymbolSpec]:
        return self.engine.symbols

    def weight_headers(self, ip: str) -> dict[str, str]:
        return self.ledger.headers(ip, None, self.clock.now_ms(), False)

    def pump(self) -> None:
        """Hand the engine's queued events to the streams (called after every engine call), let
        the periodic market streams send what is due, and write it all out."""
        now = self.clock.now_ms()
        for user_event in self.engine.drain_user_events(triggers=True):
            self.hub.user_event(user_event.account, user_event.payload)
        for market_event in self.engine.drain_market_events():
            self.tape.record(market_event)
            self.feeds.on_event(market_event)
        self.feeds.tick(now)
        self.hub.flush(now)

    def tick(self) -> None:
        """Catch the market up to now (fills, triggers) and deliver what happened."""
        now = self.clock.now_ms()
        try:
            self.engine.advance(now)
        finally:
            self.pump()
        for expired in self.listen_keys.expire(now):
            self.hub.listen_key_expired(expired, now)
        self.hub.poll(now)

    # ── faults ──────────────────────────────────────────────────────────────────────────
    def add_fault(self, spec: dict[str, Any]) -> int:
        """Add one fault (FaultPlan JSON); a stream fault acts on idle streams at once."""
        fault_id = self.faults.add(spec)
        self.hub.poll(self.clock.now_ms())
        for watcher in self.fault_watchers:
            watcher()
        return fault_id

    def clear_faults(self) -> None:
        self.faults.clear()

    def set_clock_offset(self, offset_ms: int) -> None:
        """Run the simulator's clock `offset_ms` ahead of (or behind) the caller's."""
        for fault in self.faults.faults():
            if isinstance(fault, ClockOffset) and fault.id is not None:
                self.faults.remove(fault.id)
        if offset_ms:
            self.faults.add({"kind": "clock_offset", "ms": offset_ms})


def build_app(sim: Sim) -> web.Application:
    """The aiohttp application of one simulator: REST, WebSocket API, streams and control."""
    app = web.Application(middlewares=[make_middleware(sim)])
    for module in (
        rest_market,
        rest_trade,
        rest_replace,
        rest_orderlist,
        rest_account,
        rest_wallet,
    ):
        for endpoint in module.endpoints(sim):
            app.router.add_route(endpoint.method, endpoint.path, serve(sim, endpoint))
    app.router.add_get("/ws-api/v3", wsapi.handler(sim))
    streams.add_routes(app, sim)
    control.add_routes(app, sim)
    return app
