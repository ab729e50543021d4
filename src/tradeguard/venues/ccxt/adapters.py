"""What differs between Bybit, OKX and Kraken under ccxt, one small adapter each.

Everything else (symbols, ids, errors, reports, the stream) is generic. An adapter says how
ccxt is pointed at a base URL (the wire facts: shared/reference/venues-ccxt-wire.md 1.1, 2.1,
3.1), which order shapes the venue offers (`features`, honestly: only what is tested here),
how an order is looked up by client order id, and what the venue's published limits are.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from tradeguard.errors import ConfigError, GuardError
from tradeguard.keys.credentials import ApiCredentials
from tradeguard.model import OrderIntent, OrderType, TimeInForce
from tradeguard.net.callcounter import CounterRule
from tradeguard.net.ratelimit import LimitKind, RateRule
from tradeguard.venues.ccxt import placing
from tradeguard.venues.ccxt.ids import alphanumeric_client_id
from tradeguard.venues.protocol import FILL_OR_KILL, ICEBERG, STOP_ORDERS, TRAILING

Raw = dict[str, Any]
RATE_PAUSE_S = 1.0
BYBIT_IP_BAN_S = 600.0  # HTTP 403: "at least 10 minutes" (exchange-wire.md, venues 1.8)
OKX_WINDOW_S = 2.0
KRAKEN_DECAY_S = 6.0  # a counter falling 0.33 a second frees a TradesHistory's 2 in 6 s
KRAKEN_LOCKOUT_S = 900.0  # EGeneral:Temporary lockout; Kraken says no length: 15 minutes
KRAKEN_QUERY_MAX = 50  # txids one QueryOrders call takes
# Kraken's Starter tier (exchange-wire.md 7): the REST counter per key, 15 falling 0.33 a
# second, +2 for the history calls; orders count on the matching engine's limiter instead,
# 60 falling 1 a second (its cancel penalties, up to 8 for a young order, are not counted)
KRAKEN_CALL_COUNTER = CounterRule(15, Decimal("0.33"))
KRAKEN_ORDER_COUNTER = CounterRule(60, Decimal(1))
KRAKEN_HISTORY_CALLS = {"TradesHistory": 2, "Ledgers": 2, "QueryLedgers": 2, "QueryTrades": 2}
KRAKEN_ORDER_CALLS = frozenset({"AddOrder", "CancelOrder", "EditOrder", "AmendOrder"})
TAKE_PROFIT_KINDS = frozenset({OrderType.TAKE_PROFIT, OrderType.TAKE_PROFIT_LIMIT})
MARKET_KINDS = frozenset({OrderType.MARKET, OrderType.STOP_LOSS, OrderType.TAKE_PROFIT})


@dataclass(frozen=True)
class Adapter:
    venue: str
    features: frozenset[str] = frozenset()
    numeric_ids: bool = True  # Kraken's txids are not numbers (ids.IdMap)
    rate_rules: tuple[RateRule, ...] = ()
    call_counters: tuple[CounterRule, ...] = ()  # decaying counters (Kraken's), see call_costs
    client_query_paths: tuple[str, ...] = ()  # the requests by_client_id sends (counted ones)
    trades_page: int = 100
    ordered_trade_ids: bool = True  # later trades have larger ids (Bybit's execIds are UUIDs)
    recv_window_ms: int = 5000
    sandbox: bool = True  # Kraken has no testnet
    limit_headers: tuple[str, ...] = field(default=())  # reply headers carrying usage
    # the trade history names no fee asset (Kraken's): each order's own fields say it
    fee_asset_from_order: bool = False
    server_time_span_ms: int = 0  # the server time's resolution: Kraken's unixtime is seconds

    def config(
        self, base_url: str | None, urls: Mapping[str, str] | None, creds: ApiCredentials | None
    ) -> Raw:
        """ccxt's constructor config: no self-throttle (tradeguard limits itself), spot only,
        pointed at `base_url` when there is one."""
        config: Raw = {"enableRateLimit": False, "has": {"fetchCurrencies": False}}
        if creds is not None:
            config.update(key_fields(creds))
        if base_url is not None:
            config["urls"] = {"api": self.api_urls(base_url.rstrip("/"), urls or {})}
        config["options"] = self.options()
        return config

    def api_urls(self, base: str, urls: Mapping[str, str]) -> Raw:
        raise NotImplementedError

    def options(self) -> Raw:
        return {"fetchMarkets": {"types": ["spot"]}}

    def order_params(self, intent: OrderIntent) -> Raw:
        """The venue's params for an intent beyond ccxt's type, side, amount and price. The
        session has refused what `features` lacks before journaling; what still reaches here
        unoffered is a bug, refused before sending."""
        params: Raw = {"clientOrderId": self.client_id(intent.client_order_id)}
        if intent.type is OrderType.LIMIT_MAKER or intent.post_only:
            params["postOnly"] = True
        if intent.time_in_force in (TimeInForce.IOC, TimeInForce.FOK):
            if intent.time_in_force is TimeInForce.FOK and FILL_OR_KILL not in self.features:
                raise self.lacks(FILL_OR_KILL)
            params["timeInForce"] = intent.time_in_force.value
        if intent.trailing_delta is not None:
            raise self.lacks(TRAILING)
        if intent.iceberg_qty is not None:
            if ICEBERG not in self.features:
                raise self.lacks(ICEBERG)
            params.update(self.iceberg_params(intent.iceberg_qty, intent.price))
        if intent.stop_price is not None:
            if STOP_ORDERS not in self.features:
                raise self.lacks(STOP_ORDERS)
            params.update(self.stop_params(intent.type, intent.stop_price, intent.price))
        return params

    def plain_order(self, intent: OrderIntent, market_id: str) -> placing.Request | None:
        """The venue's own request for a plain order (placing.py), sent without ccxt's
        create_order; None where create_order builds it."""
        return None

    def placed_id(self, reply: Raw) -> str:
        """The venue's order id in its reply to `plain_order`'s request."""
        raise NotImplementedError

    def signed(self, ex: Any, params: Raw | list[Raw]) -> placing.Signed | None:
        """`plain_order`'s request signed for the wire's own client; None: ccxt signs it."""
        return None

    def cancel_request(self, client_id: str) -> placing.Request | None:
        """The venue's cancel naming the order by its client id (placing.py); None: the order's
        venue id is found first and ccxt's cancel_order sends it."""
        return None

    def ticker_url(self, ex: Any, market_id: str) -> str | None:
        """The public URL of one symbol's ticker, read by the wire's own client (`last_of`
        finds the last price in its reply); None: ccxt's fetch_ticker asks."""
        return None

    def last_of(self, reply: Raw) -> str:
        raise NotImplementedError

    def order_type(self, intent: OrderIntent) -> str:
        """ccxt's `type` for the intent: "market" for the market kinds, else "limit"."""
        return "market" if intent.type in MARKET_KINDS else "limit"

    def lacks(self, feature: str) -> GuardError:
        return GuardError(
            f"not sent: {self.venue} spot offers no {feature.replace('_', ' ')} here",
            hint="use plain orders there, or a venue that offers it (tg.supports(...) asks)",
        )

    def rate_limit(
        self, text: str, status: int | None, headers: Mapping[str, str], now_ms: int
    ) -> tuple[float, int | None]:
        """How long a rate limit the venue answered holds: (pause seconds, the end of a ban
        in server ms, or None when it is a pause)."""
        return RATE_PAUSE_S, None

    def call_costs(self, method: str, path: str) -> tuple[int, ...]:
        """What one HTTP request adds to each of `call_counters`."""
        return tuple(0 for _ in self.call_counters)

    def nonce_ordered(self, path: str) -> bool:
        """Whether requests to `path` carry a nonce the venue refuses unless it increases
        (such requests must reach it in the order they were signed)."""
        return False

    def public_paths(self) -> Callable[[str], bool] | None:
        """Which request paths the venue limits apart from the key's limits (per IP), so that
        a pause or ban met by one side holds that side only; None where one limit holds
        every request (Bybit's 403 and OKX's 429 hold the host: both stay conservative)."""
        return None

    def next_trades_page(self, page: list[Raw], params: Raw) -> Raw | None:
        """The `fetch_my_trades` params of the page after `page` (newest first, going back),
        or None when the venue has no more."""
        return None

    def open_listings(self) -> tuple[Raw, ...]:
        """ccxt `fetch_open_orders` params, one per list the venue keeps open orders in
        (Bybit and OKX keep untriggered stops and algo orders apart from the book's)."""
        return ({},)

    def client_id(self, client_order_id: str) -> str:
        """The session's client order id as this venue accepts it."""
        return client_order_id

    def stop_params(self, kind: OrderType, stop: Decimal, limit: Decimal | None) -> Raw:
        """A stop-loss or take-profit (market without `limit`, a limit order with it): ccxt's
        unified `triggerPrice` (Bybit spot: orderFilter StopOrder; OKX: an order-algo of
        ordType trigger). The venue fires it when the last price crosses `stop`."""
        return {"triggerPrice": str(stop)}

    def iceberg_params(self, visible: Decimal, price: Decimal | None) -> Raw:
        raise self.lacks(ICEBERG)

    async def by_client_id(self, ex: Any, unified: str, client_order_id: str) -> Raw | None:
        """The order with this client order id, as ccxt parses it; None if the venue holds
        none. Run inside one wire call (its requests are counted and noted)."""
        raise NotImplementedError

    async def by_order_id(self, ex: Any, unified: str, venue_id: str, algo: bool) -> Raw:
        """The order with this venue id, as ccxt parses it (`algo`: known to be one of the
        venue's algo orders). Run inside one wire call."""
        return dict(await ex.fetch_order(venue_id, unified))

    async def cancel(self, ex: Any, unified: str, venue_id: str, algo: bool) -> None:
        """Cancel the order with this venue id (`algo`: known to be an algo order). Run inside
        one wire call."""
        await ex.cancel_order(venue_id, unified)

    def is_algo(self, intent: OrderIntent) -> bool:
        """Whether the venue keeps this order among its algo orders, apart from the book's."""
        return False

    async def order_fee_assets(self, ex: Any, order_ids: list[str]) -> dict[str, str]:
        """The asset each order's fees are charged in, by the venue's order id, where
        `fee_asset_from_order` (orders the venue does not know are left out). Run inside one
        wire call."""
        return {}


