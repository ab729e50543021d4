"""Binance's FIX order messages for the client: a REST order `Request` as the FIX message that
carries it, and the FIX answer as the REST `Response` the transport already reads. Pure.

    POST   /api/v3/order   NewOrderSingle <D>       answered by ExecutionReport <8> (150=0 or,
                                                    refused, 150=8 with 25016/58) or Reject <3>
    DELETE /api/v3/order   OrderCancelRequest <F>   answered by ExecutionReport <8> (150=4) or
                                                    OrderCancelReject <9> (25016/58) or Reject <3>
    POST /api/v3/order/    OrderCancelRequestAnd-   the cancel's answer (as F's) first, then the
         cancelReplace     NewOrderSingle <XCN>     new order's (as D's); a refusal before either
                                                    half ran: one ExecutionReport 150=8 (or <3>)
                                                    for the new order; read as cancelReplace's
                                                    200, or its 409 -2021 / 400 -2022 with both
                                                    halves under `data`
    POST /api/v3/  NewOrderList <E>: 1385=1     each leg's ExecutionReport <8> (as D's; an
      orderList/   OCO, the below leg first;    OTO's pending legs OrdStatus A, PENDING_NEW),
      oco, oto,    1385=2 OTO / OTOCO, the      then ListStatus <N> by ClListID 25014 (431=7
      otoco        working order first; each    with 25016/58: refused) or Reject <3>; read as
                   leg with its list trigger-   the orderList reply
                   ing instructions 25010-13

An answer becomes REST's: a 200 with the order JSON (`parse.WireOrder`'s fields, from the
report's tags and the request's own), or a 400 with `{"code": <25016>, "msg": <58>}`, so the
error tree, the breaker and the journal's reply notes read FIX as they read REST. Order types
follow reference/binance-fix.md §6: LIMIT_MAKER is 40=2 with 18=6; stops are 40=3/4 with
1100=4, 1101=1, 1107=2 and a trigger direction 1109 that tells stop-loss from take-profit.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import msgspec

from tradeguard.net.httpwire import Response
from tradeguard.venues.binance.fix_wire import FixMessage, parse_timestamp

PLACE: Final = "POST /api/v3/order"
CANCEL: Final = "DELETE /api/v3/order"
REPLACE: Final = "POST /api/v3/order/cancelReplace"
OCO: Final = "POST /api/v3/orderList/oco"
OTO: Final = "POST /api/v3/orderList/oto"
OTOCO: Final = "POST /api/v3/orderList/otoco"
LISTS: Final = frozenset({OCO, OTO, OTOCO})  # each one NewOrderList
CARRIED: Final = frozenset({PLACE, CANCEL, REPLACE, *LISTS})
# what each is sent as, the name the journal and errors give it
MESSAGE_NAMES: Final = {
    PLACE: "NewOrderSingle",
    CANCEL: "OrderCancelRequest",
    REPLACE: "OrderCancelRequestAndNewOrderSingle",
    OCO: "NewOrderList",
    OTO: "NewOrderList",
    OTOCO: "NewOrderList",
}

_SIDE: Final = {"BUY": "1", "SELL": "2"}
_TIF: Final = {"GTC": "1", "IOC": "3", "FOK": "4"}
_ORD_TYPE: Final = {
    "MARKET": "1",
    "LIMIT": "2",
    "LIMIT_MAKER": "2",
    "STOP_LOSS": "3",
    "TAKE_PROFIT": "3",
    "STOP_LOSS_LIMIT": "4",
    "TAKE_PROFIT_LIMIT": "4",
}
_ORD_STATUS: Final = {
    "0": "NEW",
    "1": "PARTIALLY_FILLED",
    "2": "FILLED",
    "4": "CANCELED",
    "6": "PENDING_CANCEL",
    "8": "REJECTED",
    "A": "PENDING_NEW",
    "C": "EXPIRED",
}
_EXEC_TYPE: Final = {"0": "NEW", "4": "CANCELED", "5": "REPLACED", "F": "TRADE", "C": "EXPIRED"}
_encode = msgspec.json.encode

Body = list[tuple[int, object]]


def new_order(params: Mapping[str, str]) -> Body:
    """A NewOrderSingle's body for POST /api/v3/order's params."""
    order_type, side = params["type"], params["side"]
    body: Body = [
        (11, params["newClientOrderId"]),
        (38, params.get("quantity")),
        (40, _ORD_TYPE[order_type]),
        (18, "6" if order_type == "LIMIT_MAKER" else None),
        (44, params.get("price")),
        (54, _SIDE[side]),
        (55, params["symbol"]),
        (59, _TIF[params["timeInForce"]] if "timeInForce" in params else None),
        (111, params.get("icebergQty")),
        (152, params.get("quoteOrderQty")),
    ]
    if order_type.startswith(("STOP_LOSS", "TAKE_PROFIT")):
        upward = (side == "BUY") == order_type.startswith("STOP_LOSS")
        body += [
            (1100, 4),
            (1101, 1),
            (1102, params.get("stopPrice")),
            (1107, 2),
            (1109, "U" if upward else "D"),
            (25009, params.get("trailingDelta")),
        ]
    return body


def cancel(params: Mapping[str, str], cancel_id: str) -> Body:
    """An OrderCancelRequest's body for DELETE /api/v3/order's params; `cancel_id` is its own
    ClOrdID (11), which the answer carries back."""
    return [
        (11, cancel_id),
        (37, params.get("orderId")),
        (41, params.get("origClientOrderId")),
        (55, params["symbol"]),
    ]


def replace(params: Mapping[str, str], cancel_id: str) -> Body:
    """An OrderCancelRequestAndNewOrderSingle's body for cancelReplace's params; `cancel_id`
    is the cancel's own ClOrdID (25034)."""
    mode = "1" if params["cancelReplaceMode"] == "STOP_ON_FAILURE" else "2"
    return [
        *new_order(params),
        (25033, mode),
        (37, params.get("cancelOrderId")),
        (41, params.get("cancelOrigClientOrderId")),
        (25034, cancel_id),
    ]


