"""A Binance reply as the journal keeps it: its error code, and the used weight and order count
Binance reports in its headers. Redacted by construction: of the request's parameters only the
client order id is kept (no signature or timestamp; those are added on the way out)."""

from __future__ import annotations

from collections.abc import Mapping

import msgspec

from tradeguard.venues.binance.endpoints import Request
from tradeguard.venues.protocol import ReplyNote


class _ErrorCode(msgspec.Struct):
    code: int | None = None


_decode_error = msgspec.json.Decoder(_ErrorCode).decode


def _int(value: str | None) -> int | None:
    return int(value) if value is not None and value.isdigit() else None


def reply_note(
    request: Request,
    status: int,
    latency_ms: float,
    headers: Mapping[str, str],
    body: bytes,
    sent_as: tuple[str, str] | None = None,
) -> ReplyNote:
    """`sent_as`: the (method, path) the request went out as, when not its REST own (a
    WebSocket API request is journaled as ("WS", "order.place"))."""
    method, path = (request.method, request.path) if sent_as is None else sent_as
    code = None
    if status >= 400:
        try:
            code = _decode_error(body).code
        except (msgspec.DecodeError, msgspec.ValidationError):
            code = None
    return ReplyNote(
        method=method,
        path=path,
        status=status,
        latency_ms=round(latency_ms, 3),
        code=code,
        weight=_int(headers.get("x-mbx-used-weight-1m")),
        order_count=_int(headers.get("x-mbx-order-count-10s")),
        client_order_id=_client_order_id(request),
    )


def _client_order_id(request: Request) -> str | None:
    """The order's client id the request names: a new order's, else the one it acts on."""
    found: str | None = None
    for name, value in request.params:
        if name == "newClientOrderId" and value:
            return value
        if name == "origClientOrderId" and value:
            found = value
    return found