class Bybit(Adapter):
    def plain_order(self, intent: OrderIntent, market_id: str) -> placing.Request | None:
        if not placing.is_plain(intent):
            return None
        return placing.bybit(intent, market_id, self.client_id(intent.client_order_id))

    def placed_id(self, reply: Raw) -> str:
        return placing.bybit_order_id(reply)

    def signed(self, ex: Any, params: Raw | list[Raw]) -> placing.Signed | None:
        return placing.bybit_signed(ex, params)

    def ticker_url(self, ex: Any, market_id: str) -> str | None:
        return placing.bybit_ticker(ex, market_id)

    def last_of(self, reply: Raw) -> str:
        return placing.bybit_last(reply)

    def rate_limit(
        self, text: str, status: int | None, headers: Mapping[str, str], now_ms: int
    ) -> tuple[float, int | None]:
        if status == 403:  # the IP's 600 per 5 s passed: banned for at least 10 minutes
            return BYBIT_IP_BAN_S, now_ms + int(BYBIT_IP_BAN_S * 1000)
        reset = headers.get("x-bapi-limit-reset-timestamp", "")  # 10006: until the reset
        if reset.isdigit() and int(reset) > now_ms:
            return min((int(reset) - now_ms) / 1000, 60.0), None
        return RATE_PAUSE_S, None

    def next_trades_page(self, page: list[Raw], params: Raw) -> Raw | None:
        # ccxt leaves the reply's nextPageCursor on one row's info ("" on the last page)
        cursors = [(t.get("info") or {}).get("nextPageCursor") for t in page]
        cursor = next((c for c in cursors if c), None)
        return None if cursor is None else {"cursor": cursor}

    def open_listings(self) -> tuple[Raw, ...]:
        return ({}, {"trigger": True})  # orderFilter=StopOrder: untriggered stops

    def api_urls(self, base: str, urls: Mapping[str, str]) -> Raw:
        # the private WS URL must hold "v5/private" and not "spot" (get_private_type)
        ws = urls.get("private_ws_url") or base.replace("http", "ws", 1) + "/v5/private"
        return {"public": base, "private": base, "ws": {"private": {"contract": ws}}}

    def options(self) -> Raw:
        return super().options() | {
            "defaultType": "spot",
            "enableUnifiedAccount": True,
            "enableUnifiedMargin": False,
            "fetchOrder": {"acknowledged": True},
        }

    async def by_client_id(self, ex: Any, unified: str, client_order_id: str) -> Raw | None:
        # ccxt's fetch_order wants an orderId; v5 realtime answers by orderLinkId as well
        # (open orders and the recent closed ones), history for older ones
        market = ex.market(unified)
        query = {"category": "spot", "symbol": market["id"], "orderLinkId": client_order_id}
        for endpoint in (ex.private_get_v5_order_realtime, ex.private_get_v5_order_history):
            reply = await endpoint(dict(query))
            rows = ((reply or {}).get("result") or {}).get("list") or []
            if rows:
                return dict(ex.parse_order(rows[0], market))
        return None


