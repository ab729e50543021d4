"""Binance error answers map to the error tree by code and HTTP status, keeping what was sent."""

from __future__ import annotations

import pytest

from tradeguard.errors import (
    AuthError,
    ClockSkewError,
    ExchangeError,
    OrderRejected,
    OutcomeUnknown,
    RateLimited,
)
from tradeguard.venues.binance import failures

NOW = 1_767_225_600_000


def reply(status: int, body: str, headers: dict[str, str] | None = None) -> Exception:
    return failures.from_reply(status, body.encode(), headers or {}, NOW, request="POST /x")


@pytest.mark.parametrize(
    ("status", "code", "cls"),
    [
        (400, -2010, OrderRejected),
        (400, -1013, OrderRejected),
        (400, -2011, OrderRejected),
        (401, -2015, AuthError),
        (401, -2014, AuthError),
        (400, -1022, AuthError),
        (400, -1021, ClockSkewError),
        (429, -1003, RateLimited),
        (429, -1015, RateLimited),
        (418, -1003, RateLimited),
        (408, -1007, OutcomeUnknown),
        (500, -1006, OutcomeUnknown),
        (503, -1000, OutcomeUnknown),
    ],
)
def test_codes_map_to_classes(status: int, code: int, cls: type[Exception]) -> None:
    error = reply(status, f'{{"code":{code},"msg":"text as sent"}}')
    assert type(error) is cls
    assert getattr(error, "code", None) == code
    assert getattr(error, "http_status", None) == status


def test_exchange_fields_are_kept() -> None:
    error = reply(
        400, '{"code":-2010,"msg":"Account has insufficient balance for requested action."}'
    )
    assert isinstance(error, OrderRejected)
    assert error.msg == "Account has insufficient balance for requested action."


def test_unknown_code_is_a_plain_exchange_error() -> None:
    error = reply(400, '{"code":-9999,"msg":"something new"}')
    assert type(error) is ExchangeError and error.code == -9999


def test_html_502_is_an_unknown_outcome_with_an_excerpt() -> None:
    error = reply(502, "<html><body><h1>502 Bad Gateway</h1></body></html>")
    assert isinstance(error, OutcomeUnknown)
    assert "502 Bad Gateway" in str(error) and error.http_status == 502


def test_ban_carries_its_end() -> None:
    error = reply(
        418, '{"code":-1003,"msg":"Way too much request weight used"}', {"Retry-After": "120"}
    )
    assert isinstance(error, RateLimited)
    assert error.retry_after_s == 120 and error.banned_until_ms == NOW + 120_000


def test_empty_body_is_handled() -> None:
    error = reply(400, "")
    assert isinstance(error, ExchangeError) and "(empty body)" in str(error)


def test_an_unknown_outcome_of_a_read_does_not_send_its_caller_to_resolve_an_order() -> None:
    body = '{"code": -1000, "msg": "Unknown error"}'
    read = failures.from_reply(503, body.encode(), {}, NOW, request="GET /api/v3/openOrders")
    sent = failures.from_reply(503, body.encode(), {}, NOW, request="POST /api/v3/order")
    assert isinstance(read, OutcomeUnknown) and isinstance(sent, OutcomeUnknown)
    assert "nothing was changed" in (read.hint or "") and "client order id" not in (read.hint or "")
    assert "resolve by client order id" in (sent.hint or "")


def test_a_ban_a_pause_and_a_local_refusal_each_get_their_own_hint() -> None:
    """'do not retry before the pause ends' was said of bans and of this host's own budget
    waits too: a ban grows with every request, and a local refusal sent nothing."""
    from tradeguard.errors import RateLimited

    banned = RateLimited(-1003, "IP banned", 418, banned_until_ms=1)
    paused = RateLimited(-1003, "too many requests", 429, retry_after_s=3)
    local = RateLimited(-1003, "not sent: would pass 6000 of 6000", 429, local=True)
    assert banned.hint is not None and "ban" in banned.hint and "longer" in banned.hint
    assert paused.hint == "wait; do not retry before the pause ends"
    assert local.hint is not None and "nothing was sent" in local.hint
