"""Binance's WebSocket API on the wire for orders: a REST `Request` as a signed request frame, a
reply frame as the REST `Response` the transport already knows how to read. Pure.

A request's params are REST's plus `apiKey`, `recvWindow`, `timestamp` and `signature` over
every other param sorted by name, unencoded (`signing.ws_payload`). A reply's `result` is REST's
2xx body and its `error` REST's error body (cancelReplace's `data` included); its `rateLimits`
become the X-MBX-USED-WEIGHT-* / X-MBX-ORDER-COUNT-* headers REST would have sent, and a 429 /
418's `error.data.retryAfter` (exchange ms) the Retry-After, so the ledger, the ban and the
error tree read both transports alike.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

import msgspec

from tradeguard.net.httpwire import Response
from tradeguard.net.ratelimit import LimitKind, RateRule
from tradeguard.venues.binance.endpoints import Request
from tradeguard.venues.binance.userevents import WsError, WsErrorData

# Each REST order request and its WebSocket API twin (same weight, same order count).
METHODS: Final = {
    "POST /api/v3/order": "order.place",
    "GET /api/v3/order": "order.status",
    "DELETE /api/v3/order": "order.cancel",
    "POST /api/v3/order/cancelReplace": "order.cancelReplace",
    "GET /api/v3/openOrders": "openOrders.status",
    "DELETE /api/v3/openOrders": "openOrders.cancelAll",
    "POST /api/v3/orderList/oco": "orderList.place.oco",
    "POST /api/v3/orderList/oto": "orderList.place.oto",
    "POST /api/v3/orderList/otoco": "orderList.place.otoco",
    "GET /api/v3/orderList": "orderList.status",
    "DELETE /api/v3/orderList": "orderList.cancel",
}


class RateLimitUsage(msgspec.Struct, gc=False):
    rateLimitType: str = ""
    interval: str = ""
    intervalNum: int = 0
    limit: int = 0
    count: int | None = None


SERVER_SHUTDOWN: Final = "serverShutdown"  # the exchange closes this connection soon


class ConnectionEvent(msgspec.Struct, gc=False):
    e: str = ""  # serverShutdown, ...
    E: int | None = None


class ReplyFrame(msgspec.Struct, gc=False):
    """A frame on an order connection: a reply (it has a status), or an event
    ({"event": {"e": "serverShutdown", "E": ms}})."""

    id: int | str | None = None
    status: int | None = None
    result: msgspec.Raw = msgspec.Raw(b"null")
    error: msgspec.Raw = msgspec.Raw(b"null")
    rateLimits: list[RateLimitUsage] = []  # msgspec copies a default list per instance
    event: ConnectionEvent | None = None


decode_reply = msgspec.json.Decoder(ReplyFrame).decode
_decode_error = msgspec.json.Decoder(WsError).decode
_encode = msgspec.json.encode


def request_frame(
    request_id: int,
    method: str,
    request: Request,
    api_key: str,
    sign: Callable[[str], str],
    recv_window_ms: int,
    timestamp_ms: int,
) -> bytes:
    """The frame for `request` sent as WebSocket API `method`, signed by `sign` (the key's:
    `signing.ReadyKey.signer`)."""
    params: dict[str, str | int] = dict(request.params)
    params["apiKey"] = api_key
    params["recvWindow"] = recv_window_ms
    params["timestamp"] = timestamp_ms
    # `signing.ws_payload` in one pass: a request's params are text and these two integers,
    # each signed as it is spelled (no JSON booleans to render, nothing to skip)
    payload = "&".join([f"{name}={value}" for name, value in sorted(params.items())])
    params["signature"] = sign(payload)
    return _encode({"id": request_id, "method": method, "params": params})


def as_response(reply: ReplyFrame) -> Response:
    """The reply as REST's response: status, the body REST would have sent, its headers."""
    status = reply.status or 400
    headers: dict[str, str] = {}
    for usage in reply.rateLimits:
        header = _header(usage)
        if header is not None and usage.count is not None:
            headers[header] = str(usage.count)
    if status == 200:
        return Response(status, headers, bytes(reply.result), True)
    body = bytes(reply.error)
    if status in (418, 429):
        headers.update(_retry_after_s(body))
    return Response(status, headers, body, True)


_HEADERS: dict[tuple[str, str, int], str | None] = {}  # a few rate limits, met on every reply


def _header(usage: RateLimitUsage) -> str | None:
    key = (usage.rateLimitType, usage.interval, usage.intervalNum)
    try:
        return _HEADERS[key]
    except KeyError:
        pass
    try:
        kind = LimitKind(usage.rateLimitType)
        header = RateRule(kind, usage.interval, usage.intervalNum, usage.limit).header
    except (ValueError, KeyError):
        header = None  # a limit this client does not keep
    if len(_HEADERS) < 64:  # an exchange sending ever new intervals does not grow it
        _HEADERS[key] = header
    return header


def _retry_after_s(error: bytes) -> dict[str, str]:
    try:
        return retry_after(_decode_error(error).data)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return {}


def retry_after(data: WsErrorData | None) -> dict[str, str]:
    """A 418 / 429 error's end (`error.data.retryAfter`, exchange ms) as the Retry-After header
    a REST reply would carry, so both are read alike (the user stream's replies too)."""
    if data is None or data.retryAfter is None or data.serverTime is None:
        return {}
    return {"retry-after": f"{max(0, data.retryAfter - data.serverTime) / 1000:.3f}"}
