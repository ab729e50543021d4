"""OKX order requests read into the engine's `NewOrder`, and the engine's orders shown as OKX's.

One order object of POST /api/v5/trade/batch-orders (or /trade/order, /trade/order-algo) is
checked field by field in OKX's words (51000 "Parameter sz error", 51001 unknown instId) before
the engine judges what it means (filters, balances, duplicates) in Binance's codes, which
`errors.from_engine` says again as OKX does.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, Final

from tradeguard.sim.okx import wire
from tradeguard.sim.okx.errors import OkxReject, param_error
from tradeguard.sim.records import NewOrder, SimOrder, SymbolSpec

if TYPE_CHECKING:
    from tradeguard.sim.app import Sim
    from tradeguard.sim.okx.state import OkxState

ALL: Final = 1_000_000  # "every row" for the engine's list calls
CL_ORD_ID_RE: Final = re.compile(r"[A-Za-z0-9]{1,32}")
STP_MODES: Final = {
    "cancel_maker": "EXPIRE_MAKER",
    "cancel_taker": "EXPIRE_TAKER",
    "cancel_both": "EXPIRE_BOTH",
}
# OKX ordType -> (engine type, time in force).
REGULAR_TYPES: Final[dict[str, tuple[str, str | None]]] = {
    "limit": ("LIMIT", "GTC"),
    "post_only": ("LIMIT_MAKER", None),
    "ioc": ("LIMIT", "IOC"),
    "fok": ("LIMIT", "FOK"),
    "market": ("MARKET", None),
}


def spec_for(sim: Sim, inst_id: object) -> SymbolSpec:
    """The engine symbol an OKX instId names; 51001 if none."""
    if isinstance(inst_id, str):
        for spec in sim.symbols().values():
            if wire.inst_id(spec) == inst_id:
                return spec
    if not inst_id:
        raise param_error("instId")
    raise OkxReject("51001")


def field(req: dict[str, Any], name: str, required: bool = False) -> str | None:
    value = req.get(name)
    if value is None or value == "":
        if required:
            raise param_error(name)
        return None
    if not isinstance(value, str):
        raise param_error(name)
    return value


def decimal(req: dict[str, Any], name: str, required: bool = False) -> Decimal | None:
    text = field(req, name, required)
    if text is None:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise param_error(name) from None
    if not value.is_finite() or value <= 0:
        raise param_error(name)
    return value


def client_id(req: dict[str, Any], name: str = "clOrdId") -> str | None:
    value = field(req, name)
    if value is not None and not CL_ORD_ID_RE.fullmatch(value):
        raise param_error(name)
    return value


def side_of(req: dict[str, Any]) -> str:
    side = field(req, "side", required=True)
    if side not in ("buy", "sell"):
        raise param_error("side")
    return side.upper()


def stp_mode(req: dict[str, Any]) -> str | None:
    mode = field(req, "stpMode")
    if mode is None:
        return None
    if mode not in STP_MODES:
        raise param_error("stpMode")
    return STP_MODES[mode]


def regular_order(sim: Sim, req: object) -> tuple[SymbolSpec, NewOrder]:
    """A batch-orders / order entry as the engine's NewOrder."""
    if not isinstance(req, dict):
        raise OkxReject("50002", "Each order must be a JSON object")
    spec = spec_for(sim, req.get("instId"))
    if field(req, "tdMode", required=True) != "cash":
        raise param_error("tdMode")
    side = side_of(req)
    kind = field(req, "ordType", required=True)
    if kind not in REGULAR_TYPES:
        raise param_error("ordType")
    type_, tif = REGULAR_TYPES[kind]
    size = decimal(req, "sz", required=True)
    price = None if type_ == "MARKET" else decimal(req, "px", required=True)
    target = field(req, "tgtCcy")
    if target not in (None, "base_ccy", "quote_ccy"):
        raise param_error("tgtCcy")
    # A spot market buy is sized in quote currency unless tgtCcy says otherwise (OKX's default).
    in_quote = type_ == "MARKET" and (target == "quote_ccy" or (target is None and side == "BUY"))
    return spec, NewOrder(
        symbol=spec.symbol,
        side=side,
        type=type_,
        time_in_force=tif,
        quantity=None if in_quote else size,
        quote_order_qty=size if in_quote else None,
        price=price,
        new_client_order_id=client_id(req),
        self_trade_prevention_mode=stp_mode(req),
        new_order_resp_type="ACK",
    )


def order_json(sim: Sim, state: OkxState, o: SimOrder) -> wire.Json:
    spec = sim.symbols()[o.symbol]
    trades = sim.engine.my_trades(o.account, o.symbol, order_id=o.order_id, limit=ALL)
    return wire.order(o, spec, trades, state.cl_ord_id(o.symbol, o.order_id, o.client_order_id))
