"""An order intent checked against the symbol's exchangeInfo rules before it is sent. Pure.

`validate()` returns the intent (the same object when nothing changed, a rounded copy when
`round=RoundMode.SAFE` had to round) or raises `OrderRefused` — a `RiskDenied` whose `reasons`
say, for every check that failed (all of them, not only the first), which filter and what to do,
and whose `checks` name them (PRICE_FILTER, LOT_SIZE, ..., see `CHECKS`).

It predicts what Binance (and `tradeguard sim`, whose `sim/filters.py` is the exchange side)
would refuse: request shape (-1102/-1106/-1116), the symbol filters (-1013), and the engine's
refusals that need no book (iceberg combinations, a stop that would trigger at once, the open
order caps). Checks Binance does not make are marked local: PRICE_BAND (the fat-finger band
around the last price), PRECISION (quoteOrderQty decimals), UNSUPPORTED (options Spot lacks).

Rounding happens only with `round=RoundMode.SAFE`, and only onto the filter's grid (a value
outside min/max is never moved there), always toward the side that risks less:

- quantity, iceberg quantity and quoteOrderQty: down (never trade more than asked);
- limit price: BUY down, SELL up (never pay more or receive less than asked; the order may
  fill later or not at all, which is the safe failure);
- stop price: in the direction that does not trigger earlier than asked. Orders that trigger
  when the price rises to the stop (STOP_LOSS[_LIMIT] BUY, TAKE_PROFIT[_LIMIT] SELL) round up;
  those that trigger when it falls (STOP_LOSS[_LIMIT] SELL, TAKE_PROFIT[_LIMIT] BUY) round down.
  For a protective stop-loss this means it may trigger up to one tick later than asked (a loss
  up to one tick larger), never earlier; a stop that fires on noise it was placed to ignore is
  the failure users report, a tick of slippage is not.

After rounding every check runs again on the rounded values, so a returned intent always passes
`validate(..., round=RoundMode.REFUSE)` with the same arguments.

Reference prices: NOTIONAL for market orders and PERCENT_PRICE_BY_SIDE use `last_price` where
Binance uses its `avgPriceMins` average; close to the average they agree, in a fast market an
order near a bound may be refused by one and not the other.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from decimal import ROUND_CEILING, Decimal

import msgspec

from tradeguard.errors import RiskDenied
from tradeguard.model import OrderIntent, OrderType, Side, TimeInForce
from tradeguard.symbol_rules import RISES_TO_TRIGGER, STOP_TYPES, SymbolRules, plain

ZERO = Decimal(0)
HUNDRED = Decimal(100)

LIMIT_PRICED = frozenset(
    {
        OrderType.LIMIT,
        OrderType.LIMIT_MAKER,
        OrderType.STOP_LOSS_LIMIT,
        OrderType.TAKE_PROFIT_LIMIT,
    }
)
MARKET_LIKE = frozenset({OrderType.MARKET, OrderType.STOP_LOSS, OrderType.TAKE_PROFIT})
NEEDS_TIF = frozenset({OrderType.LIMIT, OrderType.STOP_LOSS_LIMIT, OrderType.TAKE_PROFIT_LIMIT})

# What each check name means; the ones Binance / the simulator also make come first.
CHECKS: dict[str, str] = {
    "PARAMS": "a parameter is missing or not allowed for the order type (-1102 / -1106)",
    "ORDER_TYPE": "the symbol does not accept this order type (-1116)",
    "PRICE_FILTER": "price or stop price: bounds and tick size (-1013)",
    "LOT_SIZE": "quantity or iceberg quantity: bounds and step size (-1013)",
    "MARKET_LOT_SIZE": "quantity of MARKET / STOP_LOSS / TAKE_PROFIT orders (-1013)",
    "NOTIONAL": "price * quantity: min and max notional (-1013)",
    "ICEBERG_PARTS": "quantity / icebergQty rounded up: too many parts (-1013)",
    "TRAILING_DELTA": "trailingDelta outside the symbol's bounds (-1013)",
    "MAX_NUM_ORDERS": "too many open orders on the symbol (-1013)",
    "MAX_NUM_ALGO_ORDERS": "too many open stop orders on the symbol (-1013)",
    "PERCENT_PRICE_BY_SIDE": "price too far from the average price (-1013)",
    "ICEBERG": "iceberg not GTC, or icebergQty not below quantity (-2010)",
    "WOULD_TRIGGER": "the stop price is already reached: it would trigger at once (-2010)",
    "MARKET_CLOSED": "the symbol is not TRADING (-2010)",
    "NOT_ALLOWED": "the symbol does not allow this feature (iceberg, OCO, trailing, quote qty)",
    "SYMBOL": "the rules given are another symbol's",
    "PRICE_BAND": "local: price too far from the last price (fat-finger band)",
    "PRECISION": "local: more decimals than the asset has",
    "UNSUPPORTED": "local: an option Binance Spot does not have",
}


class RoundMode(enum.StrEnum):
    REFUSE = "refuse"  # never change a value; say what the rounded value would be
    SAFE = "safe"  # round onto the grid toward the side that risks less


class OrderRefused(RiskDenied):
    """Validation refused the intent. `checks[i]` names the check behind `reasons[i]`.

    A subclass of RiskDenied, so callers that catch RiskDenied keep working; proposed for
    `errors.py` (GuardError > RiskDenied > OrderRefused)."""

    def __init__(self, failures: list[tuple[str, str]]) -> None:
        self.checks = tuple(check for check, _ in failures)
        super().__init__([f"{check}: {reason}" for check, reason in failures])


# ── options spot trading through tradeguard does not have, on any venue ──────────────────────

UNSUPPORTED_OPTIONS: dict[str, str] = {
    "reduce_only": "spot has no reduce-only orders (a spot sell cannot open a short); "
    "size the sell to the position you hold",
    "hidden": "tradeguard places no hidden orders; use iceberg_qty to show only part of the "
    "size where the venue offers icebergs (tg.supports('iceberg'))",
    "close_position": "spot has no close-position orders; sell the quantity you hold",
    "position_side": "spot has no position sides (that is a futures setting)",
    "leverage": "tradeguard trades spot without leverage",
    "margin": "tradeguard trades spot only, not margin",
    "display_qty": "tradeguard calls this iceberg_qty",
    "good_till_date": "tradeguard offers no GTD time in force; use GTC and cancel it yourself",
}
SUPPORTED_OPTIONS = frozenset(
    {
        "qty",
        "quote_qty",
        "price",
        "time_in_force",
        "stop_price",
        "trailing_delta",
        "iceberg_qty",
        "post_only",
        "client_order_id",
        "list_client_order_id",
    }
)


def check_options(requested: Mapping[str, object], call: str = "this order call") -> None:
    """Refuse the extras an order call was given beyond its own parameters rather than drop
    them silently: ones Binance Spot lacks (reduce_only, hidden, ...), each with what to do
    instead; ones another call takes (a limit's stop_price, a stop's post_only); names
    tradeguard does not know. A falsy value (reduce_only=False) asks for nothing and passes."""
    failures: list[tuple[str, str]] = []
    for name, value in requested.items():
        if value is None or value is False:
            continue
        why = UNSUPPORTED_OPTIONS.get(name)
        if name in SUPPORTED_OPTIONS:
            why = (
                f"{call} takes no {name}; leave it out, or place the order with the call that does"
            )
            if name == "client_order_id":
                why += " (tradeguard names every order itself: read it from the order returned)"
        if why is None:
            known = ", ".join(sorted(SUPPORTED_OPTIONS))
            why = f"tradeguard knows no order option {name!r}; the options are {known}"
        failures.append(("UNSUPPORTED", f"{name}: {why}"))
    if failures:
        raise OrderRefused(failures)


# ── grid arithmetic ──────────────────────────────────────────────────────────────────────────


def _off_grid(value: Decimal, origin: Decimal, step: Decimal) -> bool:
    return bool(step) and bool((value - origin) % step)


def floor_to(value: Decimal, origin: Decimal, step: Decimal) -> Decimal:
    """The largest grid point origin + k*step not above `value` (value >= origin)."""
    if not step:
        return value
    return plain(value - (value - origin) % step)


def ceil_to(value: Decimal, origin: Decimal, step: Decimal) -> Decimal:
    """The smallest grid point origin + k*step not below `value` (value >= origin)."""
    if not step:
        return value
    rem = (value - origin) % step
    return plain(value - rem + step) if rem else value


def _s(value: Decimal) -> str:
    return format(value, "f")


# ── the checks ───────────────────────────────────────────────────────────────────────────────


def validate(
    intent: OrderIntent,
    rules: SymbolRules,
    *,
    last_price: Decimal | None,
    open_orders: int,
    open_algo_orders: int,
    price_band_pct: Decimal | None,
    round: RoundMode = RoundMode.REFUSE,
) -> OrderIntent:
    """The intent, rounded when asked, or `OrderRefused` listing every check that failed.

    `open_orders` / `open_algo_orders`: this account's open orders on the symbol now (all, and
    STOP_LOSS/TAKE_PROFIT[_LIMIT] ones). `price_band_pct`: refuse a limit price further than
    this many percent from `last_price` (None: no band). `last_price` None switches off the
    checks that need it, except those an order cannot pass without (market-order notional,
    the band), which then refuse and say to pass it."""
    fails: list[tuple[str, str]] = []
    changes: dict[str, Decimal] = {}
    safe = round == RoundMode.SAFE
    kind = intent.type
    side = intent.side
    buy = side is Side.BUY
    post_only = intent.post_only
    wire = OrderType.LIMIT_MAKER if post_only and kind is OrderType.LIMIT else kind
    tif = intent.time_in_force
    qty = intent.qty
    quote_qty = intent.quote_qty
    price = intent.price
    stop = intent.stop_price
    trailing = intent.trailing_delta
    iceberg = intent.iceberg_qty
    sym = rules.symbol

    # ── the market and the symbol ──
    if intent.symbol.base != rules.base_asset or intent.symbol.quote != rules.quote_asset:
        fails.append(("SYMBOL", f"the order is for {intent.symbol} but the rules are {sym}'s"))
    if rules.status != "TRADING":
        fails.append(("MARKET_CLOSED", f"{sym} is {rules.status}, not TRADING; wait for it"))
    if not rules.spot_allowed:
        fails.append(("MARKET_CLOSED", f"{sym} does not allow spot trading"))

    # ── options Spot lacks ──
    if post_only and kind not in (OrderType.LIMIT, OrderType.LIMIT_MAKER):
        fails.append(
            (
                "UNSUPPORTED",
                f"post_only applies only to LIMIT orders on Binance Spot (sent as LIMIT_MAKER); "
                f"a {kind} order cannot be post-only",
            )
        )
    if getattr(intent, "reduce_only", False):
        fails.append(("UNSUPPORTED", "reduce_only: " + UNSUPPORTED_OPTIONS["reduce_only"]))
    if getattr(intent, "hidden", False):
        fails.append(("UNSUPPORTED", "hidden: " + UNSUPPORTED_OPTIONS["hidden"]))

    # ── shape: which parameters the type needs and allows ──
    if wire not in rules.order_types:
        allowed = ", ".join(sorted(rules.order_types))
        fails.append(("ORDER_TYPE", f"{sym} does not accept {wire} orders; it takes {allowed}"))
    if wire is OrderType.MARKET:
        if qty is None and quote_qty is None:
            fails.append(("PARAMS", "a MARKET order needs qty or quote_qty"))
        elif qty is not None and quote_qty is not None:
            fails.append(("PARAMS", "a MARKET order takes qty or quote_qty, not both"))
    else:
        if qty is None:
            fails.append(("PARAMS", f"a {wire} order needs qty"))
        if quote_qty is not None:
            fails.append(("PARAMS", f"quote_qty is for MARKET orders only, not {wire}"))
    if quote_qty is not None and not rules.quote_order_qty_market_allowed:
        fails.append(("NOT_ALLOWED", f"{sym} does not take market orders by quote_qty; give qty"))
    if wire in LIMIT_PRICED:
        if price is None:
            fails.append(("PARAMS", f"a {wire} order needs a price"))
    elif price is not None:
        fails.append(("PARAMS", f"a {wire} order takes no price; use a LIMIT type for one"))
    if wire is OrderType.LIMIT_MAKER:
        if tif is not None and tif is not TimeInForce.GTC:
            fails.append(
                (
                    "UNSUPPORTED",
                    f"a post-only (LIMIT_MAKER) order rests on the book; time_in_force {tif} "
                    "contradicts it: leave time_in_force out",
                )
            )
    elif wire in NEEDS_TIF:
        if tif is None:
            fails.append(("PARAMS", f"a {wire} order needs time_in_force (GTC, IOC or FOK)"))
    elif tif is not None:
        fails.append(("PARAMS", f"a {wire} order takes no time_in_force"))
    if wire in STOP_TYPES:
        if stop is None and trailing is None:
            fails.append(("PARAMS", f"a {wire} order needs stop_price or trailing_delta"))
    else:
        if stop is not None:
            fails.append(("PARAMS", f"a {wire} order takes no stop_price"))
        if trailing is not None:
            fails.append(("PARAMS", f"a {wire} order takes no trailing_delta"))
    if trailing is not None and not rules.trailing_allowed:
        fails.append(("NOT_ALLOWED", f"{sym} does not allow trailing stops"))
    if iceberg is not None:
        if wire is not OrderType.LIMIT and wire is not OrderType.LIMIT_MAKER:
            fails.append(("PARAMS", f"iceberg_qty is for LIMIT orders only, not {wire}"))
        elif wire is OrderType.LIMIT and tif is not None and tif is not TimeInForce.GTC:
            fails.append(("ICEBERG", f"an iceberg order must be GTC, not {tif}"))
        if not rules.iceberg_allowed:
            fails.append(("NOT_ALLOWED", f"{sym} does not allow iceberg orders"))
    if intent.list_client_order_id is not None and not rules.oco_allowed:
        fails.append(("NOT_ALLOWED", f"{sym} does not allow OCO order lists"))

    # ── prices: PRICE_FILTER, rounded toward the safe side when asked ──
    if price is not None:
        new = _price(fails, "price", price, rules, down=buy, safe=safe, side=side)
        if new is not price:
            changes["price"] = price = new
    if stop is not None:
        rises = (kind, side) in RISES_TO_TRIGGER
        new = _price(fails, "stop_price", stop, rules, down=not rises, safe=safe, side=side)
        if new is not stop:
            changes["stop_price"] = stop = new

    # ── quantities: LOT_SIZE, MARKET_LOT_SIZE, rounded down when asked ──
    if qty is not None:
        new = _qty(fails, qty, rules, market=wire in MARKET_LIKE, safe=safe)
        if new is not qty:
            changes["qty"] = qty = new
    if iceberg is not None:
        new = _lot(fails, "iceberg_qty", iceberg, rules, safe=safe)
        if new is not iceberg:
            changes["iceberg_qty"] = iceberg = new
        if qty is not None and qty > 0 and iceberg > 0:
            if iceberg >= qty:
                fails.append(("ICEBERG", f"iceberg_qty {_s(iceberg)} must be below qty {_s(qty)}"))
            elif rules.iceberg_parts is not None:
                parts = int((qty / iceberg).to_integral_value(rounding=ROUND_CEILING))
                if parts > rules.iceberg_parts:
                    least = qty / rules.iceberg_parts
                    fails.append(
                        (
                            "ICEBERG_PARTS",
                            f"qty {_s(qty)} in visible parts of {_s(iceberg)} is {parts} parts, "
                            f"more than {rules.iceberg_parts}; show at least {_s(least)} a part",
                        )
                    )
    if quote_qty is not None:
        if quote_qty <= 0:
            fails.append(("NOTIONAL", f"quote_qty must be positive, not {_s(quote_qty)}"))
        else:
            places = -quote_qty.as_tuple().exponent  # type: ignore[operator]
            if places > rules.quote_asset_precision:
                unit = Decimal(1).scaleb(-rules.quote_asset_precision)
                down = floor_to(quote_qty, ZERO, unit)
                if safe and down > 0:
                    changes["quote_qty"] = quote_qty = down
                else:
                    fails.append(
                        (
                            "PRECISION",
                            f"quote_qty {_s(quote_qty)} has more than "
                            f"{rules.quote_asset_precision} decimals; use {_s(down)}"
                            + ("" if safe else " or pass round='safe'"),
                        )
                    )

    # ── trailing delta ──
    if trailing is not None:
        rises = (kind, side) in RISES_TO_TRIGGER
        lo = rules.min_trailing_above if rises else rules.min_trailing_below
        hi = rules.max_trailing_above if rises else rules.max_trailing_below
        if (lo is not None and trailing < lo) or (hi is not None and trailing > hi):
            fails.append(
                (
                    "TRAILING_DELTA",
                    f"trailing_delta {trailing} is outside {lo}..{hi} basis points for {sym}",
                )
            )

    # ── notional ──
    _notional(fails, rules, wire, qty, quote_qty, price, stop, last_price)

    # ── what needs the market: stop already reached, price bands ──
    if last_price is not None and stop is not None and trailing is None and wire in STOP_TYPES:
        rises = (kind, side) in RISES_TO_TRIGGER
        if (last_price >= stop) if rises else (last_price <= stop):
            where = "at or above" if rises else "at or below"
            fails.append(
                (
                    "WOULD_TRIGGER",
                    f"the last price {_s(last_price)} is already {where} stop_price {_s(stop)}: "
                    f"the {side} {kind} would trigger at once",
                )
            )
    if price is not None and last_price is not None and last_price > 0:
        m_up = rules.bid_multiplier_up if buy else rules.ask_multiplier_up
        m_down = rules.bid_multiplier_down if buy else rules.ask_multiplier_down
        if (m_up is not None and price > last_price * m_up) or (
            m_down is not None and price < last_price * m_down
        ):
            fails.append(
                (
                    "PERCENT_PRICE_BY_SIDE",
                    f"{side} price {_s(price)} is outside {m_down}..{m_up} times the price "
                    f"{_s(last_price)}",
                )
            )
    if price_band_pct is not None and price is not None and wire in LIMIT_PRICED:
        # A limit order is measured against the last price; a stop-limit's limit price against
        # its stop price, where the market will be when it starts working.
        ref = last_price if (wire not in STOP_TYPES or stop is None) else stop
        what = "the last price" if ref is last_price else "stop_price"
        if ref is None or ref <= 0:
            fails.append(("PRICE_BAND", "no last price to check the price band against; pass it"))
        elif abs(price - ref) * HUNDRED > price_band_pct * ref:
            pct = (abs(price - ref) * HUNDRED / ref).quantize(Decimal("0.01"))
            where = "above" if price > ref else "below"
            fails.append(
                (
                    "PRICE_BAND",
                    f"price {_s(price)} is {pct}% {where} {what} {_s(ref)}, beyond the "
                    f"{_s(price_band_pct)}% band; check the price or widen price_band_pct",
                )
            )

    # ── open order caps ──
    if rules.max_num_orders is not None and open_orders >= rules.max_num_orders:
        fails.append(
            (
                "MAX_NUM_ORDERS",
                f"{open_orders} orders are open on {sym}, the most it allows is "
                f"{rules.max_num_orders}; cancel some first",
            )
        )
    if (
        wire in STOP_TYPES
        and rules.max_num_algo_orders is not None
        and open_algo_orders >= rules.max_num_algo_orders
    ):
        fails.append(
            (
                "MAX_NUM_ALGO_ORDERS",
                f"{open_algo_orders} stop orders are open on {sym}, the most it allows is "
                f"{rules.max_num_algo_orders}; cancel some first",
            )
        )

    if fails:
        raise OrderRefused(fails)
    if changes:
        return msgspec.structs.replace(intent, **changes)
    return intent


def _price(
    fails: list[tuple[str, str]],
    name: str,
    value: Decimal,
    rules: SymbolRules,
    *,
    down: bool,
    safe: bool,
    side: Side,
) -> Decimal:
    """PRICE_FILTER on a price or stop price; the rounded value when `safe` and off the grid."""
    lo, hi, tick = rules.min_price, rules.max_price, rules.tick_size
    if value <= 0:
        fails.append(("PRICE_FILTER", f"{name} must be positive, not {_s(value)}"))
        return value
    if lo and value < lo:
        fails.append(("PRICE_FILTER", f"{name} {_s(value)} is below the minimum {_s(lo)}"))
        return value
    if hi and value > hi:
        fails.append(("PRICE_FILTER", f"{name} {_s(value)} is above the maximum {_s(hi)}"))
        return value
    if not _off_grid(value, lo, tick):
        return value
    to = floor_to(value, lo, tick) if down else ceil_to(value, lo, tick)
    if (hi and to > hi) or to <= 0:
        fails.append(
            (
                "PRICE_FILTER",
                f"{name} {_s(value)} is not a multiple of tick size {_s(tick)} and rounding "
                f"it {'down' if down else 'up'} leaves the allowed range",
            )
        )
        return value
    if safe:
        return to
    how = "down" if down else "up"
    fails.append(
        (
            "PRICE_FILTER",
            f"{name} {_s(value)} is not a multiple of tick size {_s(tick)}; use {_s(to)} "
            f"({side} {name} rounds {how}) or pass round='safe'",
        )
    )
    return value


def _lot(
    fails: list[tuple[str, str]], name: str, value: Decimal, rules: SymbolRules, *, safe: bool
) -> Decimal:
    """LOT_SIZE on a quantity or iceberg quantity; rounded down when `safe`."""
    lo, hi, step = rules.min_qty, rules.max_qty, rules.step_size
    if value <= 0:
        fails.append(("LOT_SIZE", f"{name} must be positive, not {_s(value)}"))
        return value
    if value < lo:
        fails.append(("LOT_SIZE", f"{name} {_s(value)} is below the minimum {_s(lo)}"))
        return value
    if hi and value > hi:
        fails.append(("LOT_SIZE", f"{name} {_s(value)} is above the maximum {_s(hi)}"))
        return value
    if not _off_grid(value, lo, step):
        return value
    to = floor_to(value, lo, step)
    if safe:
        return to
    fails.append(
        (
            "LOT_SIZE",
            f"{name} {_s(value)} is not a multiple of step size {_s(step)}; use {_s(to)} "
            "(quantities round down) or pass round='safe'",
        )
    )
    return value


def _qty(
    fails: list[tuple[str, str]], value: Decimal, rules: SymbolRules, *, market: bool, safe: bool
) -> Decimal:
    """LOT_SIZE, and MARKET_LOT_SIZE for market-like types; rounded down when `safe`."""
    before = len(fails)
    out = _lot(fails, "qty", value, rules, safe=safe)
    if not market or len(fails) > before:
        return out
    lo, hi, step = rules.market_min_qty, rules.market_max_qty, rules.market_step
    if lo and out < lo:
        fails.append(("MARKET_LOT_SIZE", f"qty {_s(out)} is below the market minimum {_s(lo)}"))
        return out
    if hi and out > hi:
        fails.append(
            (
                "MARKET_LOT_SIZE",
                f"qty {_s(out)} is above the market maximum {_s(hi)}; use a LIMIT order or split",
            )
        )
        return out
    if not _off_grid(out, lo, step):
        return out
    # Two grids (LOT_SIZE from min_qty, MARKET_LOT_SIZE from its own minimum): step down until
    # a point lies on both; with the usual powers of ten the first step already does.
    to = out
    for _ in range(4):
        to = floor_to(to, lo, step)
        if not _off_grid(to, rules.min_qty, rules.step_size):
            break
        to = floor_to(to, rules.min_qty, rules.step_size)
    if to < rules.min_qty or (lo and to < lo) or _off_grid(to, lo, step):
        fails.append(
            (
                "MARKET_LOT_SIZE",
                f"qty {_s(out)} is not a multiple of the market step {_s(step)} and no "
                "smaller allowed quantity exists",
            )
        )
        return out
    if safe:
        return to
    fails.append(
        (
            "MARKET_LOT_SIZE",
            f"qty {_s(out)} is not a multiple of the market step size {_s(step)}; use {_s(to)} "
            "(quantities round down) or pass round='safe'",
        )
    )
    return out


def _notional(
    fails: list[tuple[str, str]],
    rules: SymbolRules,
    wire: OrderType,
    qty: Decimal | None,
    quote_qty: Decimal | None,
    price: Decimal | None,
    stop: Decimal | None,
    last: Decimal | None,
) -> None:
    """NOTIONAL as the simulator and Binance value it: a limit order at its price, a stop-market
    order at its stop price (the last price when trailing without one), a market order by
    quantity at the last price, a market order by quote amount at that amount. Market-like types
    are checked only where applyMinToMarket / applyMaxToMarket say so."""
    lo, hi = rules.min_notional, rules.max_notional
    market = wire in MARKET_LIKE
    check_lo = bool(lo) and (rules.apply_min_to_market or not market)
    check_hi = bool(hi) and (rules.apply_max_to_market or not market)
    if not (check_lo or check_hi):
        return
    if wire is OrderType.MARKET:
        if quote_qty is not None:
            if quote_qty <= 0:
                return  # reported with the quantities
            notional = quote_qty
        elif qty is not None and qty > 0:
            if last is None:
                fails.append(
                    ("NOTIONAL", "no last price to value this market order by; pass last_price")
                )
                return
            notional = qty * last
        else:
            return
    else:
        if qty is None or qty <= 0:
            return
        ref = price if price is not None else (stop or last)
        if ref is None or ref <= 0:
            if ref is None:
                fails.append(
                    ("NOTIONAL", "no last price to value this trailing stop by; pass last_price")
                )
            return
        notional = qty * ref
    if check_lo and notional < lo:
        fails.append(
            (
                "NOTIONAL",
                f"notional {_s(notional)} {rules.quote_asset} is below the minimum {_s(lo)}; "
                "raise the quantity",
            )
        )
    if check_hi and notional > hi:
        fails.append(
            (
                "NOTIONAL",
                f"notional {_s(notional)} {rules.quote_asset} is above the maximum {_s(hi)}; "
                "split the order",
            )
        )