class Okx(Adapter):
    """Stop-losses and take-profits are OKX `conditional` algo orders (slTriggerPx or
    tpTriggerPx: ccxt's stopLossPrice / takeProfitPrice), icebergs `iceberg` ones: placed at
    POST /trade/order-algo and named there by algoId and our algoClOrdId. Until a stop triggers,
    only the algo endpoints know it (GET /trade/order-algo, orders-algo-pending, cancel-algos:
    ccxt's `trigger` param); the order it places is a regular one with an ordId of its own and
    no clOrdId, naming the algo order by algoId and algoClOrdId (our id)."""

    def order_type(self, intent: OrderIntent) -> str:
        return "iceberg" if intent.iceberg_qty is not None else super().order_type(intent)

    def plain_order(self, intent: OrderIntent, market_id: str) -> placing.Request | None:
        if not placing.is_plain(intent):
            return None
        return placing.okx(intent, market_id, self.client_id(intent.client_order_id))

    def placed_id(self, reply: Raw) -> str:
        return placing.okx_order_id(reply)

    def signed(self, ex: Any, params: Raw | list[Raw]) -> placing.Signed | None:
        return placing.okx_signed(ex, params)

    def ticker_url(self, ex: Any, market_id: str) -> str | None:
        return placing.okx_ticker(ex, market_id)

    def last_of(self, reply: Raw) -> str:
        return placing.okx_last(reply)

    def order_params(self, intent: OrderIntent) -> Raw:
        params = super().order_params(intent)
        if self.is_algo(intent):  # the algo order's own client id field
            params["algoClOrdId"] = params.pop("clientOrderId")
        return params

    def is_algo(self, intent: OrderIntent) -> bool:
        return intent.stop_price is not None or intent.iceberg_qty is not None

    def stop_params(self, kind: OrderType, stop: Decimal, limit: Decimal | None) -> Raw:
        name = "takeProfitPrice" if kind in TAKE_PROFIT_KINDS else "stopLossPrice"
        return {name: str(stop)}

    def rate_limit(
        self, text: str, status: int | None, headers: Mapping[str, str], now_ms: int
    ) -> tuple[float, int | None]:
        return OKX_WINDOW_S, None  # 50011: OKX counts per 2-second window

    def open_listings(self) -> tuple[Raw, ...]:
        return ({}, {"ordType": "conditional"}, {"ordType": "iceberg"})  # orders-algo-pending

    def next_trades_page(self, page: list[Raw], params: Raw) -> Raw | None:
        # fills-history goes back by billId: `after` = the oldest bill of this page
        if len(page) < self.trades_page:
            return None
        raw = [str((t.get("info") or {}).get("billId")) for t in page]
        bills = [int(b) for b in raw if b.isdigit()]
        return {"after": str(min(bills))} if bills else None

    def iceberg_params(self, visible: Decimal, price: Decimal | None) -> Raw:
        # szLimit: each visible part; pxLimit: the worst price; pxSpread 0: at that price
        return {"szLimit": str(visible), "pxLimit": str(price), "pxSpread": "0"}

    def client_id(self, client_order_id: str) -> str:
        return alphanumeric_client_id(client_order_id)  # clOrdId: letters and digits only

    def api_urls(self, base: str, urls: Mapping[str, str]) -> Raw:
        ws = urls.get("ws_url") or base.replace("http", "ws", 1) + "/ws/v5"
        return {"rest": base, "ws": ws}

    async def by_client_id(self, ex: Any, unified: str, client_order_id: str) -> Raw | None:
        import ccxt

        query = {"clOrdId": self.client_id(client_order_id)}
        for params in ({}, {"trigger": True}):  # a regular order, else an algo order
            try:
                found = dict(await ex.fetch_order(None, unified, query | params))
            except ccxt.OrderNotFound:
                continue
            return await _through_placed(ex, unified, found)
        return None

    async def by_order_id(self, ex: Any, unified: str, venue_id: str, algo: bool) -> Raw:
        found = dict(await _either(ex.fetch_order, (venue_id, unified), algo))
        return await _through_placed(ex, unified, found)

    async def cancel(self, ex: Any, unified: str, venue_id: str, algo: bool) -> None:
        await _either(ex.cancel_order, (venue_id, unified), algo)


