"""FIX order messages on the simulator's engine: NewOrderSingle <D> and OrderCancelRequest <F>
as their REST twins' parameters, and the engine's executionReport events as ExecutionReport <8>.

The REST handlers do the work (`rest_trade`: the same format checks, filters and engine), so
an order means the same whichever wire carried it. The acks are not built here: Binance's FIX
answers a D with the ExecutionReports of the account (ResponseMode EVERYTHING), which are the
engine's user events, so the session renders each one as it is delivered (`execution_report`).
A REST refusal becomes an ExecutionReport 150=8 (D) or an OrderCancelReject <9> (F), with
Binance's ErrorCode (25016) and Text (58).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Final

from tradeguard.venues.binance.fix_wire import FixMessage

_SIDES: Final = {"1": "BUY", "2": "SELL"}
_TIME_IN_FORCE: Final = {"1": "GTC", "3": "IOC", "4": "FOK"}
_SIDE_TAGS: Final = {v: k for k, v in _SIDES.items()}
_TIF_TAGS: Final = {v: k for k, v in _TIME_IN_FORCE.items()}
_EXEC_TYPES: Final = {
    "NEW": "0",
    "CANCELED": "4",
    "REPLACED": "5",
    "REJECTED": "8",
    "TRADE": "F",
    "EXPIRED": "C",
    "TRADE_PREVENTION": "C",
}
_ORD_STATUS: Final = {
    "NEW": "0",
    "PARTIALLY_FILLED": "1",
    "FILLED": "2",
    "CANCELED": "4",
    "PENDING_CANCEL": "6",
    "REJECTED": "8",
    "PENDING_NEW": "A",
    "EXPIRED": "C",
    "EXPIRED_IN_MATCH": "C",
}
_ORD_TYPE_TAGS: Final = {
    "MARKET": ("1", None),
    "LIMIT": ("2", None),
    "LIMIT_MAKER": ("2", "6"),
    "STOP_LOSS": ("3", None),
    "STOP_LOSS_LIMIT": ("4", None),
    "TAKE_PROFIT": ("3", None),
    "TAKE_PROFIT_LIMIT": ("4", None),
}


class Malformed(ValueError):
    """A message Binance answers with Reject <3>: the tag at fault and the error code."""

    def __init__(self, tag: int, code: int, text: str) -> None:
        super().__init__(text)
        self.tag = tag
        self.code = code
        self.text = text


def _required(msg: FixMessage, tag: int) -> str:
    value = msg.get(tag)
    if value is None:
        raise Malformed(tag, -1102, f"Mandatory parameter '{tag}' was not sent.")
    return value


def _order_type(msg: FixMessage, side: str) -> str:
    ord_type = _required(msg, 40)
    if ord_type == "1":
        return "MARKET"
    if ord_type == "2":
        return "LIMIT_MAKER" if msg.get(18) == "6" else "LIMIT"
    if ord_type in ("3", "4"):
        # the trigger direction names the kind: a buy stop triggers upward, a sell stop downward
        direction = _required(msg, 1109)
        stop = (side == "BUY") == (direction == "U")
        kind = "STOP_LOSS" if stop else "TAKE_PROFIT"
        return kind if ord_type == "3" else f"{kind}_LIMIT"
    raise Malformed(40, -1116, "Invalid orderType.")


def new_order_params(msg: FixMessage) -> dict[str, str]:
    """A NewOrderSingle as POST /api/v3/order's parameters (RESULT: the acks are the reports)."""
    side = _SIDES.get(_required(msg, 54))
    if side is None:
        raise Malformed(54, -1117, "Invalid side.")
    tif = msg.get(59)
    optional = {
        "timeInForce": None if tif is None else _TIME_IN_FORCE.get(tif, tif),
        "quantity": msg.get(38),
        "quoteOrderQty": msg.get(152),
        "price": msg.get(44),
        "stopPrice": msg.get(1102),
        "trailingDelta": msg.get(25009),
        "icebergQty": msg.get(111),
    }
    params = {
        "symbol": _required(msg, 55),
        "side": side,
        "type": _order_type(msg, side),
        "newClientOrderId": _required(msg, 11),
        "newOrderRespType": "RESULT",
    }
    params.update({k: v for k, v in optional.items() if v is not None})
    return params


def cancel_params(msg: FixMessage) -> dict[str, str]:
    """An OrderCancelRequest as DELETE /api/v3/order's parameters."""
    params = {"symbol": _required(msg, 55), "newClientOrderId": _required(msg, 11)}
    order_id, orig = msg.get(37), msg.get(41)
    if order_id is None and orig is None:
        raise Malformed(41, -1102, "Mandatory parameter '41' or '37' was not sent.")
    if order_id is not None:
        params["orderId"] = order_id
    if orig is not None:
        params["origClientOrderId"] = orig
    return params