def list_legs(name: str, params: Mapping[str, str]) -> list[dict[str, str]]:
    """An order list's legs in NewOrderList's order, each as a NewOrderSingle's params: an
    OCO's below leg then its above one; an OTO's working order then its pending one; an
    OTOCO's working order then its pending below and above ones (Binance's table of order
    list types fixes the order)."""
    if name == OCO:
        return oco_legs(params)
    legs = [_leg(params, "working", params["workingSide"], params["workingQuantity"])]
    side, quantity = params["pendingSide"], params["pendingQuantity"]
    prefixes = ["pending"] if name == OTO else ["pendingBelow", "pendingAbove"]
    return legs + [_leg(params, prefix, side, quantity) for prefix in prefixes]


def oco_legs(params: Mapping[str, str]) -> list[dict[str, str]]:
    """orderList/oco's two legs, the below one first (NewOrderList's order), each as a
    NewOrderSingle's params (POST /api/v3/order's)."""
    return [_leg(params, name, params["side"], params["quantity"]) for name in ("below", "above")]


def _leg(params: Mapping[str, str], prefix: str, side: str, quantity: str) -> dict[str, str]:
    """The leg named by `prefix` ("below", "working", "pendingAbove", ...) as a
    NewOrderSingle's params."""
    leg = {
        "symbol": params["symbol"],
        "side": side,
        "quantity": quantity,
        "type": params[f"{prefix}Type"],
        "newClientOrderId": params[f"{prefix}ClientOrderId"],
        "price": params.get(f"{prefix}Price"),
        "stopPrice": params.get(f"{prefix}StopPrice"),
        "trailingDelta": params.get(f"{prefix}TrailingDelta"),
        "timeInForce": params.get(f"{prefix}TimeInForce"),
        "icebergQty": params.get(f"{prefix}IcebergQty"),
    }
    return {key: value for key, value in leg.items() if value is not None}


