"""What one symbol's orders may be (`SymbolRules`), whichever venue listed it. Pure.

Every venue's listing (Binance's exchangeInfo filters, Bybit's lotSizeFilter/priceFilter, OKX's
tickSz/lotSz/minSz, Kraken's tick_size/lot_decimals/ordermin) is read into this one shape, so
`tradeguard.validate` checks every order the same way everywhere. The field names follow
Binance's filters, the richest of the four; a venue without a filter leaves it off (0 or None).
"""

from __future__ import annotations

from decimal import Decimal

import msgspec

from tradeguard.model import OrderType, Side

ZERO = Decimal(0)


class SymbolRules(msgspec.Struct, frozen=True, gc=False):
    """One symbol's exchangeInfo entry, as validation needs it. Decimals throughout; a bound of
    0 is off (as on the wire); counts and multipliers are None when the filter is absent."""

    symbol: str  # exchange symbol, "BTCUSDT"
    base_asset: str
    quote_asset: str
    status: str = "TRADING"
    base_precision: int = 8  # baseAssetPrecision: most decimals a quantity may carry
    quote_precision: int = 8  # quotePrecision: most decimals a price may carry
    quote_asset_precision: int = 8  # quoteAssetPrecision: most decimals a quoteOrderQty may carry
    order_types: frozenset[str] = frozenset()
    iceberg_allowed: bool = False
    oco_allowed: bool = False
    oto_allowed: bool = False
    quote_order_qty_market_allowed: bool = False
    trailing_allowed: bool = False
    cancel_replace_allowed: bool = False
    spot_allowed: bool = True
    # PRICE_FILTER
    min_price: Decimal = ZERO
    max_price: Decimal = ZERO
    tick_size: Decimal = ZERO
    # LOT_SIZE
    min_qty: Decimal = ZERO
    max_qty: Decimal = ZERO
    step_size: Decimal = ZERO
    # MARKET_LOT_SIZE
    market_min_qty: Decimal = ZERO
    market_max_qty: Decimal = ZERO
    market_step_size: Decimal = ZERO
    # NOTIONAL / MIN_NOTIONAL
    min_notional: Decimal = ZERO
    apply_min_to_market: bool = True
    max_notional: Decimal = ZERO
    apply_max_to_market: bool = False
    avg_price_mins: int | None = None
    # counts
    iceberg_parts: int | None = None
    max_num_orders: int | None = None
    max_num_algo_orders: int | None = None
    max_num_iceberg_orders: int | None = None
    max_position: Decimal | None = None
    # PERCENT_PRICE_BY_SIDE / PERCENT_PRICE (reference: Binance's average price; see validate)
    bid_multiplier_up: Decimal | None = None
    bid_multiplier_down: Decimal | None = None
    ask_multiplier_up: Decimal | None = None
    ask_multiplier_down: Decimal | None = None
    # TRAILING_DELTA, BIPS
    min_trailing_above: int | None = None
    max_trailing_above: int | None = None
    min_trailing_below: int | None = None
    max_trailing_below: int | None = None
    unknown_filters: tuple[str, ...] = ()

    @property
    def market_step(self) -> Decimal:
        """The step MARKET_LOT_SIZE enforces: its own, or LOT_SIZE's when it says 0."""
        return self.market_step_size or self.step_size


STOP_TYPES = frozenset(
    {
        OrderType.STOP_LOSS,
        OrderType.STOP_LOSS_LIMIT,
        OrderType.TAKE_PROFIT,
        OrderType.TAKE_PROFIT_LIMIT,
    }
)
# Binance's trigger direction: these trigger when the price rises to the stop price (their
# TRAILING_DELTA bounds are the "above" ones); the other stops trigger when it falls to it.
RISES_TO_TRIGGER = frozenset(
    {
        (OrderType.STOP_LOSS, Side.BUY),
        (OrderType.STOP_LOSS_LIMIT, Side.BUY),
        (OrderType.TAKE_PROFIT, Side.SELL),
        (OrderType.TAKE_PROFIT_LIMIT, Side.SELL),
    }
)


def plain(value: Decimal) -> Decimal:
    """Trailing zeros dropped, never an exponent: "0.01000000" → 0.01, "100.0" → 100."""
    out = value.normalize()
    return out if out.as_tuple().exponent <= 0 else out.quantize(Decimal(1))  # type: ignore[operator]