async def _through_placed(ex: Any, unified: str, found: Raw) -> Raw:
    """An algo order that triggered placed a regular order (an ordId of its own, no clOrdId):
    that one says what became of it. ccxt names it by its algoId still, and our id is its
    algoClOrdId, so it reads back as the algo order did."""
    placed = (found.get("info") or {}).get("ordId")
    if (found.get("info") or {}).get("state") == "effective" and placed:
        return dict(await ex.fetch_order(placed, unified))
    return found


async def _either(call: Any, args: tuple[Any, ...], algo: bool) -> Any:
    """An OKX call on the regular order endpoints or the algo ones (ccxt's `trigger` param):
    first where the order is expected, then the other if it is not found there."""
    import ccxt

    first, second = ({"trigger": True}, {}) if algo else ({}, {"trigger": True})
    try:
        return await call(*args, first)
    except ccxt.OrderNotFound:
        return await call(*args, second)


class Kraken(Adapter):
    """Stops are Kraken's own order types (stop-loss, take-profit, and their -limit forms,
    the trigger in `price`, the limit in `price2`): ccxt's stopLossPrice / takeProfitPrice.
    An iceberg is a limit order with `displayvol`. Kraken spot has no FOK and no hidden."""

    def stop_params(self, kind: OrderType, stop: Decimal, limit: Decimal | None) -> Raw:
        name = "takeProfitPrice" if kind in TAKE_PROFIT_KINDS else "stopLossPrice"
        return {name: str(stop)}

    def iceberg_params(self, visible: Decimal, price: Decimal | None) -> Raw:
        return {"displayvol": str(visible)}

    def rate_limit(
        self, text: str, status: int | None, headers: Mapping[str, str], now_ms: int
    ) -> tuple[float, int | None]:
        # the wire holds the side the answer came from (public_paths): a lockout or a full
        # counter holds the key's calls, a public throttle the public reads only
        if "Temporary lockout" in text:  # the key is locked out: every private call refused
            return KRAKEN_LOCKOUT_S, now_ms + int(KRAKEN_LOCKOUT_S * 1000)
        if "Rate limit exceeded" in text:  # the call counter is full: wait for it to fall by 2
            return KRAKEN_DECAY_S, None
        return RATE_PAUSE_S, None  # a throttle (EGeneral:Too many requests, a bare 429)

    def public_paths(self) -> Callable[[str], bool] | None:
        return _kraken_public  # limited per IP: the key's counter and lockout hold none

    def plain_order(self, intent: OrderIntent, market_id: str) -> placing.Request | None:
        if not placing.is_plain(intent) or intent.time_in_force is TimeInForce.FOK:
            return None  # a FOK: create_order's path refuses it (no FOK on Kraken spot)
        return placing.kraken(intent, market_id, self.client_id(intent.client_order_id))

    def placed_id(self, reply: Raw) -> str:
        return placing.kraken_order_id(reply)

    def cancel_request(self, client_id: str) -> placing.Request | None:
        return placing.kraken_cancel(client_id)

    def nonce_ordered(self, path: str) -> bool:
        return "/private/" in path  # EAPI:Invalid nonce for one not above the last accepted

    def call_costs(self, method: str, path: str) -> tuple[int, ...]:
        # (the REST call counter, the matching engine's order counter); public calls count
        # on neither (they are limited per IP)
        name = path.rsplit("/", 1)[-1]
        if "/private/" not in path:
            return (0, 0)
        if name in KRAKEN_ORDER_CALLS:
            return (0, 1 if name == "AddOrder" else 0)
        return (KRAKEN_HISTORY_CALLS.get(name, 1), 0)

    def next_trades_page(self, page: list[Raw], params: Raw) -> Raw | None:
        # TradesHistory pages by offset (`ofs`), a fixed page of 50, newest first
        if len(page) < self.trades_page:
            return None
        return {"ofs": int(params.get("ofs", 0)) + len(page)}

    async def by_order_id(self, ex: Any, unified: str, venue_id: str, algo: bool) -> Raw:
        """The order with this venue id, as ccxt parses it (`algo`: known to be one of the
        venue's algo orders). Run inside one wire call."""
        return dict(await ex.fetch_order(venue_id, unified))

    async def cancel(self, ex: Any, unified: str, venue_id: str, algo: bool) -> None:
        """Cancel the order with this venue id (`algo`: known to be an algo order). Run inside
        one wire call."""
        await ex.cancel_order(venue_id, unified)

    def is_algo(self, intent: OrderIntent) -> bool:
        """Whether the venue keeps this order among its algo orders, apart from the book's."""
        return False

    async def order_fee_assets(self, ex: Any, order_ids: list[str]) -> dict[str, str]:
        # QueryOrders answers up to 50 txids a call; ccxt's parse_order reads the fee asset
        # from oflags (fcib: the base, fciq: the quote)
        found: dict[str, str] = {}
        for start in range(0, len(order_ids), KRAKEN_QUERY_MAX):
            txids = ",".join(order_ids[start : start + KRAKEN_QUERY_MAX])
            reply = await ex.private_post_queryorders({"txid": txids})
            for txid, raw in ((reply or {}).get("result") or {}).items():
                asset = fee_asset(dict(ex.parse_order(dict(raw, id=txid))))
                if asset is not None:
                    found[str(txid)] = asset
        return found

    def api_urls(self, base: str, urls: Mapping[str, str]) -> Raw:
        ws = urls.get("private_ws_url") or base.replace("http", "ws", 1) + "/v2"
        return {"public": base, "private": base, "ws": {"privateV2": ws}}

    def options(self) -> Raw:
        return {}

    async def by_client_id(self, ex: Any, unified: str, client_order_id: str) -> Raw | None:
        # QueryOrders wants txids; the order lists filter by cl_ord_id
        params = {"cl_ord_id": client_order_id}
        for listing in (ex.fetch_open_orders, ex.fetch_closed_orders):
            found = await listing(unified, None, None, dict(params))
            # exactly ours: ccxt reads clientOrderId from userref (unset here), so the order's
            # own cl_ord_id decides; never an order that merely carries no client id
            mine = [o for o in found if (o.get("info") or {}).get("cl_ord_id") == client_order_id]
            if mine:
                return dict(mine[-1])
        return None


