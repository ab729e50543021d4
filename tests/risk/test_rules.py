"""exchangeInfo -> SymbolRules: the simulator's entry, Binance's real shapes, bad bodies."""

from __future__ import annotations

import msgspec
import pytest

from tradeguard.model import OrderType, TimeInForce
from tradeguard.sim import wire
from tradeguard.venues.binance.parse import ParseError
from tradeguard.venues.binance.rules import parse_exchange_info, symbol_rules, to_new_order

from .builders import D, intent, spec

# Shaped like a real Binance Spot entry (2024-2026): legacy and new filters side by side.
REAL = {
    "symbol": "ETHBTC",
    "status": "TRADING",
    "baseAsset": "ETH",
    "baseAssetPrecision": 8,
    "quoteAsset": "BTC",
    "quotePrecision": 8,
    "quoteAssetPrecision": 8,
    "orderTypes": ["LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT"],
    "icebergAllowed": True,
    "ocoAllowed": True,
    "quoteOrderQtyMarketAllowed": True,
    "allowTrailingStop": True,
    "cancelReplaceAllowed": True,
    "isSpotTradingAllowed": True,
    "filters": [
        {
            "filterType": "PRICE_FILTER",
            "minPrice": "0.00001000",
            "maxPrice": "922327.00000000",
            "tickSize": "0.00001000",
        },
        {
            "filterType": "LOT_SIZE",
            "minQty": "0.00010000",
            "maxQty": "100000.00000000",
            "stepSize": "0.00010000",
        },
        {"filterType": "ICEBERG_PARTS", "limit": 10},
        {
            "filterType": "MARKET_LOT_SIZE",
            "minQty": "0.00000000",
            "maxQty": "2335.33",
            "stepSize": "0.00000000",
        },
        {
            "filterType": "TRAILING_DELTA",
            "minTrailingAboveDelta": 10,
            "maxTrailingAboveDelta": 2000,
            "minTrailingBelowDelta": 10,
            "maxTrailingBelowDelta": 2000,
        },
        {
            "filterType": "PERCENT_PRICE_BY_SIDE",
            "bidMultiplierUp": "5",
            "bidMultiplierDown": "0.2",
            "askMultiplierUp": "5",
            "askMultiplierDown": "0.2",
            "avgPriceMins": 5,
        },
        {
            "filterType": "NOTIONAL",
            "minNotional": "0.00010000",
            "applyMinToMarket": True,
            "maxNotional": "9000000.00000000",
            "applyMaxToMarket": False,
            "avgPriceMins": 5,
        },
        {
            "filterType": "MIN_NOTIONAL",
            "minNotional": "0.00020000",
            "applyToMarket": False,
            "avgPriceMins": 5,
        },
        {"filterType": "MAX_NUM_ORDERS", "maxNumOrders": 200},
        {"filterType": "MAX_NUM_ALGO_ORDERS", "maxNumAlgoOrders": 5},
        {"filterType": "MAX_NUM_ICEBERG_ORDERS", "maxNumIcebergOrders": 5},
        {"filterType": "MAX_POSITION", "maxPosition": "10.0"},
        {"filterType": "SOMETHING_NEW", "x": 1},
    ],
}


def test_the_simulators_entry_reads_back_its_spec() -> None:
    s = spec(tick_size=D("0.5"), min_qty=D("0.001"), step_size=D("0.001"), iceberg_parts=7)
    r = symbol_rules(wire.symbol_json(s))
    assert (r.symbol, r.base_asset, r.quote_asset, r.status) == (
        "BTCUSDT",
        "BTC",
        "USDT",
        "TRADING",
    )
    assert (r.tick_size, r.min_price, r.max_price) == (D("0.5"), s.min_price, s.max_price)
    assert (r.min_qty, r.step_size, r.max_qty) == (D("0.001"), D("0.001"), s.max_qty)
    assert r.market_step == D("0.001")  # MARKET_LOT_SIZE step 0: LOT_SIZE's applies
    assert r.iceberg_parts == 7 and r.max_num_orders == 200 and r.max_num_algo_orders == 5
    assert r.min_notional == s.min_notional and r.apply_min_to_market is True
    assert r.order_types == {t.value for t in OrderType}
    assert str(r.tick_size) == "0.5"  # trailing zeros dropped, never an exponent


def test_a_real_entry() -> None:
    body = msgspec.json.encode(
        {
            "timezone": "UTC",
            "serverTime": 1,
            "rateLimits": [],
            "exchangeFilters": [],
            "symbols": [REAL],
        }
    )
    r = parse_exchange_info(body)["ETHBTC"]
    assert r.tick_size == D("0.00001") and str(r.step_size) == "0.0001"
    assert r.market_max_qty == D("2335.33") and r.market_step == D("0.0001")
    # NOTIONAL and the legacy MIN_NOTIONAL merged: the stricter minimum, market if either says.
    assert r.min_notional == D("0.0002") and r.apply_min_to_market is True
    assert r.max_notional == D(9000000) and r.avg_price_mins == 5
    assert (r.bid_multiplier_up, r.ask_multiplier_down) == (D(5), D("0.2"))
    assert r.max_num_iceberg_orders == 5 and r.max_position == D(10)
    assert r.min_trailing_below == 10 and r.max_trailing_above == 2000
    assert r.unknown_filters == ("SOMETHING_NEW",)
    assert r.oco_allowed and r.trailing_allowed and r.cancel_replace_allowed


def test_percent_price_applies_to_both_sides() -> None:
    entry = dict(
        REAL,
        filters=[
            {
                "filterType": "PERCENT_PRICE",
                "multiplierUp": "1.1",
                "multiplierDown": "0.9",
                "avgPriceMins": 5,
            }
        ],
    )
    r = symbol_rules(entry)
    assert (r.bid_multiplier_up, r.bid_multiplier_down) == (D("1.1"), D("0.9"))
    assert (r.ask_multiplier_up, r.ask_multiplier_down) == (D("1.1"), D("0.9"))


@pytest.mark.parametrize(
    "bad",
    [
        {"filterType": "LOT_SIZE", "minQty": "0.1", "maxQty": "100"},
        {"filterType": "LOT_SIZE", "minQty": "0.1", "maxQty": "100", "stepSize": 0.1},
        {"filterType": "PRICE_FILTER", "minPrice": "x", "maxPrice": "1", "tickSize": "1"},
        {"filterType": "PRICE_FILTER", "minPrice": "-1", "maxPrice": "1", "tickSize": "1"},
        {"filterType": "ICEBERG_PARTS", "limit": "10"},
        {"filterType": "NOTIONAL", "minNotional": "1", "maxNotional": "2", "applyMinToMarket": 1},
    ],
)
def test_a_malformed_filter_is_a_parse_error_naming_it(bad: dict[str, object]) -> None:
    with pytest.raises(ParseError, match=str(bad["filterType"])):
        symbol_rules(dict(REAL, filters=[bad]))


def test_an_unreadable_body_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="exchangeInfo"):
        parse_exchange_info(b'{"symbols": [{"symbol": 1}]}')
    with pytest.raises(ParseError):
        parse_exchange_info(b"<html>502</html>")


def test_an_intent_on_the_wire() -> None:
    o = to_new_order(intent(qty="0.01", price="60000", iceberg_qty=D("0.002")))
    assert (o.symbol, o.type, o.time_in_force, o.iceberg_qty) == (
        "BTCUSDT",
        OrderType.LIMIT,
        TimeInForce.GTC,
        D("0.002"),
    )
    assert to_new_order(intent(post_only=True)).type is OrderType.LIMIT_MAKER
