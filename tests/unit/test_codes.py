"""The Binance error table: exact texts, templates, statuses and classification."""

from __future__ import annotations

import pytest

from tradeguard import errors
from tradeguard.venues.binance import codes

REQUIRED = {
    -1000: "UNKNOWN",
    -1003: "TOO_MANY_REQUESTS",
    -1006: "UNEXPECTED_RESP",
    -1007: "TIMEOUT",
    -1013: "INVALID_MESSAGE",
    -1014: "UNKNOWN_ORDER_COMPOSITION",
    -1015: "TOO_MANY_ORDERS",
    -1021: "INVALID_TIMESTAMP",
    -1022: "INVALID_SIGNATURE",
    -1100: "ILLEGAL_CHARS",
    -1101: "TOO_MANY_PARAMETERS",
    -1102: "MANDATORY_PARAM_EMPTY_OR_MALFORMED",
    -1103: "UNKNOWN_PARAM",
    -1104: "UNREAD_PARAMETERS",
    -1105: "PARAM_EMPTY",
    -1106: "PARAM_NOT_REQUIRED",
    -1111: "BAD_PRECISION",
    -1115: "INVALID_TIF",
    -1116: "INVALID_ORDER_TYPE",
    -1117: "INVALID_SIDE",
    -1121: "BAD_SYMBOL",
    -1125: "INVALID_LISTEN_KEY",
    -1127: "MORE_THAN_XX_HOURS",
    -1131: "BAD_RECV_WINDOW",
    -2008: "BAD_API_ID",
    -2010: "NEW_ORDER_REJECTED",
    -2011: "CANCEL_REJECTED",
    -2013: "NO_SUCH_ORDER",
    -2014: "BAD_API_KEY_FMT",
    -2015: "REJECTED_MBX_KEY",
    -2016: "NO_TRADING_WINDOW",
}


def test_every_required_code_is_in_the_table_under_binances_name() -> None:
    for code, name in REQUIRED.items():
        entry = codes.lookup(code)
        assert entry is not None, code
        assert entry.code == code
        assert entry.name == name


def test_unknown_code_lookup_is_none() -> None:
    assert codes.lookup(-9999) is None
    with pytest.raises(KeyError):
        codes.msg(-9999)


def test_every_kind_names_a_class_of_the_error_tree() -> None:
    for entry in codes.CODES.values():
        cls = getattr(errors, entry.kind)
        assert issubclass(cls, errors.TradeguardError)
        assert entry.texts and all(entry.texts)
    for meaning in codes.HTTP_MEANINGS.values():
        assert issubclass(getattr(errors, meaning.kind), errors.TradeguardError)


@pytest.mark.parametrize(
    ("code", "args", "variant", "text"),
    [
        (
            -1003,
            (6000, "1 MINUTE"),
            codes.WEIGHT_EXCEEDED,
            "Too much request weight used; current limit is 6000 request weight per 1 MINUTE. "
            "Please use WebSocket Streams for live updates to avoid polling the API.",
        ),
        (
            -1003,
            (1700000000000,),
            codes.IP_BANNED,
            "Way too much request weight used; IP banned until 1700000000000. Please use "
            "WebSocket Streams for live updates to avoid bans.",
        ),
        (
            -1007,
            (),
            0,
            "Timeout waiting for response from backend server. Send status unknown; execution "
            "status unknown.",
        ),
        (-1013, ("LOT_SIZE",), 0, "Filter failure: LOT_SIZE"),
        (
            -1015,
            (50, "10 SECOND"),
            0,
            "Too many new orders; current limit is 50 orders per 10 SECOND.",
        ),
        (
            -1021,
            (),
            codes.OUTSIDE_RECV_WINDOW,
            "Timestamp for this request is outside of the recvWindow.",
        ),
        (
            -1021,
            (),
            codes.AHEAD_OF_SERVER,
            "Timestamp for this request was 1000ms ahead of the server's time.",
        ),
        (-1022, (), 0, "Signature for this request is not valid."),
        (-1101, (), codes.DUPLICATE_PARAMETER, "Duplicate values for a parameter detected."),
        (
            -1102,
            ("timestamp",),
            0,
            "Mandatory parameter 'timestamp' was not sent, was empty/null, or malformed.",
        ),
        (-1131, (), 0, "recvWindow must be less than 60000"),
        (-2013, (), 0, "Order does not exist."),
        (-2014, (), 0, "API-key format invalid."),
        (-2015, (), 0, "Invalid API-key, IP, or permissions for action."),
    ],
)
def test_exact_texts(code: int, args: tuple[object, ...], variant: int, text: str) -> None:
    assert codes.msg(code, *args, variant=variant) == text


def test_msg_refuses_a_wrong_argument_count_or_variant() -> None:
    with pytest.raises(ValueError, match="takes 1 argument"):
        codes.msg(-1013)
    with pytest.raises(ValueError, match="takes 0 argument"):
        codes.msg(-1022, "x")
    with pytest.raises(ValueError, match="no variant 9"):
        codes.msg(-1022, variant=9)


def test_matching_engine_texts_are_data_of_2010_and_2011() -> None:
    rejected = codes.CODES[-2010]
    for text in (
        codes.INSUFFICIENT_BALANCE,
        codes.WOULD_MATCH_AND_TAKE,
        codes.WOULD_TRIGGER_IMMEDIATELY,
        codes.DUPLICATE_ORDER,
        codes.MARKET_CLOSED,
    ):
        assert text in rejected.texts
    assert codes.INSUFFICIENT_BALANCE == "Account has insufficient balance for requested action."
    assert codes.UNKNOWN_ORDER in codes.CODES[-2011].texts


@pytest.mark.parametrize(
    ("code", "status", "kind"),
    [
        (-2010, 400, "OrderRejected"),
        (-1013, 400, "OrderRejected"),
        (-2011, 400, "OrderRejected"),
        (-2014, 401, "AuthError"),
        (-2015, 401, "AuthError"),
        (-1022, 400, "AuthError"),
        (-1021, 400, "ClockSkewError"),
        (-1003, 429, "RateLimited"),
        (-1003, 418, "RateLimited"),
        (-1015, 429, "RateLimited"),
        (-1006, 500, "OutcomeUnknown"),
        (-1007, 408, "OutcomeUnknown"),
        (-1000, 503, "OutcomeUnknown"),
        (-2010, 503, "OutcomeUnknown"),  # a 5xx never counts as a clean rejection
        (None, 502, "OutcomeUnknown"),
        (None, 429, "RateLimited"),
        (None, 418, "RateLimited"),
        (None, 403, "ExchangeError"),
        (None, 408, "OutcomeUnknown"),
        (-9999, 400, "ExchangeError"),
        (None, 404, "ExchangeError"),
    ],
)
def test_classify_by_code_and_status(code: int | None, status: int, kind: str) -> None:
    assert codes.classify(code, status) == kind


def test_usual_statuses() -> None:
    assert codes.CODES[-2014].http_status == 401
    assert codes.CODES[-2015].http_status == 401
    assert codes.CODES[-1003].http_status == 429
    assert codes.CODES[-1015].http_status == 429
    assert codes.CODES[-1021].http_status == 400
    assert codes.CODES[-2021].http_status == 409