def new_order_list(params: Mapping[str, str], legs: list[dict[str, str]], name: str = OCO) -> Body:
    """A NewOrderList's body for an order list's params and their `list_legs`, with each leg's
    list triggering instructions (25010-25013) as Binance's table of order list types fixes
    them. An OCO (ContingencyType 1): a leg is cancelled (25013=2) when the other (25012) is
    activated (25011=1), or, where the other is the LIMIT_MAKER, partially filled (25011=2).
    An OTO / OTOCO (ContingencyType 2): the working order has none; an OTO's pending order is
    released (25013=1) once the working one (0) has filled (25011=3); an OTOCO's pending pair
    each hold two: cancelled once the working order filled (as Binance's table writes it),
    and cancelled as an OCO leg by the other."""
    body: Body = [(73, len(legs))]
    if name == OCO:
        for index, leg in enumerate(legs):
            body += [*new_order(leg), (25010, 1), *_cancelled_by(legs, 1 - index)]
        return [*body, (1385, 1), (25014, params["listClientOrderId"])]
    working, *pending = legs
    body += new_order(working)
    if len(pending) == 1:
        body += [*new_order(pending[0]), (25010, 1), (25011, "3"), (25012, 0), (25013, "1")]
    else:
        for index in (1, 2):  # below, above: each the other's OCO leg
            filled = [(25011, "3"), (25012, 0), (25013, "2")]
            body += [*new_order(legs[index]), (25010, 2), *filled, *_cancelled_by(legs, 3 - index)]
    return [*body, (1385, 2), (25014, params["listClientOrderId"])]


def _cancelled_by(legs: list[dict[str, str]], other: int) -> Body:
    """An OCO leg's instruction: cancelled when the leg at `other` is activated, or partially
    filled where that one is the LIMIT_MAKER."""
    trigger = "2" if legs[other]["type"] == "LIMIT_MAKER" else "1"
    return [(25011, trigger), (25012, other), (25013, "2")]


_LIST_STATUS: Final = {"3": "EXECUTING", "6": "ALL_DONE", "7": "REJECT"}


def list_refused(status: FixMessage) -> bool:
    """A ListStatus that rejects the list (431=7), or a Reject <3>."""
    return status.msg_type == "3" or status.get(431) == "7"


def list_answer(
    status: FixMessage, reports: list[FixMessage], legs: list[dict[str, str]]
) -> Response:
    """orderList/oco's answer from the ListStatus and each leg's ExecutionReport (none when
    refused)."""
    if list_refused(status):
        return refused(status.get(25016), status.get(58))
    list_id = int(status.get(66) or -1)
    orders = []
    for report, leg in zip(reports, legs, strict=True):
        if is_refusal(report):
            return refused(report.get(25016), report.get(58))
        order = _order(report, PLACE, leg)
        order["orderListId"] = list_id
        orders.append(order)
    reply = {
        "orderListId": list_id,
        "listClientOrderId": status.get(25014) or "",
        "listOrderStatus": _LIST_STATUS.get(status.get(431) or "", "EXECUTING"),
        "orderReports": orders,
    }
    return Response(200, {}, _encode(reply), True)


def is_refusal(message: FixMessage) -> bool:
    kind = message.msg_type
    return kind in ("3", "9") or (kind == "8" and message.get(150) == "8")


def replace_answer(
    cancel: FixMessage, new: FixMessage | None, params: Mapping[str, str]
) -> Response:
    """cancelReplace's answer from the cancel's and the new order's (None: not attempted)."""
    cancel_params = {
        "symbol": params["symbol"],
        "origClientOrderId": params.get("cancelOrigClientOrderId") or "",
    }
    cancel_ok = not is_refusal(cancel)
    new_ok = None if new is None else not is_refusal(new)
    halves = {
        "cancelResult": "SUCCESS" if cancel_ok else "FAILURE",
        "newOrderResult": "NOT_ATTEMPTED" if new_ok is None else "SUCCESS" if new_ok else "FAILURE",
        "cancelResponse": _half(cancel, CANCEL, cancel_params),
        "newOrderResponse": None if new is None else _half(new, PLACE, params),
    }
    if cancel_ok and new_ok:
        return Response(200, {}, _encode(halves), True)
    if cancel_ok or new_ok:
        error = {"code": -2021, "msg": "Order cancel-replace partially failed.", "data": halves}
        return Response(409, {}, _encode(error), True)
    error = {"code": -2022, "msg": "Order cancel-replace failed.", "data": halves}
    return Response(400, {}, _encode(error), True)


