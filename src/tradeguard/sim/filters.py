"""What Binance checks before an order reaches the book: parameters per type, then symbol filters.

Pure functions over a `SymbolSpec` and a `NewOrder`; each failure raises `Reject` with Binance's
exact code and text. The order of checks follows Binance's layers: request shape (-1102/-1106/
-1116/-1115) first, then the symbol filters (-1013), and only then the matching engine's own
refusals (-2010), which live in the engine because they need the book and the balances.
"""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_DOWN, Decimal

from tradeguard.sim.records import ORDER_TYPES, NewOrder, SymbolSpec
from tradeguard.sim.rejects import Reject

ZERO = Decimal(0)

# Matching-engine texts (-2010 NEW_ORDER_REJECTED); Binance's exact words, errors.md.
INSUFFICIENT_BALANCE = "Account has insufficient balance for requested action."
WOULD_TAKE = "Order would immediately match and take."
WOULD_TRIGGER = "Order would trigger immediately."
DUPLICATE_ORDER = "Duplicate order sent."
UNKNOWN_ORDER = "Unknown order sent."
NO_SUCH_ORDER = "Order does not exist."
MARKET_CLOSED = "Market is closed."
ICEBERG_EXCEEDS_QTY = "IcebergQty exceeds QTY."
UNSUPPORTED_COMBINATION = "Unsupported order combination"
OCO_PRICES = "The relationship of the prices for the orders is not correct."
STP_NOT_ALLOWED = "This symbol does not allow the specified self-trade prevention mode."

# Binance's TRAILING_DELTA filter on spot symbols (BIPS); the same bounds above and below.
TRAILING_MIN = 10
TRAILING_MAX = 2000
# Binance caps untriggered stop orders per symbol and account (MAX_NUM_ALGO_ORDERS).
MAX_ALGO_ORDERS = 5

