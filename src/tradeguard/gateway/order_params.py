"""A Binance `POST /api/v3/order` request as the session's `OrderIntent`.

Pure. The bot's `newClientOrderId` becomes the order's client order id in the journal (the id
the bot will query and cancel by); without one the session names it. A missing mandatory
parameter is Binance's -1102, an unknown type or side -1116 / -1117; a symbol outside the
profile's is refused by the guard as any order it was not set up to trade.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

from tradeguard.errors import ConfigError
from tradeguard.gateway.wire_errors import GUARD_REFUSED, WireError, binance
from tradeguard.intents import intent
from tradeguard.model import OrderIntent, OrderType, Side, Symbol
from tradeguard.symbol_rules import SymbolRules

CLIENT_ID_RE: Final = re.compile(r"[a-zA-Z0-9_-]{1,36}")
RESPONSE_TYPES: Final = ("ACK", "RESULT", "FULL")
_STOPS: Final = {"STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT"}
_LIMITS: Final = {"LIMIT", "LIMIT_MAKER", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT"}


def symbol_of(params: Mapping[str, str], rules: Mapping[str, SymbolRules]) -> Symbol:
    """The request's `symbol` as the session's Symbol; -1102 if absent, refused if not traded."""
    name = required(params, "symbol").upper()
    found = rules.get(name)
    if found is None:
        traded = ", ".join(sorted(rules))
        raise WireError(
            GUARD_REFUSED,
            f"tradeguard: {name} is not among this profile's symbols ({traded})",
            400,
        )
    return Symbol(found.base_asset, found.quote_asset)


def required(params: Mapping[str, str], name: str, sent_as: str | None = None) -> str:
    """`params[name]`; -1102 naming it (as `sent_as`, the bot's name for it) if absent."""
    value = params.get(name, "")
    if not value:
        raise binance(-1102, sent_as or name)
    return value


def response_type(params: Mapping[str, str]) -> str:
    """newOrderRespType, or Binance's default: FULL for MARKET and LIMIT, ACK otherwise."""
    asked = params.get("newOrderRespType")
    if asked is None:
        return "FULL" if params.get("type", "").upper() in ("MARKET", "LIMIT") else "ACK"
    if asked.upper() not in RESPONSE_TYPES:
        raise binance(-1130, "newOrderRespType")
    return asked.upper()


def order_intent(
    params: Mapping[str, str],
    rules: Mapping[str, SymbolRules],
    client_order_id: str,
    sent_as: Mapping[str, str] | None = None,
) -> OrderIntent:
    """The intent a new-order request asks for, named `client_order_id`. `sent_as` names a
    parameter as the bot sent it where that differs (an order list's leg: `workingPrice` for
    `price`), so an error names what the bot sent, as Binance's does."""
    names = sent_as or {}

    def name(of: str) -> str:
        return names.get(of, of)

    symbol = symbol_of(params, rules)
    side = required(params, "side", name("side")).upper()
    if side not in (s.value for s in Side):
        raise binance(-1117)
    kind = required(params, "type", name("type")).upper()
    if kind not in (t.value for t in OrderType):
        raise binance(-1116)
    if kind == "MARKET" and not params.get("quantity") and not params.get("quoteOrderQty"):
        raise binance(-1102, name("quantity"), name("quoteOrderQty"), variant=2)
    if kind != "MARKET":
        required(params, "quantity", name("quantity"))
    if kind in _LIMITS:
        required(params, "price", name("price"))
    if kind in _STOPS and not params.get("stopPrice") and not params.get("trailingDelta"):
        raise binance(-1102, name("stopPrice"), name("trailingDelta"), variant=2)
    post_only = kind == "LIMIT_MAKER"
    trailing = params.get("trailingDelta")
    if trailing is not None and not trailing.isdigit():
        raise binance(-1130, name("trailingDelta"))
    try:
        return intent(
            client_order_id,
            symbol,
            side,
            OrderType.LIMIT if post_only else kind,
            qty=params.get("quantity") or None,
            quote_qty=params.get("quoteOrderQty") or None,
            price=params.get("price") or None,
            stop_price=params.get("stopPrice") or None,
            time_in_force=None if post_only else (params.get("timeInForce") or None),
            trailing_delta=int(trailing) if trailing else None,
            iceberg_qty=params.get("icebergQty") or None,
            post_only=post_only,
        )
    except ConfigError as exc:
        raise WireError(-1100 if "number" in exc.message else -1130, _plain(exc), 400) from None


def _plain(exc: ConfigError) -> str:
    return f"tradeguard: {exc.message}"


def client_id(params: Mapping[str, str], name: str = "newClientOrderId") -> str | None:
    """The bot's client id `name`, checked as Binance does (-1100 outside its alphabet)."""
    asked = params.get(name)
    if asked is None:
        return None
    if not CLIENT_ID_RE.fullmatch(asked):
        raise binance(-1100, name, "^[a-zA-Z0-9-_]{1,36}$")
    return asked
