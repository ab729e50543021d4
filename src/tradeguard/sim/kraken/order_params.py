"""AddOrder's parameters, read as Kraken reads them, into the engine's `NewOrder`.

    ordertype           engine type
    limit               LIMIT (GTC, or IOC with timeinforce=IOC); LIMIT_MAKER with oflags=post
    iceberg             LIMIT with icebergQty = displayvol (displayvol on a limit does the same)
    market              MARKET by volume; by cost (quoteOrderQty) with oflags=viqc
    stop-loss           STOP_LOSS, trigger = price
    take-profit         TAKE_PROFIT, trigger = price
    stop-loss-limit     STOP_LOSS_LIMIT, trigger = price, limit = price2
    take-profit-limit   TAKE_PROFIT_LIMIT, trigger = price, limit = price2

Not served (refused `EGeneral:Invalid arguments:<name>`): trailing stops, settle-position,
relative prices (+/-/#/%), GTD and FOK time in force, start/expire times, conditional close,
margin (leverage, reduce_only).

Fees: the engine charges a buyer in the base and a seller in the quote (render.oflags says so
with `fcib` / `fciq`). A fee flag asking for the other asset, or both, is refused
(`EGeneral:Invalid arguments:oflags`) rather than taken and charged otherwise [deviation:
Kraken honours either].
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Final

from tradeguard.sim.kraken.errors import UNKNOWN_PAIR, KrakenError, invalid_argument
from tradeguard.sim.kraken.names import Names, Pair
from tradeguard.sim.records import NewOrder

_TYPES: Final = {
    "limit": "LIMIT",
    "iceberg": "LIMIT",
    "market": "MARKET",
    "stop-loss": "STOP_LOSS",
    "take-profit": "TAKE_PROFIT",
    "stop-loss-limit": "STOP_LOSS_LIMIT",
    "take-profit-limit": "TAKE_PROFIT_LIMIT",
}
_FLAGS: Final = frozenset({"post", "fcib", "fciq", "nompp", "viqc"})
_FEE_FLAG: Final = {"buy": "fcib", "sell": "fciq"}  # the asset the engine charges each side in
_UUID_RE: Final = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)
_HEX32_RE: Final = re.compile(r"[0-9a-fA-F]{32}")
_FREE_TEXT_RE: Final = re.compile(r"[\x20-\x7e]{1,18}")
_DECIMAL_RE: Final = re.compile(r"[0-9]+(\.[0-9]+)?|\.[0-9]+")
_UNSUPPORTED: Final = ("starttm", "expiretm", "leverage", "reduce_only", "close[ordertype]")
USERREF_RANGE: Final = 2**31


@dataclass(frozen=True, slots=True)
class AddOrder:
    order: NewOrder
    pair: Pair
    validate: bool


def client_order_id(raw: str | None) -> str | None:
    """A cl_ord_id in one of Kraken's formats: a UUID, 32 hex digits, or up to 18 characters."""
    if raw is None:
        return None
    if _UUID_RE.fullmatch(raw) or _HEX32_RE.fullmatch(raw) or _FREE_TEXT_RE.fullmatch(raw):
        return raw
    raise invalid_argument("cl_ord_id")


def userref(raw: str | None) -> int | None:
    if raw is None:
        return None
    try:
        value = int(raw)
    except ValueError:
        raise invalid_argument("userref") from None
    if not -USERREF_RANGE <= value < USERREF_RANGE:
        raise invalid_argument("userref")
    return value


def boolean(raw: str | None) -> bool:
    return raw is not None and raw.lower() in ("true", "1")


def amount(params: dict[str, str], name: str, required: bool = False) -> Decimal | None:
    raw = params.get(name)
    if raw is None or raw == "":
        if required:
            raise invalid_argument(name)
        return None
    if not _DECIMAL_RE.fullmatch(raw):
        raise invalid_argument(name)  # relative (+5, -1%, #3) and signed prices are not served
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise invalid_argument(name) from None
    if value <= 0:
        raise invalid_argument(name)
    return value


def parse(params: dict[str, str], names: Names) -> AddOrder:
    pair = names.pair(params.get("pair", ""))
    if pair is None:
        raise KrakenError(UNKNOWN_PAIR)
    side = params.get("type")
    if side not in ("buy", "sell"):
        raise invalid_argument("type")
    kind = params.get("ordertype", "")
    engine_type = _TYPES.get(kind)
    if engine_type is None:
        raise invalid_argument("ordertype")
    for name in _UNSUPPORTED:
        if name in params:
            raise invalid_argument(name)
    flags = {f for f in params.get("oflags", "").split(",") if f}
    if not flags <= _FLAGS or flags & {"fcib", "fciq"} - {_FEE_FLAG[side]}:
        raise invalid_argument("oflags")
    tif = params.get("timeinforce", "GTC").upper()
    if tif not in ("GTC", "IOC"):
        raise invalid_argument("timeinforce")
    volume = amount(params, "volume", required=True)
    price = amount(params, "price", required=kind != "market")
    price2 = amount(params, "price2", required=kind.endswith("-limit"))
    display = amount(params, "displayvol", required=kind == "iceberg")
    order = NewOrder(
        symbol=pair.symbol,
        side=side.upper(),
        type=engine_type,
        new_client_order_id=client_order_id(params.get("cl_ord_id")),
        strategy_id=userref(params.get("userref")),
    )
    if kind == "market":
        if price is not None:
            raise invalid_argument("price")
        if "viqc" in flags:
            if side != "buy":
                raise invalid_argument("viqc")
            order.quote_order_qty = volume
        else:
            order.quantity = volume
        if "post" in flags:
            raise invalid_argument("oflags")
        return AddOrder(order, pair, boolean(params.get("validate")))
    if "viqc" in flags:
        raise invalid_argument("viqc")
    order.quantity = volume
    if kind in ("limit", "iceberg"):
        order.price = price
        if "post" in flags:
            if tif != "GTC":
                raise invalid_argument("timeinforce")
            order.type = "LIMIT_MAKER"
        else:
            order.time_in_force = tif
        order.iceberg_qty = display
    elif display is not None:
        raise invalid_argument("displayvol")
    elif kind.endswith("-limit"):
        order.stop_price, order.price, order.time_in_force = price, price2, tif
    else:
        order.stop_price = price
    return AddOrder(order, pair, boolean(params.get("validate")))
