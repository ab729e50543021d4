"""exchangeInfo → `SymbolRules`: what Binance Spot lets one symbol's orders be. Pure.

One `SymbolRules` per symbol, every number a `Decimal` (0 or None switches a rule off, as on the
wire), read once when exchangeInfo arrives and then consulted by `tradeguard.validate` on every
order. Filters this module reads (exchange-wire.md, Binance filters.md):

- PRICE_FILTER     min_price / max_price / tick_size (also applies to stop prices)
- LOT_SIZE         min_qty / max_qty / step_size (also applies to iceberg quantities)
- MARKET_LOT_SIZE  market_min_qty / market_max_qty / market_step_size; MARKET, STOP_LOSS and
                   TAKE_PROFIT quantities. A step of 0 means the LOT_SIZE step applies.
- NOTIONAL         min_notional / max_notional, apply_min_to_market / apply_max_to_market,
                   avg_price_mins. The legacy MIN_NOTIONAL (minNotional, applyToMarket) is merged
                   into the same fields, the stricter value winning when both are present.
- ICEBERG_PARTS, MAX_NUM_ORDERS, MAX_NUM_ALGO_ORDERS, MAX_NUM_ICEBERG_ORDERS, MAX_POSITION
- PERCENT_PRICE_BY_SIDE (bid/ask multipliers up/down) and PERCENT_PRICE (multipliers up/down)
- TRAILING_DELTA   min/max trailing delta above and below, in BIPS

A filter type this module does not know is kept by name in `unknown_filters`, so a caller can
say so instead of pretending it was checked. A known filter missing a field is a `ParseError`.

`wire_type` / `to_new_order` say how an `OrderIntent` goes on Binance's wire (a post-only LIMIT
is a LIMIT_MAKER), so validation and the request builder agree by construction.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

import msgspec

from tradeguard.errors import ExchangeError
from tradeguard.model import OrderIntent, OrderType
from tradeguard.symbol_rules import SymbolRules, plain
from tradeguard.venues.binance.endpoints import NewOrder, OcoLeg
from tradeguard.venues.binance.parse import ParseError


class _WireSymbol(msgspec.Struct):
    """One exchangeInfo "symbols" entry, with the fields `parse.WireSymbol` leaves out."""

    symbol: str
    status: str
    baseAsset: str
    quoteAsset: str
    orderTypes: list[str]
    filters: list[dict[str, Any]]
    baseAssetPrecision: int = 8
    quotePrecision: int = 8
    quoteAssetPrecision: int | None = None
    icebergAllowed: bool = False
    ocoAllowed: bool = False
    otoAllowed: bool = False
    quoteOrderQtyMarketAllowed: bool = False
    allowTrailingStop: bool = False
    cancelReplaceAllowed: bool = False
    isSpotTradingAllowed: bool = True


class _WireInfo(msgspec.Struct):
    symbols: list[_WireSymbol]


def parse_exchange_info(body: bytes | str) -> dict[str, SymbolRules]:
    """The body of GET /api/v3/exchangeInfo → rules keyed by exchange symbol ("BTCUSDT")."""
    try:
        info = msgspec.json.decode(body, type=_WireInfo)
    except msgspec.DecodeError as exc:
        raise ParseError("exchangeInfo", str(exc)) from exc
    return {s.symbol: _rules(s) for s in info.symbols}


def symbol_rules(entry: Mapping[str, Any]) -> SymbolRules:
    """One already-decoded exchangeInfo "symbols" entry (a dict) → its rules."""
    try:
        wire = msgspec.convert(entry, type=_WireSymbol)
    except msgspec.ValidationError as exc:
        raise ParseError("exchangeInfo", str(exc)) from exc
    return _rules(wire)


def _dec(f: Mapping[str, Any], key: str) -> Decimal:
    try:
        value = f[key]
    except KeyError:
        raise _bad(f, f"missing {key!r}") from None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise _bad(f, f"{key!r} is not a decimal string")
    try:
        out = Decimal(value)
    except InvalidOperation:
        raise _bad(f, f"{key!r} is not a decimal: {value!r}") from None
    if not out.is_finite() or out < 0:
        raise _bad(f, f"{key!r} is not a finite non-negative decimal: {value!r}")
    return plain(out)


def _int(f: Mapping[str, Any], key: str) -> int:
    value = f.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _bad(f, f"{key!r} is not an integer")
    return value


def _bool(f: Mapping[str, Any], key: str, default: bool) -> bool:
    value = f.get(key, default)
    if not isinstance(value, bool):
        raise _bad(f, f"{key!r} is not a boolean")
    return value


def _bad(f: Mapping[str, Any], detail: str) -> ExchangeError:
    return ParseError("exchangeInfo", f"filter {f.get('filterType')!r}: {detail}")


def _rules(s: _WireSymbol) -> SymbolRules:
    out: dict[str, Any] = {}
    unknown: list[str] = []
    legacy_min: tuple[Decimal, bool] | None = None
    for f in s.filters:
        kind = f.get("filterType")
        if kind == "PRICE_FILTER":
            out["min_price"] = _dec(f, "minPrice")
            out["max_price"] = _dec(f, "maxPrice")
            out["tick_size"] = _dec(f, "tickSize")
        elif kind == "LOT_SIZE":
            out["min_qty"] = _dec(f, "minQty")
            out["max_qty"] = _dec(f, "maxQty")
            out["step_size"] = _dec(f, "stepSize")
        elif kind == "MARKET_LOT_SIZE":
            out["market_min_qty"] = _dec(f, "minQty")
            out["market_max_qty"] = _dec(f, "maxQty")
            out["market_step_size"] = _dec(f, "stepSize")
        elif kind == "NOTIONAL":
            out["min_notional"] = _dec(f, "minNotional")
            out["apply_min_to_market"] = _bool(f, "applyMinToMarket", True)
            out["max_notional"] = _dec(f, "maxNotional")
            out["apply_max_to_market"] = _bool(f, "applyMaxToMarket", False)
            if "avgPriceMins" in f:
                out["avg_price_mins"] = _int(f, "avgPriceMins")
        elif kind == "MIN_NOTIONAL":
            legacy_min = (_dec(f, "minNotional"), _bool(f, "applyToMarket", True))
            if "avgPriceMins" in f and "avg_price_mins" not in out:
                out["avg_price_mins"] = _int(f, "avgPriceMins")
        elif kind == "ICEBERG_PARTS":
            out["iceberg_parts"] = _int(f, "limit")
        elif kind == "MAX_NUM_ORDERS":
            out["max_num_orders"] = _int(f, "maxNumOrders")
        elif kind == "MAX_NUM_ALGO_ORDERS":
            out["max_num_algo_orders"] = _int(f, "maxNumAlgoOrders")
        elif kind == "MAX_NUM_ICEBERG_ORDERS":
            out["max_num_iceberg_orders"] = _int(f, "maxNumIcebergOrders")
        elif kind == "MAX_POSITION":
            out["max_position"] = _dec(f, "maxPosition")
        elif kind == "PERCENT_PRICE_BY_SIDE":
            out["bid_multiplier_up"] = _dec(f, "bidMultiplierUp")
            out["bid_multiplier_down"] = _dec(f, "bidMultiplierDown")
            out["ask_multiplier_up"] = _dec(f, "askMultiplierUp")
            out["ask_multiplier_down"] = _dec(f, "askMultiplierDown")
        elif kind == "PERCENT_PRICE":
            # Same bounds for both sides; the stricter one wins if both filters are present.
            up, down = _dec(f, "multiplierUp"), _dec(f, "multiplierDown")
            for side in ("bid", "ask"):
                cur_up = out.get(f"{side}_multiplier_up")
                cur_down = out.get(f"{side}_multiplier_down")
                out[f"{side}_multiplier_up"] = up if cur_up is None else min(up, cur_up)
                out[f"{side}_multiplier_down"] = down if cur_down is None else max(down, cur_down)
        elif kind == "TRAILING_DELTA":
            out["min_trailing_above"] = _int(f, "minTrailingAboveDelta")
            out["max_trailing_above"] = _int(f, "maxTrailingAboveDelta")
            out["min_trailing_below"] = _int(f, "minTrailingBelowDelta")
            out["max_trailing_below"] = _int(f, "maxTrailingBelowDelta")
        else:
            unknown.append(str(kind))
    if legacy_min is not None:
        # Both present: keep the stricter minimum, applied to market orders if either says so.
        value, to_market = legacy_min
        if "min_notional" in out:
            out["min_notional"] = max(out["min_notional"], value)
            out["apply_min_to_market"] = out["apply_min_to_market"] or to_market
        else:
            out["min_notional"] = value
            out["apply_min_to_market"] = to_market
    return SymbolRules(
        symbol=s.symbol,
        base_asset=s.baseAsset,
        quote_asset=s.quoteAsset,
        status=s.status,
        base_precision=s.baseAssetPrecision,
        quote_precision=s.quotePrecision,
        quote_asset_precision=(
            s.quotePrecision if s.quoteAssetPrecision is None else s.quoteAssetPrecision
        ),
        order_types=frozenset(s.orderTypes),
        iceberg_allowed=s.icebergAllowed,
        oco_allowed=s.ocoAllowed,
        oto_allowed=s.otoAllowed,
        quote_order_qty_market_allowed=s.quoteOrderQtyMarketAllowed,
        trailing_allowed=s.allowTrailingStop,
        cancel_replace_allowed=s.cancelReplaceAllowed,
        spot_allowed=s.isSpotTradingAllowed,
        unknown_filters=tuple(unknown),
        **out,
    )


# ── an intent on Binance's wire ──────────────────────────────────────────────────────────────


def wire_type(intent: OrderIntent) -> OrderType:
    """The order type Binance receives: a post-only LIMIT is a LIMIT_MAKER (Spot has no
    post-only flag); everything else is sent as its own type."""
    if intent.post_only and intent.type is OrderType.LIMIT:
        return OrderType.LIMIT_MAKER
    return intent.type


def to_new_order(intent: OrderIntent) -> NewOrder:
    """A validated intent as POST /api/v3/order parameters. A LIMIT_MAKER carries no
    timeInForce on the wire (Binance answers -1106), so a post-only intent's GTC is dropped."""
    kind = wire_type(intent)
    return NewOrder(
        symbol=intent.symbol.binance,
        side=intent.side,
        type=kind,
        client_order_id=intent.client_order_id,
        quantity=intent.qty,
        quote_order_qty=intent.quote_qty,
        price=intent.price,
        time_in_force=None if kind is OrderType.LIMIT_MAKER else intent.time_in_force,
        stop_price=intent.stop_price,
        trailing_delta=intent.trailing_delta,
        iceberg_qty=intent.iceberg_qty,
    )


def oco_leg(leg: OrderIntent) -> OcoLeg:
    """One leg of a bracket as an OCO list's leg (a post-only take-profit is a LIMIT_MAKER)."""
    kind = OrderType.LIMIT_MAKER if leg.post_only else leg.type
    return OcoLeg(
        type=kind,
        client_order_id=leg.client_order_id,
        price=leg.price,
        stop_price=leg.stop_price,
        trailing_delta=leg.trailing_delta,
        time_in_force=leg.time_in_force if kind is OrderType.STOP_LOSS_LIMIT else None,
    )
