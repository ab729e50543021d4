"""FIX order lists on the simulator's engine: NewOrderList <E> as POST /api/v3/orderList/oco's
parameters, and the engine's listStatus events as ListStatus <N>.

Binance's NewOrderList carries its orders as a repeating group (73 NoOrders, each entry
opening with its ClOrdID 11), each with its list triggering instructions (25010-25013), and
the list's ContingencyType (1385) and ClListID (25014). An OCO is the below leg then the above
one, both on one side and quantity; a leg is cancelled (25013=2) when the other (25012, its
index) is activated (25011=1), or, where the other is the LIMIT_MAKER, partially filled
(25011=2): reference/binance-fix.md §6 and Binance's table of order list types. The engine
places only OCOs: an OTO (1385=2) is refused as unsupported here.
"""

from __future__ import annotations

from typing import Any, Final

from tradeguard.sim.fix_orders import Malformed, new_order_params
from tradeguard.venues.binance.fix_wire import FixMessage

# the tags an entry of NoOrders (73) may carry: D's, and the triggering instructions
_LEG_TAGS: Final = frozenset(
    {11, 18, 38, 40, 44, 54, 55, 59, 111, 152, 211, 835, 836, 847, 1094, 7940}
    | {1100, 1101, 1102, 1107, 1109, 25001, 25009, 25010, 25011, 25012, 25013, 25032}
)
_LIST_STATUS_TYPES: Final = {"RESPONSE": 2, "EXEC_STARTED": 4, "ALL_DONE": 5, "UPDATED": 100}
_LIST_ORDER_STATUS: Final = {"EXECUTING": 3, "ALL_DONE": 6, "REJECT": 7}
BAD_COMBO: Final = -1182


def _entries(msg: FixMessage) -> list[FixMessage]:
    """NoOrders' entries, each as a message of its own fields; Malformed if 73 disagrees."""
    entries: list[list[tuple[int, str]]] = []
    inside = False
    for tag, value in msg.fields:
        if tag == 73:
            inside = True
        elif inside and tag == 11:
            entries.append([(tag, value)])
        elif inside and entries and tag in _LEG_TAGS:
            entries[-1].append((tag, value))
        elif entries:
            inside = False  # the group ended: the list's own tags follow
    count = msg.get(73)
    if count is None or not count.isdigit() or int(count) != len(entries):
        raise Malformed(73, -1188, "Incorrect NumInGroup count for repeating group.")
    return [FixMessage(fields) for fields in entries]


def oco_params(msg: FixMessage) -> dict[str, str]:
    """A NewOrderList (an OCO) as POST /api/v3/orderList/oco's parameters."""
    client_list_id = msg.get(25014)
    if client_list_id is None:
        raise Malformed(25014, -1102, "Mandatory parameter '25014' was not sent.")
    if msg.get(1385) != "1":
        raise Malformed(1385, BAD_COMBO, "Only OCO order lists (1385=1) are simulated.")
    legs = _entries(msg)
    if len(legs) != 2:
        raise Malformed(73, BAD_COMBO, "An OCO has two orders.")
    below, above = (new_order_params(leg) for leg in legs)
    for key in ("symbol", "side", "quantity"):
        if below.get(key) != above.get(key):
            raise Malformed(73, BAD_COMBO, f"An OCO's orders must share their {key}.")
    types = [below["type"], above["type"]]
    for index, leg in enumerate(legs):
        other = 1 - index
        wanted = ("1", "2" if types[other] == "LIMIT_MAKER" else "1", str(other), "2")
        if tuple(leg.get(tag) for tag in (25010, 25011, 25012, 25013)) != wanted:
            raise Malformed(25011, BAD_COMBO, "Invalid list triggering instructions.")
    params = {
        "symbol": below["symbol"],
        "side": below["side"],
        "quantity": below.get("quantity", ""),
        "listClientOrderId": client_list_id,
        "newOrderRespType": "RESULT",
    }
    for name, leg_params in (("below", below), ("above", above)):
        for key in ("type", "price", "stopPrice", "trailingDelta", "timeInForce"):
            if key in leg_params:
                params[name + key[0].upper() + key[1:]] = leg_params[key]
        params[f"{name}ClientOrderId"] = leg_params["newClientOrderId"]
    return params


def list_status(event: dict[str, Any], time: str) -> list[tuple[int, object]]:
    """The body of a ListStatus <N> for one listStatus event of the engine (no top-level
    Symbol: Binance dropped it in 2025-12)."""
    orders: list[dict[str, Any]] = event["O"]
    body: list[tuple[int, object]] = [(60, time), (66, event["g"]), (73, len(orders))]
    for order in orders:
        body += [(55, order["s"]), (37, order["i"]), (11, order["c"])]
    body += [
        (429, _LIST_STATUS_TYPES.get(str(event["l"]), 4)),
        (431, _LIST_ORDER_STATUS.get(str(event["L"]), 3)),
        (1385, 1),
        (25014, event["C"]),
    ]
    return body


def list_rejected(msg: FixMessage, code: int, text: str, time: str) -> list[tuple[int, object]]:
    """ListStatus <N> refusing a NewOrderList: 431=7 REJECT, with ErrorCode and Text."""
    return [
        (60, time),
        (429, 2),
        (431, 7),
        (1385, msg.get(1385)),
        (1386, 99),
        (25014, msg.get(25014)),
        (25016, code),
        (58, text),
    ]