def _half(message: FixMessage, name: str, params: Mapping[str, str]) -> object:
    return msgspec.json.decode(answer(message, name, params).body)


def refused(code: str | None, text: str | None) -> Response:
    """A refusal as REST's 400 error body."""
    number = int(code) if code and code.lstrip("-").isdigit() else -1000
    return Response(400, {}, _encode({"code": number, "msg": text or "refused over FIX"}), True)


def answer(message: FixMessage, request_name: str, params: Mapping[str, str]) -> Response:
    """The FIX answer to the request `request_name` with `params`, as REST's response."""
    if is_refusal(message):
        return refused(message.get(25016), message.get(58))
    return Response(200, {}, _encode(_order(message, request_name, params)), True)


def _order(message: FixMessage, request_name: str, params: Mapping[str, str]) -> dict[str, object]:
    """An ExecutionReport as REST's order JSON (`parse.WireOrder`'s fields)."""
    status = _ORD_STATUS.get(message.get(39) or "", "NEW")
    order: dict[str, object] = {
        "symbol": message.get(55) or params["symbol"],
        "orderId": int(message.get(37) or 0),
        "clientOrderId": message.get(11) or "",
        "side": params.get("side") or _side_name(message.get(54)),
        "type": params.get("type") or _type_name(message),
        "status": status,
        "price": message.get(44) or "0",
        "origQty": message.get(38) or "0",
        "executedQty": message.get(14) or "0",
        "cummulativeQuoteQty": message.get(25017) or "0",
    }
    if request_name == CANCEL:
        order["origClientOrderId"] = message.get(41) or params.get("origClientOrderId")
    tif = params.get("timeInForce")
    if tif is not None:
        order["timeInForce"] = tif
    return order


def _side_name(tag: str | None) -> str:
    return "SELL" if tag == "2" else "BUY"


def _type_name(message: FixMessage) -> str:
    ord_type = message.get(40)
    if ord_type == "1":
        return "MARKET"
    if ord_type == "2":
        return "LIMIT_MAKER" if message.get(18) == "6" else "LIMIT"
    if ord_type in ("3", "4"):
        # the trigger direction names the kind: a stop-loss buy triggers upward, a sell downward
        stop = (message.get(54) != "2") == (message.get(1109) == "U")
        kind = "STOP_LOSS" if stop else "TAKE_PROFIT"
        return kind if ord_type == "3" else f"{kind}_LIMIT"
    return "LIMIT"  # no other type is sent over FIX


def stream_event(message: FixMessage) -> bytes | None:
    """An ExecutionReport <8> as the user stream's executionReport event (the same fields by
    meaning: reference/binance-fix.md §7), for `userevents.UserEvents` to turn into the same
    journal events; None for a report that names no order (a refused NewOrderSingle)."""
    exec_type = _EXEC_TYPE.get(message.get(150) or "")
    order_id = message.get(37)
    if exec_type is None or order_id is None or not order_id.isdigit():
        return None
    at = parse_timestamp(message.get(60) or "") or 0
    trade = exec_type == "TRADE"
    event = {
        "e": "executionReport",
        "E": at,
        "s": message.get(55),
        "c": message.get(11),
        "S": _side_name(message.get(54)),
        "q": message.get(38) or "0",
        "C": message.get(41) or "",
        "x": exec_type,
        "X": _ORD_STATUS.get(message.get(39) or "", "NEW"),
        "i": int(order_id),
        "l": message.get(32) or "0",
        "z": message.get(14) or "0",
        "L": (message.get(31) if trade else None) or "0",
        "n": (message.get(137) if trade else None) or "0",
        "N": message.get(138) if trade else None,
        "T": at,
        "t": int(message.get(1003) or -1) if trade else -1,
        "m": message.get(1057) == "N",
        "Z": message.get(25017) or "0",
    }
    return _encode(event)
