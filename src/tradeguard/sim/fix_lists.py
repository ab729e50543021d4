"""FIX order lists on the simulator's engine: NewOrderList <E> as POST /api/v3/orderList/oco's,
/oto's or /otoco's parameters, and the engine's listStatus events as ListStatus <N>.

Binance's NewOrderList carries its orders as a repeating group (73 NoOrders, each entry
opening with its ClOrdID 11), each with its list triggering instructions (25010-25013), and
the list's ContingencyType (1385) and ClListID (25014). An OCO is the below leg then the above
one, both on one side and quantity; a leg is cancelled (25013=2) when the other (25012, its
index) is activated (25011=1), or, where the other is the LIMIT_MAKER, partially filled
(25011=2): reference/binance-fix.md §6 and Binance's table of order list types. The engine
takes OTOs and OTOCOs too (1385=2, ONE_TRIGGERS_THE_OTHER): the working order first, without
instructions, then the pending one, released once the working one fills (25011=3, 25012=0,
25013=1), or the pending below and above pair, each cancelled once the working order filled
(25011=3, 25012=0, 25013=2, as Binance's table writes it) and by the other as an OCO leg.
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


Instruction = tuple[str, str, str]  # ListTriggerType, ListTriggerTriggerIndex, ListTriggerAction
_FILLED_RELEASES: Final = ("3", "0", "1")  # an OTO's pending order: the working one filled
_FILLED_CANCELS: Final = ("3", "0", "2")  # an OTOCO's pending pair, as Binance's table has it


def list_params(msg: FixMessage) -> tuple[str, dict[str, str]]:
    """A NewOrderList as its REST twin's route ("OCO", "OTO", "OTOCO") and parameters."""
    client_list_id = msg.get(25014)
    if client_list_id is None:
        raise Malformed(25014, -1102, "Mandatory parameter '25014' was not sent.")
    contingency = msg.get(1385)
    if contingency not in ("1", "2"):
        raise Malformed(1385, BAD_COMBO, "ContingencyType (1385) must be 1 (OCO) or 2 (OTO).")
    entries = _entries(msg)
    legs = [new_order_params(leg) for leg in entries]
    if any(leg["symbol"] != legs[0]["symbol"] for leg in legs):
        raise Malformed(55, BAD_COMBO, "An order list's orders must share their symbol.")
    params = {
        "symbol": legs[0]["symbol"],
        "listClientOrderId": client_list_id,
        "newOrderRespType": "RESULT",
    }
    found = [_instructions(entry) for entry in entries]
    if contingency == "1":
        if len(legs) != 2:
            raise Malformed(73, BAD_COMBO, "An OCO has two orders.")
        _pair(legs[0], legs[1], params, "side", "quantity")
        _expect(found, [[_cancelled_by(legs, 1)], [_cancelled_by(legs, 0)]])
        _prefixed(params, "below", legs[0])
        _prefixed(params, "above", legs[1])
        return "OCO", params
    working = legs[0]
    _prefixed(params, "working", working, with_side=True)
    if len(legs) == 2:
        _expect(found, [[], [_FILLED_RELEASES]])
        _prefixed(params, "pending", legs[1], with_side=True)
        return "OTO", params
    below, above = legs[1], legs[2]
    _pair(below, above, params, "pendingSide", "pendingQuantity")
    _expect(
        found,
        [[], [_FILLED_CANCELS, _cancelled_by(legs, 2)], [_FILLED_CANCELS, _cancelled_by(legs, 1)]],
    )
    _prefixed(params, "pendingBelow", below)
    _prefixed(params, "pendingAbove", above)
    return "OTOCO", params


def _instructions(entry: FixMessage) -> list[Instruction]:
    """An entry's list triggering instructions (25010's group), in order."""
    values: dict[int, list[str]] = {25011: [], 25012: [], 25013: []}
    for tag, value in entry.fields:
        if tag in values:
            values[tag].append(value)
    return list(zip(values[25011], values[25012], values[25013], strict=False))


def _cancelled_by(legs: list[dict[str, str]], other: int) -> Instruction:
    """An OCO leg's instruction: cancelled when the leg at `other` is activated, or partially
    filled where that one is the LIMIT_MAKER."""
    return ("2" if legs[other]["type"] == "LIMIT_MAKER" else "1", str(other), "2")


def _expect(found: list[list[Instruction]], wanted: list[list[Instruction]]) -> None:
    if found != wanted:
        raise Malformed(25011, BAD_COMBO, "Invalid list triggering instructions.")


def _pair(
    below: dict[str, str], above: dict[str, str], params: dict[str, str], side: str, qty: str
) -> None:
    """An OCO pair's shared side and quantity, under the names its REST twin gives them."""
    for key in ("side", "quantity"):
        if below.get(key) != above.get(key):
            raise Malformed(73, BAD_COMBO, f"An OCO's orders must share their {key}.")
    params[side], params[qty] = below["side"], below.get("quantity", "")


def _prefixed(
    params: dict[str, str], prefix: str, leg: dict[str, str], *, with_side: bool = False
) -> None:
    """A leg's NewOrderSingle params under its REST twin's prefixed names."""
    keys = ["type", "price", "stopPrice", "trailingDelta", "timeInForce", "icebergQty"]
    if with_side:
        keys += ["side", "quantity"]
    for key in keys:
        if key in leg:
            params[prefix + key[0].upper() + key[1:]] = leg[key]
    params[f"{prefix}ClientOrderId"] = leg["newClientOrderId"]


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
        (1385, 2 if event.get("c") == "OTO" else 1),
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