_REPLACE_MODES: Final = {"1": "STOP_ON_FAILURE", "2": "ALLOW_FAILURE"}


def replace_params(msg: FixMessage) -> dict[str, str]:
    """An OrderCancelRequestAndNewOrderSingle as POST /api/v3/order/cancelReplace's
    parameters: the new order's as D's, the order to cancel by 37 and/or 41, the cancel's own
    ClOrdID 25034, the mode 25033."""
    params = new_order_params(msg)
    mode = _REPLACE_MODES.get(_required(msg, 25033))
    if mode is None:
        raise Malformed(25033, -1130, "Invalid data sent for a parameter.")
    params["cancelReplaceMode"] = mode
    order_id, orig = msg.get(37), msg.get(41)
    if order_id is None and orig is None:
        raise Malformed(41, -1102, "Mandatory parameter '41' or '37' was not sent.")
    extra = {"cancelOrderId": order_id, "cancelOrigClientOrderId": orig}
    extra["cancelNewClientOrderId"] = msg.get(25034)
    params.update({k: v for k, v in extra.items() if v is not None})
    return params


def execution_report(event: dict[str, Any], time: str) -> list[tuple[int, object]]:
    """The body of an ExecutionReport <8> for one executionReport event of the engine, with the
    fields of reference/binance-fix.md §7. `time` is TransactTime, written by the session."""
    exec_type = _EXEC_TYPES.get(str(event["x"]), "0")
    list_id = event.get("g", -1)
    body: list[tuple[int, object]] = [
        (11, event["c"]),
        (41, event.get("C") or None),
        (66, None if list_id == -1 else list_id),
        (14, event["z"]),
        (17, event["I"]),
        (32, event["l"]),
        (31, event["L"] if exec_type == "F" else None),
        (37, event["i"]),
        (38, event["q"]),
        (39, _ORD_STATUS.get(str(event["X"]), "0")),
        (40, _ORD_TYPE_TAGS.get(str(event["o"]), ("2", None))[0]),
        (44, event["p"] if str(event["p"]).strip("0.") else None),
        (54, _SIDE_TAGS.get(str(event["S"]), "1")),
        (55, event["s"]),
        (59, _TIF_TAGS.get(str(event["f"]))),
        (60, time),
        (150, exec_type),
        (151, _leaves(event)),
        (1003, event["t"] if exec_type == "F" else None),
        (1057, ("N" if event["m"] else "Y") if exec_type == "F" else None),
        (25017, event["Z"]),
    ]
    if exec_type == "F":
        body += [(136, 1), (137, event["n"]), (138, event["N"]), (139, 4)]
    body += _type_tags(str(event["o"]), str(event["S"]), event.get("P"))
    return body


def _type_tags(order_type: str, side: str, stop_price: object) -> list[tuple[int, object]]:
    """What names the order's type beyond OrdType (40): ExecInst 6 for post-only, and for a
    stop or take-profit its trigger (1100-1109; the direction tells which of the two)."""
    if order_type == "LIMIT_MAKER":
        return [(18, 6)]
    if not order_type.startswith(("STOP_LOSS", "TAKE_PROFIT")):
        return []
    upward = (side == "BUY") == order_type.startswith("STOP_LOSS")
    return [(1100, 4), (1101, 1), (1102, stop_price), (1107, 2), (1109, "U" if upward else "D")]


def _leaves(event: dict[str, Any]) -> str:
    if str(event["X"]) in ("FILLED", "CANCELED", "EXPIRED", "EXPIRED_IN_MATCH", "REJECTED"):
        return "0.00000000"
    return f"{Decimal(str(event['q'])) - Decimal(str(event['z'])):.8f}"


def order_rejected(msg: FixMessage, code: int, text: str, time: str) -> list[tuple[int, object]]:
    """ExecutionReport 150=8 for a NewOrderSingle the engine (or its checks) refused."""
    return [
        (11, msg.get(11)),
        (14, "0.00000000"),
        (32, "0.00000000"),
        (38, msg.get(38)),
        (39, "8"),
        (40, msg.get(40)),
        (44, msg.get(44)),
        (54, msg.get(54)),
        (55, msg.get(55)),
        (60, time),
        (150, "8"),
        (151, "0.00000000"),
        (25016, code),
        (58, text),
    ]


def cancel_rejected(
    msg: FixMessage, code: int, text: str, client_id: str | None = None
) -> list[tuple[int, object]]:
    """OrderCancelReject <9> for an OrderCancelRequest (or the cancel half of an XCN, whose
    `client_id` is its 25034) the engine refused."""
    return [
        (11, client_id or msg.get(11)),
        (37, msg.get(37)),
        (41, msg.get(41)),
        (55, msg.get(55)),
        (58, text),
        (434, 1),
        (25016, code),
    ]
