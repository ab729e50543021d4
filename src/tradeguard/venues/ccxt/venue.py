"""`CcxtVenue`: Bybit, OKX or Kraken spot through ccxt, as a `venues.protocol.Venue`.

REST goes through the exchange's ccxt.pro class (a subclass of ccxt.async_support's, so one
instance serves REST and the private stream and keeps one nonce: Kraken refuses a nonce that
goes backwards), with ccxt's own throttle off: tradeguard limits itself (`wire.Wire`).

Choices the seam leaves to a venue:

- `submit` sends the order once (never retried: a timeout after sending is OutcomeUnknown).
  These venues answer an order with its ids only, so the reply is returned as NEW with the
  exchange's order id, and nothing is read back: the stream (or `wait_for`'s trade query, or
  reconciliation) brings the real status and the fills, and the order table takes a NEW
  arriving after a later status as the stale report it is (orders.TRANSITIONS). A read-back
  would cost a second request per order, and could contradict the stream (Kraken's closed
  list says CANCELED for an IOC its stream called EXPIRED). Only a venue with no private
  stream opened (a session with `stream=False`) reads the order back once by its client
  order id, since nothing else would tell it (if that read fails, the NEW is returned).
- `cancel_order` cancels, then reads the order back (Kraken's cancel answers a count only).
  Kraken's cancel names the order by its cl_ord_id; elsewhere the order's venue id is used,
  looked up by the client order id when this process has not seen it.
  A cancel of an order no longer open raises `OrderRejected` with code -2011, the code the
  session's cancel race handling knows.
- Ids are integers (`ids.IdMap`): Kraken's txids are mapped, and the journal then holds the
  mapped id; the way back is kept for the ids this process has seen.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from decimal import Decimal
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from tradeguard.errors import (
    ConfigError,
    GuardError,
    OrderNotFound,
    OrderRejected,
    OutcomeUnknown,
    TradeguardError,
)
from tradeguard.keys.credentials import ApiCredentials
from tradeguard.model import (
    Balance,
    Fill,
    OrderIntent,
    OrderReport,
    OrderStatus,
    OrderType,
    Side,
)
from tradeguard.net.clock import SYSTEM, Clock
from tradeguard.net.clocksync import Estimate, Sample, SkewPolicy, estimate
from tradeguard.net.keycounter import KeyCounters, key_counters
from tradeguard.net.ratelimit import RateLedger
from tradeguard.symbol_rules import SymbolRules
from tradeguard.venues.ccxt.adapters import Adapter, fee_asset, key_fields
from tradeguard.venues.ccxt.ids import IdMap
from tradeguard.venues.ccxt.reports import dec, order_report, trade_fill
from tradeguard.venues.ccxt.symbols import SymbolMap
from tradeguard.venues.ccxt.wire import Wire, WireConfig
from tradeguard.venues.protocol import ICEBERG, STOP_ORDERS, ReplyNote

UNKNOWN_ORDER = -2011  # the seam's "no longer open" for a cancel (session.guard)
REFRESH_EVERY_S = 3600.0
CLOCK_SAMPLES = 3
MAX_TRADE_PAGES = 200  # a bound on one read's pages (20,000 trades at Bybit's 100)

_MARKET_TYPES = {OrderType.MARKET, OrderType.STOP_LOSS, OrderType.TAKE_PROFIT}


class CcxtVenue:
    """One ccxt exchange account (REST: ccxt.async_support through ccxt.pro's class; the
    private stream: tradeguard's own, stream.py) as a Venue."""

    def __init__(
        self,
        adapter: Adapter,
        exchange: Any,
        base_url: str,
        credentials: ApiCredentials | None,
        *,
        clock: Clock = SYSTEM,
        config: WireConfig | None = None,
        skew: SkewPolicy | None = None,
    ) -> None:
        self.adapter = adapter
        self.name = adapter.venue
        self.base_url = base_url
        self.credentials = credentials
        self.clock = clock
        self.features = adapter.features
        self.exchange = exchange
        exchange.number = str  # amounts as the venue's decimal strings, never float
        self.ledger = RateLedger(rules=adapter.rate_rules)
        self.ids = IdMap(numeric=adapter.numeric_ids)
        self.skew = skew or SkewPolicy()
        self.on_clock: Any = None
        self._wire = Wire(
            exchange, clock, self.ledger, self.server_now_ms,
            limit_headers=adapter.limit_headers, limit_reader=adapter.rate_limit,
            config=config or WireConfig(),
            counters=_key_counters(adapter, base_url, credentials),
            call_costs=adapter.call_costs, nonce_ordered=adapter.nonce_ordered,
            public_paths=adapter.public_paths(),
        )  # fmt: skip
        self._symbols: SymbolMap | None = None
        self._estimate: Estimate | None = None
        self._client_ids: dict[int, str] = {}  # order id -> client order id, as seen
        self._order_ids: dict[str, int] = {}  # and back
        self._streaming = False  # a private stream was opened: it tells what orders become
        self._fee_assets: dict[str, str] = {}  # venue order id -> its fee asset, as seen
        self._algo_ids: set[str] = set()  # venue ids of the algo orders placed (OKX's stops)
        self._algo_by_client: dict[str, str] = {}  # their client order id -> venue id

    def use_credentials(self, credentials: ApiCredentials) -> None:
        """Sign with `credentials` from the next request on (a rotated key, audited already):
        ccxt's exchange reads its key fields per request, and the call counters follow the key
        (Kraken's are the key's own, not the account's). The private stream logs in with it at
        its next connection (`CcxtUserStream.renew` asks for one at once)."""
        self.credentials = credentials
        for name, value in key_fields(credentials).items():
            setattr(self.exchange, name, value)
        self._wire.counters = _key_counters(self.adapter, self.base_url, credentials)

    # the session sets these (session.wire.attach); the wire tells them
    @property
    def on_reply(self) -> Any:
        return self._wire.on_reply

    @on_reply.setter
    def on_reply(self, hook: Any) -> None:
        self._wire.on_reply = hook

    @property
    def on_limit(self) -> Any:
        return self._wire.on_limit

    @on_limit.setter
    def on_limit(self, hook: Any) -> None:
        self._wire.on_limit = hook

    @property
    def requests_sent(self) -> int:
        return self._wire.requests_sent

    def counter_peaks(self) -> list[tuple[str, Decimal, int]]:
        counters = self._wire.counters
        if counters is None:
            return []
        return [(rule.describe(), peak, rule.limit) for rule, peak in counters.peaks()]

    async def close(self) -> None:
        await self._wire.close()
        with contextlib.suppress(Exception):
            await self.exchange.close()

    # ── time ────────────────────────────────────────────────────────────────────────────
    async def sync_clock(self) -> Estimate:
        samples = []
        for _ in range(CLOCK_SAMPLES):
            sent_mono, sent_wall = self.clock.monotonic(), self.clock.wall_ms()
            server = await self._wire.call("fetch_time", self.exchange.fetch_time)
            received_mono, received_wall = self.clock.monotonic(), self.clock.wall_ms()
            samples.append(Sample(sent_mono, received_mono, sent_wall, received_wall, int(server),
                                  server_span_ms=self.adapter.server_time_span_ms))  # fmt: skip
        est = estimate(samples)
        self._estimate = est
        if self.on_clock is not None:
            self.on_clock(est)
        self.skew.check(est)
        return est

    def server_now_ms(self) -> int:
        if self._estimate is None:
            return self.clock.wall_ms()
        return self._estimate.server_ms(self.clock.monotonic())

    @property
    def recv_window_ms(self) -> int:
        return self.adapter.recv_window_ms

    # ── listings ────────────────────────────────────────────────────────────────────────
    async def symbols(self, *, reload: bool = False) -> SymbolMap:
        if self._symbols is None or reload:
            markets = await self._wire.call(
                "load_markets", lambda: self.exchange.load_markets(reload)
            )
            self._symbols = SymbolMap(markets)
        return self._symbols

    async def symbol_rules(self, wanted: Sequence[str], profile: str) -> dict[str, SymbolRules]:
        symbols = await self.symbols(reload=self._symbols is not None)
        missing = [s for s in wanted if s not in symbols.unified]
        if missing:
            from tradeguard.venues.binance.exchange_info import _listed_instead

            raise ConfigError(
                f"profile {profile}: {', '.join(missing)} not traded on {self.name}",
                hint=_listed_instead(missing, symbols.listed()),
            )
        return {s: self._rules(s, self.exchange.markets[symbols.unified[s]]) for s in wanted}

    def _rules(self, name: str, market: dict[str, Any]) -> SymbolRules:
        precision, limits = market.get("precision", {}), market.get("limits", {})
        amount, cost = limits.get("amount") or {}, limits.get("cost") or {}
        price_limits = limits.get("price") or {}
        tick, step = dec(precision.get("price")), dec(precision.get("amount"))
        return SymbolRules(
            symbol=name,
            base_asset=market["base"],
            quote_asset=market["quote"],
            status="TRADING" if market.get("active", True) is not False else "BREAK",
            base_precision=_places(step),
            quote_precision=_places(tick),
            order_types=self._order_types(),
            iceberg_allowed=ICEBERG in self.features,
            min_price=dec(price_limits.get("min")),
            max_price=dec(price_limits.get("max")),
            tick_size=tick,
            min_qty=dec(amount.get("min")),
            max_qty=dec(amount.get("max")),
            step_size=step,
            min_notional=dec(cost.get("min")),
        )

    def _order_types(self) -> frozenset[str]:
        kinds = {OrderType.LIMIT, OrderType.MARKET, OrderType.LIMIT_MAKER}
        if STOP_ORDERS in self.features:
            kinds |= {OrderType.STOP_LOSS, OrderType.STOP_LOSS_LIMIT}
            kinds |= {OrderType.TAKE_PROFIT, OrderType.TAKE_PROFIT_LIMIT}
        return frozenset(k.value for k in kinds)

    async def keep_rules_fresh(self, rules: MutableMapping[str, SymbolRules], profile: str) -> None:
        while True:
            await asyncio.sleep(REFRESH_EVERY_S)
            with contextlib.suppress(TradeguardError):
                rules.update(await self.symbol_rules(list(rules), profile))

    async def last_price(self, symbol: str) -> Decimal:
        symbols = await self.symbols()
        unified = symbols.to_unified(symbol)
        url = self.adapter.ticker_url(self.exchange, symbols.market_ids[symbol])
        if url is None:
            ticker = await self._wire.call(
                "fetch_ticker", lambda: self.exchange.fetch_ticker(unified)
            )
            last = ticker.get("last")
        else:  # the venue's own ticker, its last price only (placing.py)
            try:
                last = self.adapter.last_of(
                    await self._wire.call("fetch_ticker", partial(self._wire.get, url))
                )
            except (KeyError, IndexError, TypeError):
                last = None
        price = dec(last)
        if price <= 0:
            raise GuardError(f"{self.name} gave no last price for {symbol}")
        return price

    # ── orders ──────────────────────────────────────────────────────────────────────────
    async def submit(self, intent: OrderIntent) -> OrderReport:
        symbols = await self.symbols()
        unified = symbols.to_unified(intent.symbol.binance)
        coid = intent.client_order_id
        plain = self.adapter.plain_order(intent, symbols.market_ids[intent.symbol.binance])
        if plain is not None:  # the venue's own request (placing.py)
            reply = await self._wire.call(
                "create_order", self._plain_sender(*plain), placing=True, client_order_id=coid
            )
            try:
                venue_id = self.adapter.placed_id(reply)
            except (KeyError, IndexError, TypeError):
                raise OutcomeUnknown(
                    f"create_order: {self.name} answered without an order id",
                    hint="the order may have been placed; resolve it by its client order id",
                ) from None
            return await self._placed(intent, venue_id)
        params = self.adapter.order_params(intent)
        kind = self.adapter.order_type(intent)
        side = "sell" if intent.side is Side.SELL else "buy"
        price = None if intent.type in _MARKET_TYPES else intent.price
        if intent.qty is None and intent.quote_qty is not None:
            if intent.side is not Side.BUY:
                raise ConfigError(f"{self.name}: an order by quote amount is a market buy here")

            async def place() -> Any:
                return await self.exchange.create_market_buy_order_with_cost(
                    unified, str(intent.quote_qty), params
                )
        else:

            async def place() -> Any:
                return await self.exchange.create_order(
                    unified, kind, side, _s(intent.qty), _s(price), params
                )

        placed = await self._wire.call("create_order", place, placing=True, client_order_id=coid)
        if self.adapter.is_algo(intent) and placed.get("id"):
            self._algo_ids.add(str(placed["id"]))
            self._algo_by_client[coid] = str(placed["id"])
        if placed.get("status") is not None:  # a reply that says the order's state
            return self._report(placed, coid)
        return await self._placed(intent, placed["id"])

    def _plain_sender(self, method: str, request: Any) -> Callable[[], Awaitable[Any]]:
        """A plain order's request: signed by the adapter (each try afresh, with its own
        timestamp) and sent through the wire's own HTTP client, or through ccxt's implicit
        method where ccxt signs it."""

        async def send() -> Any:
            signed = self.adapter.signed(self.exchange, request)
            if signed is None:
                return await getattr(self.exchange, method)(request)
            return await self._wire.post(*signed)

        return send

    async def _placed(self, intent: OrderIntent, venue_id: object) -> OrderReport:
        """The report of an order the venue took, answering with its id only."""
        coid = intent.client_order_id
        order_id = self.ids.to_int(venue_id)
        self._remember(order_id, coid)
        if not self._streaming:  # nothing else would say what became of it
            with contextlib.suppress(TradeguardError):
                return await self.get_order(intent.symbol.binance, client_order_id=coid)
        return OrderReport(
            symbol=intent.symbol.binance, order_id=order_id, client_order_id=coid,
            side=intent.side, type=intent.type, status=OrderStatus.NEW,
            price=intent.price or Decimal(0), orig_qty=intent.qty or Decimal(0),
            executed_qty=Decimal(0), cummulative_quote_qty=Decimal(0),
            time_in_force=intent.time_in_force, stop_price=intent.stop_price,
        )  # fmt: skip

    async def get_order(
        self, symbol: str, *, order_id: int | None = None, client_order_id: str | None = None
    ) -> OrderReport:
        symbols = await self.symbols()
        unified = symbols.to_unified(symbol)
        if client_order_id is not None:
            raw = await self._by_client_id(unified, client_order_id)
        elif order_id is not None:
            raw = await self._by_order_id(unified, order_id)
        else:
            raise ConfigError("get_order needs an order id or a client order id")
        return self._report(raw, client_order_id)

    def _report(self, raw: dict[str, Any], client_order_id: str | None = None) -> OrderReport:
        symbols = self._symbols
        assert symbols is not None
        report = order_report(raw, symbols, self.ids, client_order_id=client_order_id)
        self._note_fee_asset(raw)
        if report.client_order_id:
            self._remember(report.order_id, report.client_order_id)
        elif report.order_id in self._client_ids:
            report = _with_client_id(report, self._client_ids[report.order_id])
        return report

    def affordable_queries(self) -> int | None:
        """How many queries by client order id the venue's call counter lets go now without
        waiting (None: no counter limits them). The resolver keeps them for when a miss
        can conclude."""
        return self._wire.affordable(self.adapter.client_query_paths)

    def resolving(self, queries: int) -> contextlib.AbstractContextManager[None]:
        """While inside: room for `queries` queries by client order id is kept on the key's
        call counter for this task's calls (resolving an UNKNOWN order), which the stream's
        refreshes and other reads must leave alone."""
        counters, costs = self._wire.counters, self._wire.call_costs
        if counters is None or costs is None:
            return contextlib.nullcontext()
        paths = self.adapter.client_query_paths
        per_query = [sum(n) for n in zip(*(costs("POST", p) for p in paths), strict=True)]
        return counters.hold([n * queries for n in per_query])

    def client_id_of(self, order_id: int) -> str | None:
        return self._client_ids.get(order_id)

    def _remember(self, order_id: int, coid: str) -> None:
        self._client_ids[order_id] = coid
        self._order_ids[coid] = order_id

    async def _by_client_id(self, unified: str, coid: str) -> dict[str, Any]:
        algo_id = self._algo_by_client.get(coid)
        if algo_id is not None:  # placed here as an algo order: asked for where it is
            ask = partial(self.adapter.by_order_id, self.exchange, unified, algo_id, True)
            return dict(await self._wire.call("get_order", ask))
        known = self._order_ids.get(coid)
        if known is not None and self.adapter.client_query_paths and self.ids.to_venue(known):
            # where a lookup by client id is counted (Kraken: two list calls on the key's
            # counter), an order whose id was seen is looked up by it (one call)
            return await self._by_order_id(unified, known)
        found = await self._wire.call(
            "get_order", lambda: self.adapter.by_client_id(self.exchange, unified, coid)
        )
        if found is None:
            raise OrderNotFound(None, f"{self.name} holds no order {coid}", None)
        return found

    async def _by_order_id(self, unified: str, order_id: int) -> dict[str, Any]:
        venue_id = self.ids.to_venue(order_id)
        if venue_id is None:  # a mapped id from an earlier process: search the lists
            for listing in ("fetch_open_orders", "fetch_closed_orders"):
                call = getattr(self.exchange, listing)
                found: list[Any] = await self._wire.call(listing, partial(call, unified))
                for order in found:
                    if self.ids.to_int(order["id"]) == order_id:
                        return dict(order)
            raise OrderNotFound(None, f"{self.name} holds no order {order_id}", None)
        algo = venue_id in self._algo_ids
        return await self._wire.call(
            "fetch_order",
            lambda: self.adapter.by_order_id(self.exchange, unified, venue_id, algo),
        )

    async def cancel_order(
        self, symbol: str, *, order_id: int | None = None, client_order_id: str | None = None
    ) -> OrderReport:
        symbols = await self.symbols()
        unified = symbols.to_unified(symbol)
        if client_order_id is None and order_id is None:
            raise ConfigError("cancel_order needs an order id or a client order id")
        try:
            await self._wire.call(
                "cancel_order", await self._canceller(unified, order_id, client_order_id)
            )
        except (OrderNotFound, OrderRejected) as exc:
            if exc.local:
                raise
            raise OrderRejected(UNKNOWN_ORDER, f"not open: {exc.msg}", None) from exc
        if client_order_id is not None:
            return self._report(await self._by_client_id(unified, client_order_id))
        return await self.get_order(symbol, order_id=order_id)

    async def _canceller(
        self, unified: str, order_id: int | None, client_order_id: str | None
    ) -> Callable[[], Awaitable[Any]]:
        """The cancel's request: by the client order id itself where the venue takes one
        (Kraken's cl_ord_id: no lookup of the order's id first), else by the venue's id, found
        by the client order id when not given."""
        by_client = (
            None
            if client_order_id is None
            else self.adapter.cancel_request(self.adapter.client_id(client_order_id))
        )
        if by_client is not None and client_order_id not in self._algo_by_client:
            method, params = by_client
            return partial(getattr(self.exchange, method), params)
        venue_id = None if order_id is None else self.ids.to_venue(order_id)
        if venue_id is None:
            assert client_order_id is not None
            current = await self._by_client_id(unified, client_order_id)
            venue_id = str(current["id"])
        algo = venue_id in self._algo_ids
        return partial(self.adapter.cancel, self.exchange, unified, venue_id, algo)

    async def place_bracket(
        self, legs: Sequence[OrderIntent], list_client_order_id: str
    ) -> list[OrderReport]:
        raise GuardError(
            f"not sent: brackets (one-cancels-the-other) are not offered on {self.name}",
            hint="place the take-profit and the stop apart",
        )

    async def open_orders(self, symbol: str | None = None) -> list[OrderReport]:
        symbols = await self.symbols()
        unified = symbols.to_unified(symbol) if symbol else None
        found: list[Any] = []
        for params in self.adapter.open_listings():
            call = partial(self.exchange.fetch_open_orders, unified, None, None, dict(params))
            found += await self._wire.call("fetch_open_orders", call)
        # an order two lists hold (OKX's icebergs: the algo order and its resting part) once
        reports = {r.order_id: r for r in (self._report(o) for o in found)}
        return list(reports.values())

    async def orders_by_id(self, symbol: str, order_ids: set[int]) -> dict[int, OrderReport]:
        found: dict[int, OrderReport] = {}
        for order_id in order_ids:
            with contextlib.suppress(OrderNotFound):
                found[order_id] = await self.get_order(symbol, order_id=order_id)
        return found

    # ── fills and money ─────────────────────────────────────────────────────────────────
    async def my_trades(self, symbol: str, *, order_id: int | None = None) -> list[Fill]:
        fills = await self._trades(symbol)
        if order_id is not None:
            fills = [f for f in fills if f.order_id == order_id]
        return fills

    async def _trades(
        self, symbol: str, after: int | None = None, *, pages: int = MAX_TRADE_PAGES
    ) -> list[Fill]:
        """The symbol's trades, newest page first, going back page by page until the venue
        has no more, or (where trade ids are ordered) past the trade `after`, or `pages`."""
        symbols = await self.symbols()
        unified = symbols.to_unified(symbol)
        limit = self.adapter.trades_page
        params: dict[str, Any] | None = {}
        seen: dict[int, Fill] = {}
        for _ in range(pages):
            if params is None:
                break
            asked = dict(params)
            page: list[Any] = await self._wire.call(
                "fetch_my_trades",
                partial(self.exchange.fetch_my_trades, unified, None, limit, dict(asked)),
            )
            page = await self._with_fee_assets(page)
            fills = [trade_fill(t, symbols, self.ids) for t in page]
            fresh = [f for f in fills if f.trade_id not in seen]
            seen.update((f.trade_id, f) for f in fresh)
            if not fresh:
                break  # a page of repeats: the venue has no more
            ordered = self.adapter.ordered_trade_ids
            if after is not None and ordered and min(f.trade_id for f in fills) <= after:
                break
            params = self.adapter.next_trades_page(page, asked)
        out = [_with_fill_client_id(f, self._client_ids) for f in seen.values()]
        return sorted(out, key=lambda f: (f.time_ms, f.trade_id))

    def _note_fee_asset(self, order: dict[str, Any]) -> None:
        asset = fee_asset(order) if self.adapter.fee_asset_from_order else None
        if asset is not None and order.get("id"):
            self._fee_assets[str(order["id"])] = asset

    async def _with_fee_assets(self, page: list[Any]) -> list[Any]:
        """Where the trade history names no fee asset (Kraken labels every trade fee with the
        quote), each trade's fee in the asset its order says, asked once per order."""
        if not self.adapter.fee_asset_from_order:
            return page
        known = self._fee_assets
        missing = sorted({str(t["order"]) for t in page if t.get("order")} - known.keys())
        if missing:
            ask = partial(self.adapter.order_fee_assets, self.exchange, missing)
            known.update(await self._wire.call("fetch_orders", ask))
        return [_fee_in(t, known.get(str(t.get("order")))) for t in page]

    async def trades_after(self, symbol: str, last_trade_id: int | None) -> list[Fill]:
        """The symbol's trades after `last_trade_id`, every page of them (where trade ids are
        not ordered, every trade the venue keeps); the newest page when None. Repeats are
        dropped by the ledger."""
        pages = 1 if last_trade_id is None else MAX_TRADE_PAGES
        fills = await self._trades(symbol, last_trade_id, pages=pages)
        if last_trade_id is None or not self.adapter.ordered_trade_ids:
            return fills
        return [f for f in fills if f.trade_id > last_trade_id]

    async def balances(self) -> dict[str, Balance]:
        raw = await self._wire.call("fetch_balance", self.exchange.fetch_balance)
        out: dict[str, Balance] = {}
        for asset, free in (raw.get("free") or {}).items():
            total = dec((raw.get("total") or {}).get(asset))
            held = dec((raw.get("used") or {}).get(asset))
            free_d = dec(free) if free is not None else total - held
            out[asset] = Balance(asset, free_d, held if held else max(total - free_d, Decimal(0)))
        return out

    # ── the private stream ──────────────────────────────────────────────────────────────
    def user_stream(self, assets: Any, **options: Any) -> Any:
        from tradeguard.venues.ccxt.stream import CcxtUserStream

        self._streaming = True
        return CcxtUserStream(self, assets, **options)


def _s(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _places(step: Decimal) -> int:
    if step <= 0:
        return 8
    exponent = step.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 8


def _with_client_id(report: OrderReport, coid: str) -> OrderReport:
    import msgspec

    return msgspec.structs.replace(report, client_order_id=coid)


def _fee_in(trade: dict[str, Any], asset: str | None) -> dict[str, Any]:
    fee = trade.get("fee")
    if asset is None or not fee:
        return trade
    return {**trade, "fee": {**fee, "currency": asset}}


def _with_fill_client_id(fill: Fill, known: dict[int, str]) -> Fill:
    if fill.client_order_id is not None or fill.order_id not in known:
        return fill
    import msgspec

    return msgspec.structs.replace(fill, client_order_id=known[fill.order_id])


__all__ = ["CcxtVenue", "ReplyNote"]


def _key_counters(
    adapter: Adapter, base_url: str, credentials: ApiCredentials | None
) -> KeyCounters | None:
    """The key's call counters (Kraken's), shared with every session and process on this
    host that uses the key; None where the venue keeps none, or without a key."""
    if not adapter.call_counters or credentials is None:
        return None
    host = urlsplit(base_url).netloc or base_url
    return key_counters(adapter.venue, host, credentials.api_key, adapter.call_counters)
