"""Builders for engine tests: a still market unless a test asks it to move."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tradeguard.sim.engine import Engine
from tradeguard.sim.records import EngineConfig, MarketParams, NewOrder, SymbolSpec

D = Decimal
SYMBOL = "BTCUSDT"
# With volatility 0 the reference stays at 60000.00: synthetic bids at 59999.98, 59999.93, ...
# and asks at 60000.02, 60000.07, ..., each level 20000 USDT / price = 0.33333 BTC.
BEST_BID = D("59999.98")
BEST_ASK = D("60000.02")
LEVEL_QTY = D("0.33333")


def spec(**kw: Any) -> SymbolSpec:
    return SymbolSpec(SYMBOL, "BTC", "USDT", D("60000"), **kw)


def make(
    *,
    flow: str = "0",
    vol: str = "0",
    seed: int = 1,
    balances: dict[str, dict[str, Decimal]] | None = None,
    extra_symbols: list[SymbolSpec] | None = None,
    **spec_kw: Any,
) -> Engine:
    params = MarketParams(volatility_bps=D(vol), flow_qty_quote=D(flow))
    if balances is None:
        balances = {
            "alice": {"USDT": D("100000"), "BTC": D("2")},
            "bob": {"USDT": D("100000"), "BTC": D("2")},
            "carol": {"USDT": D("100000"), "BTC": D("2")},
        }
    return Engine(
        EngineConfig(
            symbols=[spec(**spec_kw), *(extra_symbols or [])],
            balances=balances,
            market=params,
            seed=seed,
        )
    )


def limit(side: str, qty: str, price: str, tif: str = "GTC", **kw: Any) -> NewOrder:
    return NewOrder(SYMBOL, side, "LIMIT", time_in_force=tif, quantity=D(qty), price=D(price), **kw)


def market(side: str, qty: str | None = None, quote: str | None = None, **kw: Any) -> NewOrder:
    return NewOrder(
        SYMBOL,
        side,
        "MARKET",
        quantity=None if qty is None else D(qty),
        quote_order_qty=None if quote is None else D(quote),
        **kw,
    )


def stop(
    type_: str,
    side: str,
    qty: str,
    stop_price: str | None = None,
    price: str | None = None,
    **kw: Any,
) -> NewOrder:
    limit_type = type_.endswith("_LIMIT")
    return NewOrder(
        SYMBOL,
        side,
        type_,
        time_in_force="GTC" if limit_type else None,
        quantity=D(qty),
        price=None if price is None else D(price),
        stop_price=None if stop_price is None else D(stop_price),
        **kw,
    )


def reports(engine: Engine, account: str | None = None) -> list[dict[str, Any]]:
    """Drain the user events and keep the executionReports (of one account if given)."""
    return [
        ev.payload
        for ev in engine.drain_user_events()
        if ev.payload["e"] == "executionReport" and (account is None or ev.account == account)
    ]


def free(engine: Engine, account: str, asset: str) -> Decimal:
    return engine.balances(account)[asset].free


def locked(engine: Engine, account: str, asset: str) -> Decimal:
    return engine.balances(account)[asset].locked
