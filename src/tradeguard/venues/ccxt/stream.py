"""The private stream through ccxt.pro: `watch_orders` and `watch_my_trades` as the journal
events the Binance stream yields (`OrderFilled` per fill, with its trade id; `OrderUpdated`
for what is not a fill: new, canceled, expired, rejected), kept alive across drops.

Fills come from the trades channel only; an order update that only says "filled" is not
turned into an event (the fill carries it, as Binance's TRADE report does), so a fill is never
counted twice. Balances are not streamed here: reconciliation reads them over REST.

After every (re)subscription `on_gap(since_ms)` runs and what it returns is delivered before
any live event received meanwhile (those wait), then `StreamGapFilled`; `ready` is set only
then. A drop (ccxt raises NetworkError from a watch) ends the connection: reconnect with
exponential backoff and full jitter, `on_gap` again. A refused key stops the stream with
`StreamGapLost`.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from tradeguard.events import (
    EventBase,
    OrderFilled,
    OrderUpdated,
    StreamConnected,
    StreamGapFilled,
    StreamGapLost,
)
from tradeguard.model import OrderStatus
from tradeguard.venues.ccxt.reports import dec, order_report, trade_fill

if TYPE_CHECKING:
    from tradeguard.venues.ccxt.venue import CcxtVenue

OnEvent = Callable[[EventBase], Awaitable[None]]
OnGap = Callable[[int], Awaitable[Sequence[EventBase]]]

_SAID_BY_FILLS = {OrderStatus.FILLED, OrderStatus.PARTIALLY_FILLED}
# Kraken's watch_orders gives the order's userref as its client id, "0" for none (ccxt's
# parse_ws_order ignores cl_ord_id): no client order id, to be found by the order id instead
_NO_CLIENT_ID = frozenset({"", "0"})


class CcxtUserStream:
    def __init__(
        self,
        venue: CcxtVenue,
        assets: Mapping[str, tuple[str, str]],
        *,
        profile: str,
        on_gap: OnGap | None = None,
        on_event: OnEvent | None = None,
        last_trade_ids: Mapping[str, int] | None = None,
        backoff_base_s: float = 0.5,
        backoff_cap_s: float = 30.0,
        subscribe_timeout_s: float = 10.0,
        rng: random.Random | None = None,
    ) -> None:
        self.venue = venue
        self.assets = assets
        self.profile = profile
        self._on_gap = on_gap
        self._on_event = on_event
        self.last_trade_ids: dict[str, int] = dict(last_trade_ids or {})
        self.backoff_base_s = backoff_base_s
        self.backoff_cap_s = backoff_cap_s
        self.subscribe_timeout_s = subscribe_timeout_s
        self._rng = rng or random.Random()  # jitter, not cryptography
        self.ready = asyncio.Event()
        self.connections = 0
        self.restarts: list[str] = []
        self.error: BaseException | None = None
        self._task: asyncio.Task[None] | None = None
        self._holding: list[EventBase] | None = None
        self._since_ms = 0
        self._gap_since: int | None = None

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

    # ── the loop ──────────────────────────────────────────────────────────────────────────
    async def _run(self) -> None:
        import ccxt

        attempt = 0
        while True:
            subscribed = self.connections
            try:
                await self._connection()
            except ccxt.AuthenticationError as exc:
                self.error = exc
                gap = self._gap_since or self._since_ms
                reason = f"{type(exc).__name__}: the stream stopped"
                await self._emit(self._status(StreamGapLost, since_ms=gap, reason=reason))
                return
            except (ccxt.BaseError, OSError, TimeoutError) as exc:
                self.restarts.append(f"{type(exc).__name__}: {str(exc)[:120]}")
            finally:
                self.ready.clear()
            if self._gap_since is None:
                self._gap_since = self.venue.server_now_ms()
            attempt = 1 if self.connections > subscribed else attempt + 1
            ceiling = min(self.backoff_cap_s, self.backoff_base_s * 2 ** (attempt - 1))
            await asyncio.sleep(self._rng.uniform(0, ceiling))

    async def _connection(self) -> None:
        ex = self.venue.exchange
        self._holding = []
        watches = [
            asyncio.create_task(self._watch(ex.watch_orders, self._orders)),
            asyncio.create_task(self._watch(ex.watch_my_trades, self._trades)),
        ]
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
            self.ready.set()
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

    async def _subscribed(self, watches: list[asyncio.Task[None]]) -> None:
        """Until the private socket is open and both watches have subscribed on it (ccxt
        records a subscription once it sent it, after authenticating)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.subscribe_timeout_s
        ex = self.venue.exchange
        while True:
            for task in watches:
                if task.done():
                    task.result()
            clients = list(getattr(ex, "clients", {}).values())
            ready = [c for c in clients if c.connected.done() and c.subscriptions]
            if ready:
                return
            if loop.time() > deadline:
                raise TimeoutError("the private stream did not subscribe in time")
            await asyncio.sleep(0.02)

    async def _watch(self, watch: Callable[[], Awaitable[list[Any]]], convert: Any) -> None:
        while True:
            items = await watch()
            at = self.venue.clock.wall_ms()
            events: list[EventBase] = []
            for item in items:
                events += convert(item, at)
            await self._live(events)

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

    async def _live(self, events: list[EventBase]) -> None:
        if self._holding is not None:
            self._holding.extend(events)
            return
        for event in events:
            await self._emit(event)

    async def _release(self) -> None:
        while self._holding:
            held, self._holding = self._holding, []
            for event in held:
                await self._emit(event)
        self._holding = None

    def _status(self, kind: Any, **fields: Any) -> EventBase:
        at = self.venue.clock.wall_ms()
        event: EventBase = kind(at_ms=at, profile=self.profile, stream="user", **fields)
        return event


async def _drop_clients(exchange: Any) -> None:
    """Close the private sockets so that the next watch connects afresh."""
    for client in list(getattr(exchange, "clients", {}).values()):
        with contextlib.suppress(Exception):
            await client.close()
    with contextlib.suppress(Exception):
        exchange.clients.clear()
