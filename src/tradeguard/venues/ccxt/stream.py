"""The private stream through ccxt.pro: `watch_orders`, `watch_my_trades` and (Bybit, OKX)
`watch_balance` as the journal events the Binance stream yields (`OrderFilled` per fill, with
its trade id; `OrderUpdated` for what is not a fill: new, canceled, expired, rejected;
`BalanceChanged` at the exchange's update time, `balances.py`), kept alive across drops.

Fills come from the trades channel only; an order update that only says "filled" is not
turned into an event (the fill carries it, as Binance's TRADE report does), so a fill is never
counted twice.

After every (re)subscription `on_gap(since_ms)` runs and what it returns is delivered before
any live event received meanwhile (those wait), then `StreamGapFilled`; `ready` is set only
then. What it survives, with `StreamConfig`'s settings (the Binance stream's):

    drop, terminate     ccxt raises NetworkError from a watch: reconnect with exponential
                        backoff and full jitter, `on_gap` again
    dead socket         ccxt's own keepalive (ping every `ping_after_s`, two missed pongs):
                        a RequestTimeout, the same
    deaf subscription   no order, trade or balance message for `quiet_after_s` (the socket
                        may still answer pings): reconnect at once, resubscribe, `on_gap`
    refused key         the stream stops: `error` is an AuthError, `StreamGapLost` says why
    `lost_after` failed attempts in a row: `StreamGapLost`, and the attempts go on

The watchdog and the backoff wait through the injected `sleep` and read the injected `clock`,
so tests drive them on a fake clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from tradeguard.errors import AuthError, GuardError, TradeguardError
from tradeguard.events import (
    BalanceChanged,
    EventBase,
    OrderFilled,
    OrderUpdated,
    StreamConnected,
    StreamGapFilled,
    StreamGapLost,
)
from tradeguard.model import OrderStatus
from tradeguard.net.clock import Clock
from tradeguard.venues.binance.stream import StreamConfig
from tradeguard.venues.ccxt import balances
from tradeguard.venues.ccxt.reports import dec, order_report, trade_fill
from tradeguard.venues.held_events import HoldsDuringGapFill

if TYPE_CHECKING:
    from tradeguard.venues.ccxt.venue import CcxtVenue

OnEvent = Callable[[EventBase], Awaitable[None]]
OnGap = Callable[[int], Awaitable[Sequence[EventBase]]]
Sleep = Callable[[float], Awaitable[None]]

_SAID_BY_FILLS = {OrderStatus.FILLED, OrderStatus.PARTIALLY_FILLED}
# Kraken's watch_orders gives the order's userref as its client id, "0" for none (ccxt's
# parse_ws_order ignores cl_ord_id): no client order id, to be found by the order id instead
_NO_CLIENT_ID = frozenset({"", "0"})


class _Restart(Exception):
    """Leave this connection: `planned` (the watchdog's) reconnects at once the first time."""

    def __init__(self, reason: str, *, planned: bool = True) -> None:
        super().__init__(reason)
        self.reason = reason
        self.planned = planned


class CcxtUserStream(HoldsDuringGapFill):
    def __init__(
        self,
        venue: CcxtVenue,
        assets: Mapping[str, tuple[str, str]],
        *,
        profile: str,
        on_gap: OnGap | None = None,
        on_event: OnEvent | None = None,
        last_trade_ids: Mapping[str, int] | None = None,
        config: StreamConfig | None = None,
        clock: Clock | None = None,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.venue = venue
        self.assets = assets
        self.profile = profile
        self._on_gap = on_gap
        self._on_event = on_event
        self.last_trade_ids: dict[str, int] = dict(last_trade_ids or {})
        self.config = config or StreamConfig()
        self.clock = clock or venue.clock
        self._sleep = sleep
        self._rng = rng or random.Random()  # jitter, not cryptography
        self.ready = asyncio.Event()
        self.connections = 0
        self.restarts: deque[str] = deque(maxlen=100)  # why connections ended
        self.error: TradeguardError | None = None
        self._task: asyncio.Task[None] | None = None
        self._holding: list[EventBase] | None = None
        self._since_ms = 0  # the exchange's time of the last message (or of the start)
        self._gap_since: int | None = None
        self._last_heard = 0.0  # monotonic: the last order, trade or balance message
        self._read_balances = balances.reader(venue.name)
        self._balance_messages: list[dict[str, Any]] = []
        if self._read_balances is not None:
            _tap_balance_messages(venue.exchange, self._balance_messages)
        keep_alive_ms = int(self.config.ping_after_s * 1000)
        venue.exchange.streaming = {**venue.exchange.streaming, "keepAlive": keep_alive_ms}

    def start(self) -> None:
        if self._task is None:
            self._since_ms = self.venue.server_now_ms()
            self._task = asyncio.create_task(self._run(), name="tradeguard-ccxt-stream")

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self.ready.clear()

    async def wait_ready(self) -> None:
        """Until subscribed with no gap open; raises if the stream stopped (its `error`)."""
        while not self.ready.is_set():
            task = self._task
            if task is None or task.done():
                raise self.error or GuardError("the private stream is not running")
            waiter = asyncio.ensure_future(self.ready.wait())
            await asyncio.wait({waiter, task}, return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()

    # ── the loop ──────────────────────────────────────────────────────────────────────────
    async def _run(self) -> None:
        import ccxt

        cfg = self.config
        attempt = 0
        lost_reported = False
        while True:
            started, subscribed = self.clock.monotonic(), self.connections
            planned = False
            try:
                await self._connection()
            except _Restart as restart:
                planned = restart.planned
                self.restarts.append(restart.reason)
            except ccxt.AuthenticationError as exc:
                await self._refused(exc)
                return
            except (ccxt.BaseError, OSError, TimeoutError, TradeguardError) as exc:
                self.restarts.append(f"{type(exc).__name__}: {str(exc)[:120]}")
            finally:
                self.ready.clear()
            if self._gap_since is None:
                self._gap_since = self._since_ms
            if self.connections > subscribed:
                lost_reported = False
                # a quiet stream's refresh is routine, not a failed attempt: an idle account
                # sends nothing for hours, and that must never read as a lost stream
                if planned or self.clock.monotonic() - started >= cfg.stable_after_s:
                    attempt = 0
            attempt += 1
            if attempt > cfg.lost_after and not lost_reported:
                lost_reported = True
                reason = f"{attempt - 1} attempts failed, the last: {self.restarts[-1]}"
                await self._emit(
                    self._status(StreamGapLost, since_ms=self._gap_since, reason=reason)
                )
            if not (planned and attempt == 1):  # the watchdog's restart reconnects at once
                ceiling = min(cfg.backoff_cap_s, cfg.backoff_base_s * 2 ** (attempt - 1))
                await self._sleep(self._rng.uniform(0, ceiling))

    async def _refused(self, exc: BaseException) -> None:
        """The venue refused the key: stop, with an AuthError saying what to do."""
        self.error = AuthError(
            None, f"{self.venue.name} refused the private stream's login: {str(exc)[:200]}",
            None, hint="check the key, its permissions and its IP whitelist at the exchange",
        )  # fmt: skip
        gap = self._gap_since if self._gap_since is not None else self._since_ms
        reason = f"AuthError: the stream stopped ({self.error.msg})"
        await self._emit(self._status(StreamGapLost, since_ms=gap, reason=reason))

    async def _connection(self) -> None:
        ex = self.venue.exchange
        self._holding = []
        watches = [
            asyncio.create_task(self._watch(ex.watch_orders, self._orders)),
            asyncio.create_task(self._watch(ex.watch_my_trades, self._trades)),
        ]
        if self._read_balances is not None:
            watches.append(asyncio.create_task(self._watch_balances()))
        try:
            await self._subscribed(watches)
            self.connections += 1
            await self._emit(self._status(StreamConnected))
            since = self._gap_since if self._gap_since is not None else self._since_ms
            recovered = await self._on_gap(since) if self._on_gap is not None else ()
            for event in recovered:
                await self._emit(event)
            fills = sum(1 for e in recovered if type(e) is OrderFilled)
            orders = len({e.client_order_id for e in recovered if type(e) is OrderUpdated})
            await self._emit(
                self._status(StreamGapFilled, since_ms=since, fills=fills, orders=orders)
            )
            self._gap_since = None
            await self._release()
            self._last_heard = self.clock.monotonic()
            self.ready.set()
            watches.append(asyncio.create_task(self._watchdog()))
            done, _ = await asyncio.wait(watches, return_when=asyncio.FIRST_EXCEPTION)
            for task in done:
                task.result()
        finally:
            for task in watches:
                task.cancel()
            for task in watches:
                with contextlib.suppress(BaseException):
                    await task
            await _drop_clients(ex)

    async def _watchdog(self) -> None:
        """Until the subscription has said nothing for `quiet_after_s`: a deaf stream (the
        socket may well answer pings; ccxt's keepalive sees a dead one)."""
        cfg = self.config
        while True:
            await self._sleep(cfg.watch_every_s)
            if self.clock.monotonic() - self._last_heard >= cfg.quiet_after_s:
                raise _Restart(f"silent stream: nothing for {cfg.quiet_after_s:g} s")

    async def _subscribed(self, watches: list[asyncio.Task[None]]) -> None:
        """Until the private socket is open and a watch has subscribed on it. ccxt records the
        login itself as the subscription "authenticated" the moment it sends it, before the
        venue answers; a channel is subscribed only once the login was accepted, so only a
        channel's subscription says the key works (a refused key never gets one)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.config.connect_timeout_s
        ex = self.venue.exchange
        while True:
            for task in watches:
                if task.done():
                    task.result()
            clients = list(getattr(ex, "clients", {}).values())
            ready = [
                c
                for c in clients
                if c.connected.done() and any(k != "authenticated" for k in c.subscriptions)
            ]
            if ready:
                return
            if loop.time() > deadline:
                raise TimeoutError("the private stream did not subscribe in time")
            await asyncio.sleep(0.02)

    async def _watch(self, watch: Callable[[], Awaitable[list[Any]]], convert: Any) -> None:
        while True:
            items = await watch()
            self._heard()
            at = self.clock.wall_ms()
            events: list[EventBase] = []
            for item in items:
                events += convert(item, at)
            await self._live(events)

    async def _watch_balances(self) -> None:
        read = self._read_balances
        assert read is not None
        while True:
            await self.venue.exchange.watch_balance()
            self._heard()
            await asyncio.sleep(0)  # let the order and trade watchers take theirs first
            messages = self._balance_messages[:]
            self._balance_messages.clear()
            at = self.clock.wall_ms()
            await self._live(
                [
                    BalanceChanged(
                        at_ms=at, profile=self.profile, exchange_ms=exchange_ms,
                        balances=reported, source="stream",
                    )
                    for message in messages
                    for exchange_ms, reported in read(message)
                ]
            )  # fmt: skip

    def _heard(self) -> None:
        self._last_heard = self.clock.monotonic()
        self._since_ms = self.venue.server_now_ms()

    # ── conversion ───────────────────────────────────────────────────────────────────────
    def _trades(self, trade: dict[str, Any], at_ms: int) -> list[EventBase]:
        symbols = self.venue._symbols
        assert symbols is not None
        fill = trade_fill(trade, symbols, self.venue.ids)
        assets = self.assets.get(fill.symbol)
        if assets is None:
            return []
        info = trade.get("info") or {}
        cum = info.get("accFillSz")
        coid = fill.client_order_id or self.venue.client_id_of(fill.order_id)
        return [
            OrderFilled(
                at_ms=at_ms, profile=self.profile, exchange_ms=fill.time_ms or None,
                client_order_id=coid, order_id=fill.order_id, symbol=fill.symbol,
                base_asset=assets[0], quote_asset=assets[1], side=fill.side,
                trade_id=fill.trade_id, price=fill.price, qty=fill.qty,
                commission=fill.commission, commission_asset=fill.commission_asset,
                is_maker=fill.is_maker, cum_qty=dec(cum) if cum else None,
            )
        ]  # fmt: skip

    def _orders(self, order: dict[str, Any], at_ms: int) -> list[EventBase]:
        symbols = self.venue._symbols
        assert symbols is not None
        report = order_report(order, symbols, self.venue.ids)
        coid: str | None = report.client_order_id
        if coid in _NO_CLIENT_ID:
            coid = self.venue.client_id_of(report.order_id)
        if not coid or report.status in _SAID_BY_FILLS or report.symbol not in self.assets:
            return []
        return [
            OrderUpdated(
                at_ms=at_ms, profile=self.profile, exchange_ms=report.update_time_ms,
                client_order_id=coid, symbol=report.symbol, status=report.status,
                source="stream", order_id=report.order_id,
                executed_qty=report.executed_qty, quote_qty=report.cummulative_quote_qty,
            )
        ]  # fmt: skip

    # ── delivery ─────────────────────────────────────────────────────────────────────────
    async def _emit(self, event: EventBase) -> None:
        if type(event) is OrderFilled and event.trade_id > self.last_trade_ids.get(
            event.symbol, -1
        ):
            self.last_trade_ids[event.symbol] = event.trade_id
        if self._on_event is not None:
            await self._on_event(event)

    def _status(self, kind: Any, **fields: Any) -> EventBase:
        at = self.clock.wall_ms()
        event: EventBase = kind(at_ms=at, profile=self.profile, stream="user", **fields)
        return event


def _tap_balance_messages(exchange: Any, into: list[dict[str, Any]]) -> None:
    """Keep each raw balance message ccxt handles (its merged result drops the venue's time
    and which assets the message reported). ccxt dispatches through `self.handle_balance`,
    looked up per message, so the instance's attribute is the one called."""
    handle = exchange.handle_balance

    def tapped(client: Any, message: Any) -> Any:
        if isinstance(message, dict):
            into.append(message)
        return handle(client, message)

    exchange.handle_balance = tapped


async def _drop_clients(exchange: Any) -> None:
    """Close the private sockets so that the next watch connects afresh."""
    for client in list(getattr(exchange, "clients", {}).values()):
        with contextlib.suppress(Exception):
            await client.close()
    with contextlib.suppress(Exception):
        exchange.clients.clear()