ADAPTERS: dict[str, Adapter] = {
    "bybit": Bybit(
        "bybit",
        features=frozenset({STOP_ORDERS, FILL_OR_KILL}),
        # per-IP 600 requests per 5 s (beyond: HTTP 403 and a ban); spot orders 20 per second
        rate_rules=(
            RateRule(LimitKind.RAW_REQUESTS, "SECOND", 5, 600),
            RateRule(LimitKind.ORDERS, "SECOND", 1, 20),
        ),
        limit_headers=("x-bapi-limit-status", "x-bapi-limit"),
        ordered_trade_ids=False,
    ),
    "okx": Okx(
        "okx",
        features=frozenset({STOP_ORDERS, ICEBERG, FILL_OR_KILL}),
        rate_rules=(
            RateRule(LimitKind.RAW_REQUESTS, "SECOND", 2, 60),
            RateRule(LimitKind.ORDERS, "SECOND", 2, 60),
        ),
    ),
    "kraken": Kraken(
        "kraken",
        features=frozenset({STOP_ORDERS, ICEBERG}),
        numeric_ids=False,
        fee_asset_from_order=True,
        client_query_paths=("/0/private/OpenOrders", "/0/private/ClosedOrders"),
        call_counters=(KRAKEN_CALL_COUNTER, KRAKEN_ORDER_COUNTER),
        trades_page=50,
        sandbox=False,
        server_time_span_ms=1000,
    ),
}


def _kraken_public(path: str) -> bool:
    return "/public/" in path


def fee_asset(order: Raw) -> str | None:
    """The asset a ccxt order says its fees are charged in, if it says."""
    currency = (order.get("fee") or {}).get("currency")
    return str(currency) if currency else None


def adapter_for(venue: str) -> Adapter:
    found = ADAPTERS.get(venue)
    if found is None:
        raise ConfigError(
            f"venue {venue!r} is not offered through ccxt here",
            hint=f"use one of: binance, {', '.join(sorted(ADAPTERS))}",
        )
    return found


def key_fields(creds: ApiCredentials) -> dict[str, str]:
    """The key as ccxt's exchange holds it, by its attribute names (set at construction, or
    on the exchange itself when a rotated key replaces the old one)."""
    fields = {"apiKey": creds.api_key, "secret": creds.secret.reveal()}
    if creds.passphrase is not None:
        fields["password"] = creds.passphrase.reveal()  # OKX's API passphrase
    return fields
