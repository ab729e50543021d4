"""cancelReplace's failures as Binance answers them: -2021 (409, one half failed) or -2022
(400, neither half happened), with what each half did under `data`:

    {"cancelResult": "SUCCESS" | "FAILURE" | "NOT_ATTEMPTED",
     "newOrderResult": "SUCCESS" | "FAILURE" | "NOT_ATTEMPTED",
     "cancelResponse": the cancel's reply or its {"code", "msg"} (null: not attempted),
     "newOrderResponse": the new order's reply or its {"code", "msg"} (null: not attempted)}

Where they come from: the exchange's own answer (the session's `CancelReplaceFailed` keeps
it), the gateway finding no open order to cancel under STOP_ON_FAILURE (the cancel fails with
-2011, the new order is not attempted, as the exchange would answer), and the guard refusing
the replacement (nothing cancelled: the cancel not attempted, the new order failed with the
guard's -2010 and its reason). Pure.
"""

from __future__ import annotations

from typing import Any

from tradeguard.gateway.wire_errors import WireError
from tradeguard.venues.binance import codes
from tradeguard.venues.binance.parse import ReplaceOutcome

Json = Any
FAILED = -2022  # neither half happened
PARTIALLY_FAILED = -2021


def halves(cancel: str, new: str, cancel_response: Json, new_response: Json) -> Json:
    return {
        "cancelResult": cancel,
        "newOrderResult": new,
        "cancelResponse": cancel_response,
        "newOrderResponse": new_response,
    }


def failed(code: int, data: Json) -> WireError:
    """Binance's -2021 / -2022 reply (its message and status) carrying `data`."""
    return WireError(code, codes.msg(code), codes.CODES[code].http_status, data=data)


def nothing_to_cancel() -> WireError:
    """STOP_ON_FAILURE with no open order by that id: the cancel fails, nothing is placed."""
    unknown = {"code": -2011, "msg": codes.UNKNOWN_ORDER}
    return failed(FAILED, halves("FAILURE", "NOT_ATTEMPTED", unknown, None))


def guard_refused(refusal: WireError) -> WireError:
    """The guard refused the replacement before anything was sent: the old order stands."""
    return failed(FAILED, halves("NOT_ATTEMPTED", "FAILURE", None, refusal.body()))


def from_exchange(outcome: ReplaceOutcome, cancelled: Json) -> WireError:
    """The exchange's -2021 / -2022 as it answered it; `cancelled` is the cancel's reply in
    the gateway's shape, for a cancel that went through."""
    cancel_response: Json = cancelled if outcome.cancel_ok else _error(outcome.cancel_error)
    new_response: Json = None
    if outcome.new_order_result == "FAILURE":
        new_response = _error(outcome.new_order_error)
    data = halves(outcome.cancel_result, outcome.new_order_result, cancel_response, new_response)
    return failed(outcome.code or FAILED, data)


def _error(wire: Any) -> Json:
    if wire is None:
        return None
    return {"code": wire.code, "msg": wire.msg}
