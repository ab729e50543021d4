"""Builders for the risk and validation tests: sim symbol specs, their rules, intents."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tradeguard.model import OrderIntent, OrderType, Side, Symbol, TimeInForce
from tradeguard.sim import wire
from tradeguard.sim.engine import Engine
from tradeguard.sim.records import EngineConfig, MarketParams, NewOrder, SymbolSpec
from tradeguard.symbol_rules import SymbolRules
from tradeguard.venues.binance.rules import symbol_rules, to_new_order

D = Decimal
BTC = Symbol("BTC", "USDT")
LAST = D("60000")


def spec(**kw: Any) -> SymbolSpec:
    return SymbolSpec("BTCUSDT", "BTC", "USDT", kw.pop("initial_price", LAST), **kw)


def rules_of(s: SymbolSpec) -> SymbolRules:
    """The rules as tradeguard reads them from the simulator's own exchangeInfo entry."""
    return symbol_rules(wire.symbol_json(s))


RULES = rules_of(spec())


def engine(s: SymbolSpec) -> Engine:
    """A still market (no volatility, no flow) with deep balances."""
    return Engine(
        EngineConfig(
            symbols=[s],
            balances={"alice": {"USDT": D("1e12"), "BTC": D("1e7")}},
            market=MarketParams(volatility_bps=D(0), flow_qty_quote=D(0)),
        )
    )


def sim_order(intent: OrderIntent) -> NewOrder:
    """The intent as the simulator parses it off the wire (through tradeguard's wire mapping)."""
    o = to_new_order(intent)
    return NewOrder(
        symbol=o.symbol,
        side=o.side.value,
        type=o.type.value,
        time_in_force=None if o.time_in_force is None else o.time_in_force.value,
        quantity=o.quantity,
        quote_order_qty=o.quote_order_qty,
        price=o.price,
        new_client_order_id=o.client_order_id,
        stop_price=o.stop_price,
        trailing_delta=o.trailing_delta,
        iceberg_qty=o.iceberg_qty,
    )


def intent(
    type_: OrderType = OrderType.LIMIT,
    side: Side = Side.BUY,
    *,
    qty: str | None = "0.01",
    price: str | None = "59000",
    tif: TimeInForce | None = TimeInForce.GTC,
    **kw: Any,
) -> OrderIntent:
    return OrderIntent(
        client_order_id=kw.pop("client_order_id", "t-1"),
        symbol=kw.pop("symbol", BTC),
        side=side,
        type=type_,
        qty=None if qty is None else D(qty),
        price=None if price is None else D(price),
        time_in_force=tif,
        **kw,
    )