STP_MODES = ("NONE", "EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH")
DEFAULT_STP = "EXPIRE_MAKER"
TIME_IN_FORCE = ("GTC", "IOC", "FOK")
STOP_TYPES = frozenset({"STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT"})
LIMIT_PRICED = frozenset({"LIMIT", "LIMIT_MAKER", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT"})
MARKET_LIKE = frozenset({"MARKET", "STOP_LOSS", "TAKE_PROFIT"})

# Per type: parameters that must be present, and parameters that may be present. Anything else
# that was sent is -1106. Names are Binance's wire names, as they appear in the error texts.
_REQUIRED: dict[str, tuple[str, ...]] = {
    "LIMIT": ("timeInForce", "quantity", "price"),
    "MARKET": (),
    "STOP_LOSS": ("quantity",),
    "TAKE_PROFIT": ("quantity",),
    "STOP_LOSS_LIMIT": ("timeInForce", "quantity", "price"),
    "TAKE_PROFIT_LIMIT": ("timeInForce", "quantity", "price"),
    "LIMIT_MAKER": ("quantity", "price"),
}
_ALLOWED: dict[str, frozenset[str]] = {
    "LIMIT": frozenset({"timeInForce", "quantity", "price", "icebergQty"}),
    "MARKET": frozenset({"quantity", "quoteOrderQty"}),
    "STOP_LOSS": frozenset({"quantity", "stopPrice", "trailingDelta"}),
    "TAKE_PROFIT": frozenset({"quantity", "stopPrice", "trailingDelta"}),
    "STOP_LOSS_LIMIT": frozenset(
        {"timeInForce", "quantity", "price", "stopPrice", "trailingDelta"}
    ),
    "TAKE_PROFIT_LIMIT": frozenset(
        {"timeInForce", "quantity", "price", "stopPrice", "trailingDelta"}
    ),
    "LIMIT_MAKER": frozenset({"quantity", "price", "icebergQty"}),
}


def filter_failure(name: str) -> Reject:
    return Reject(-1013, f"Filter failure: {name}")


def rejected(msg: str) -> Reject:
    return Reject(-2010, msg)


def _sent(o: NewOrder) -> dict[str, bool]:
    return {
        "timeInForce": o.time_in_force is not None,
        "quantity": o.quantity is not None,
        "quoteOrderQty": o.quote_order_qty is not None,
        "price": o.price is not None,
        "stopPrice": o.stop_price is not None,
        "trailingDelta": o.trailing_delta is not None,
        "icebergQty": o.iceberg_qty is not None,
    }


def check_shape(spec: SymbolSpec | None, o: NewOrder, prefix: str = "") -> SymbolSpec:
    """Symbol, type, side and which parameters were sent (-1121, -1116, -1117, -1102, -1106,
    -1115). `prefix` names OCO legs' parameters ("above" -> 'abovePrice')."""
    if spec is None:
        raise Reject(-1121, "Invalid symbol.")
    if o.type not in ORDER_TYPES or o.type not in spec.order_types:
        raise Reject(-1116, "Invalid orderType.")
    if o.side not in ("BUY", "SELL"):
        raise Reject(-1117, "Invalid side.")
    sent = _sent(o)

    def wire(name: str) -> str:
        return prefix + name[0].upper() + name[1:] if prefix else name

    for name in _REQUIRED[o.type]:
        if not sent[name]:
            raise Reject(
                -1102,
                f"Mandatory parameter '{wire(name)}' was not sent, was empty/null, or malformed.",
            )
    if o.type == "MARKET" and not sent["quantity"] and not sent["quoteOrderQty"]:
        raise Reject(
            -1102, "Param 'quantity' or 'quoteOrderQty' must be sent, but both were empty/null!"
        )
    if o.type in STOP_TYPES and not sent["stopPrice"] and not sent["trailingDelta"]:
        raise Reject(
            -1102,
            f"Param '{wire('stopPrice')}' or '{wire('trailingDelta')}' must be "
            "sent, but both were empty/null!",
        )
    allowed = _ALLOWED[o.type]
    for name, present in sent.items():
        if present and name not in allowed:
            raise Reject(-1106, f"Parameter '{wire(name)}' sent when not required.")
    if o.type == "MARKET" and sent["quantity"] and sent["quoteOrderQty"]:
        # Binance answers a MARKET order carrying both with the quantity named as extra.
        raise Reject(-1106, f"Parameter '{wire('quantity')}' sent when not required.")
    if o.time_in_force is not None and o.time_in_force not in TIME_IN_FORCE:
        raise Reject(-1115, "Invalid timeInForce.")
    if o.new_order_resp_type is not None and o.new_order_resp_type not in ("ACK", "RESULT", "FULL"):
        raise Reject(-1130, "Data sent for parameter 'newOrderRespType' is not valid.")
    if o.strategy_type is not None and o.strategy_type < 1000000:
        raise Reject(-1134, "strategyType was less than 1000000.")
    if o.self_trade_prevention_mode is not None and o.self_trade_prevention_mode not in STP_MODES:
        raise Reject(-1013, STP_NOT_ALLOWED)
    return spec


def _on_grid(value: Decimal, origin: Decimal, step: Decimal) -> bool:
    return step == 0 or (value - origin) % step == 0


def check_price(spec: SymbolSpec, price: Decimal) -> None:
    """PRICE_FILTER for price and stopPrice: each bound is off when 0."""
    if price <= 0:
        raise filter_failure("PRICE_FILTER")
    if (spec.min_price and price < spec.min_price) or (spec.max_price and price > spec.max_price):
        raise filter_failure("PRICE_FILTER")
    if not _on_grid(price, spec.min_price, spec.tick_size):
        raise filter_failure("PRICE_FILTER")


def check_lot(spec: SymbolSpec, qty: Decimal) -> None:
    """LOT_SIZE for quantity and icebergQty."""
    if qty <= 0 or qty < spec.min_qty or (spec.max_qty and qty > spec.max_qty):
        raise filter_failure("LOT_SIZE")
    if not _on_grid(qty, spec.min_qty, spec.step_size):
        raise filter_failure("LOT_SIZE")


def market_step(spec: SymbolSpec) -> Decimal:
    """MARKET_LOT_SIZE step; 0 means the LOT_SIZE step applies (how the simulator reads it)."""
    return spec.market_step_size or spec.step_size


def check_market_lot(spec: SymbolSpec, qty: Decimal) -> None:
    if (spec.market_min_qty and qty < spec.market_min_qty) or (
        spec.market_max_qty and qty > spec.market_max_qty
    ):
        raise filter_failure("MARKET_LOT_SIZE")
    if not _on_grid(qty, spec.market_min_qty, market_step(spec)):
        raise filter_failure("MARKET_LOT_SIZE")


def iceberg_parts(qty: Decimal, iceberg: Decimal) -> int:
    return int((qty / iceberg).to_integral_value(rounding=ROUND_CEILING))


def check_trailing(delta: int) -> None:
    if not TRAILING_MIN <= delta <= TRAILING_MAX:
        raise filter_failure("TRAILING_DELTA")


def check_notional(spec: SymbolSpec, notional: Decimal, market: bool) -> None:
    """NOTIONAL: min/max on price*qty; for market orders only when applyMin/MaxToMarket."""
    if (
        spec.min_notional
        and (spec.apply_min_to_market or not market)
        and notional < spec.min_notional
    ):
        raise filter_failure("NOTIONAL")
    if (
        spec.max_notional
        and (spec.apply_max_to_market or not market)
        and notional > spec.max_notional
    ):
        raise filter_failure("NOTIONAL")


def check_filters(spec: SymbolSpec, o: NewOrder, last: Decimal) -> None:
    """Every symbol filter that needs only the order and the last price (-1013)."""
    if o.price is not None:
        check_price(spec, o.price)
    if o.stop_price is not None:
        check_price(spec, o.stop_price)
    if o.quantity is not None:
        check_lot(spec, o.quantity)
        if o.type in MARKET_LIKE:
            check_market_lot(spec, o.quantity)
    if o.iceberg_qty is not None and o.quantity is not None:
        check_lot(spec, o.iceberg_qty)
        if iceberg_parts(o.quantity, o.iceberg_qty) > spec.iceberg_parts:
            raise filter_failure("ICEBERG_PARTS")
    if o.trailing_delta is not None:
        check_trailing(o.trailing_delta)
    if o.type == "MARKET":
        if o.quote_order_qty is not None:
            if o.quote_order_qty <= 0:
                raise filter_failure("NOTIONAL")
            check_notional(spec, o.quote_order_qty, market=True)
        elif o.quantity is not None:
            check_notional(spec, o.quantity * last, market=True)
    elif o.quantity is not None:
        # Stop-market orders are valued at their stop price (or the last price when trailing
        # without one); priced orders at their limit price.
        ref = o.price if o.price is not None else (o.stop_price or last)
        check_notional(spec, o.quantity * ref, market=o.type in MARKET_LIKE)


def floor_to(value: Decimal, step: Decimal) -> Decimal:
    """Round down to a multiple of `step` (LOT_SIZE steps, commission precision)."""
    if step == 0:
        return value
    return (value / step).to_integral_value(rounding=ROUND_DOWN) * step
