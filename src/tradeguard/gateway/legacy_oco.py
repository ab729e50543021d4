"""The deprecated `POST /api/v3/order/oco`, which Binance still serves, as the current
`/api/v3/orderList/oco`'s parameters.

Pure. The legacy OCO names its legs by kind, not by place: the limit leg (`price`,
`limitClientOrderId`, `limitIcebergQty`) is a LIMIT_MAKER; the stop leg (`stopPrice` and/or
`trailingDelta`, `stopClientOrderId`, `stopIcebergQty`) is a STOP_LOSS, or a STOP_LOSS_LIMIT
when `stopLimitPrice` is sent (with `stopLimitTimeInForce`). A SELL takes profit above the
market and stops out below it; a BUY the other way round. Binance's legacy reply shows the stop
leg first. A parameter the legacy endpoint requires is checked here, under its legacy name, so
a refusal names what the bot sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from tradeguard.gateway.order_params import required
from tradeguard.gateway.wire_errors import binance

PATH: Final = "/api/v3/order/oco"
# the list's own parameters, the same in both endpoints
_SHARED: Final = (
    "symbol", "side", "quantity", "listClientOrderId", "newOrderRespType",
    "selfTradePreventionMode",
)  # fmt: skip


def as_order_list(params: Mapping[str, str]) -> dict[str, str]:
    """The legacy request as `POST /api/v3/orderList/oco`'s parameters (-1102 naming a
    legacy parameter that is missing)."""
    side = required(params, "side").upper()
    required(params, "quantity")
    required(params, "price")
    if not params.get("stopPrice") and not params.get("trailingDelta"):
        raise binance(-1102, "stopPrice", "trailingDelta", variant=2)
    stop_limit = params.get("stopLimitPrice")
    if stop_limit and not params.get("stopLimitTimeInForce"):
        raise binance(-1102, "stopLimitTimeInForce")
    limit_leg = {
        "Type": "LIMIT_MAKER",
        "Price": params["price"],
        "ClientOrderId": params.get("limitClientOrderId"),
        "IcebergQty": params.get("limitIcebergQty"),
    }
    stop_leg = {
        "Type": "STOP_LOSS_LIMIT" if stop_limit else "STOP_LOSS",
        "Price": stop_limit,
        "StopPrice": params.get("stopPrice"),
        "TrailingDelta": params.get("trailingDelta"),
        "TimeInForce": params.get("stopLimitTimeInForce") if stop_limit else None,
        "ClientOrderId": params.get("stopClientOrderId"),
        "IcebergQty": params.get("stopIcebergQty"),
    }
    above, below = (limit_leg, stop_leg) if side == "SELL" else (stop_leg, limit_leg)
    out = {name: params[name] for name in _SHARED if name in params}
    for prefix, leg in (("above", above), ("below", below)):
        out |= {prefix + suffix: value for suffix, value in leg.items() if value}
    return out


def stop_leg_first(reply: dict[str, Any]) -> dict[str, Any]:
    """The list's reply in the legacy order: the stop leg's report and order first."""
    reports = sorted(reply["orderReports"], key=lambda r: not r["type"].startswith("STOP_"))
    place = {r["clientOrderId"]: i for i, r in enumerate(reports)}
    orders = sorted(reply["orders"], key=lambda o: place.get(o["clientOrderId"], len(place)))
    return reply | {"orders": orders, "orderReports": reports}
