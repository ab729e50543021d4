"""Binance Spot error codes: one table shared by the simulator (which sends them) and the client
(which classifies them).

Each entry keeps Binance's code, its name, every text Binance documents for it (the first is the
one used by default; `%s` marks a value Binance fills in), the HTTP status it usually comes with,
and `kind`: the name of the tradeguard error class (tradeguard.errors) a client raises for it.

Clients classify by code and HTTP status (`classify`), never by message text. The one exception
is data, not logic: the matching engine's texts for -2010/-2011 are listed here so that the
simulator sends Binance's exact words and a client may record which rejection it was.

Sources: binance-spot-api-docs errors.md and rest-api.md ("HTTP Return Codes"); statuses marked
[I] in reference/exchange-wire.md are inferred from client issue threads, not documented.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

Kind = Literal[
    "OrderRejected", "AuthError", "ClockSkewError", "RateLimited", "OutcomeUnknown", "ExchangeError"
]


@dataclass(frozen=True, slots=True)
class ErrorCode:
    code: int
    name: str
    texts: tuple[str, ...]
    http_status: int
    kind: Kind

    @property
    def msg(self) -> str:
        """The default text (may hold `%s` placeholders; fill them with `codes.msg`)."""
        return self.texts[0]


# ── matching-engine texts sent with -2010 NEW_ORDER_REJECTED / -2011 CANCEL_REJECTED ────────────
INSUFFICIENT_BALANCE: Final = "Account has insufficient balance for requested action."
WOULD_MATCH_AND_TAKE: Final = "Order would immediately match and take."
WOULD_TRIGGER_IMMEDIATELY: Final = "Order would trigger immediately."
DUPLICATE_ORDER: Final = "Duplicate order sent."
MARKET_CLOSED: Final = "Market is closed."
UNKNOWN_ORDER: Final = "Unknown order sent."
MARKET_ORDERS_UNSUPPORTED: Final = "Market orders are not supported for this symbol."
ICEBERG_UNSUPPORTED: Final = "Iceberg orders are not supported for this symbol."
STOP_LOSS_UNSUPPORTED: Final = "Stop loss orders are not supported for this symbol."
STOP_LOSS_LIMIT_UNSUPPORTED: Final = "Stop loss limit orders are not supported for this symbol."
TAKE_PROFIT_UNSUPPORTED: Final = "Take profit orders are not supported for this symbol."
TAKE_PROFIT_LIMIT_UNSUPPORTED: Final = "Take profit limit orders are not supported for this symbol."
PRICE_QTY_ZERO: Final = "Price * QTY is zero or less."
ICEBERG_EXCEEDS_QTY: Final = "IcebergQty exceeds QTY."
ACTION_DISABLED: Final = "This action is disabled on this account."
ACCOUNT_CANNOT_TRADE: Final = "This account may not place or cancel orders."
UNSUPPORTED_COMBINATION: Final = "Unsupported order combination"
CANCEL_INVALID: Final = "Cancel order is invalid. Check origClOrdId and orderId."
OCO_PRICE_RELATIONSHIP: Final = "The relationship of the prices for the orders is not correct."
OCO_UNSUPPORTED: Final = "OCO orders are not supported for this symbol"
QUOTE_QTY_UNSUPPORTED: Final = "Quote order qty market orders are not support for this symbol."
TRAILING_UNSUPPORTED: Final = "Trailing stop orders are not supported for this symbol."
CANCEL_REPLACE_UNSUPPORTED: Final = "Order cancel-replace is not supported for this symbol."
SYMBOL_NOT_PERMITTED: Final = "This symbol is not permitted for this account."
SYMBOL_RESTRICTED: Final = "This symbol is restricted for this account."
CANCEL_RESTRICTED: Final = "Order was not canceled due to cancel restrictions."
REST_TRADING_DISABLED: Final = "Rest API trading is not enabled."
WS_TRADING_DISABLED: Final = "WebSocket API trading is not enabled."

ENGINE_TEXTS: Final = (
    INSUFFICIENT_BALANCE,
    WOULD_MATCH_AND_TAKE,
    WOULD_TRIGGER_IMMEDIATELY,
    DUPLICATE_ORDER,
    MARKET_CLOSED,
    UNKNOWN_ORDER,
    MARKET_ORDERS_UNSUPPORTED,
    ICEBERG_UNSUPPORTED,
    STOP_LOSS_UNSUPPORTED,
    STOP_LOSS_LIMIT_UNSUPPORTED,
    TAKE_PROFIT_UNSUPPORTED,
    TAKE_PROFIT_LIMIT_UNSUPPORTED,
    PRICE_QTY_ZERO,
    ICEBERG_EXCEEDS_QTY,
    ACTION_DISABLED,
    ACCOUNT_CANNOT_TRADE,
    UNSUPPORTED_COMBINATION,
    CANCEL_INVALID,
    OCO_PRICE_RELATIONSHIP,
    OCO_UNSUPPORTED,
    QUOTE_QTY_UNSUPPORTED,
    TRAILING_UNSUPPORTED,
    CANCEL_REPLACE_UNSUPPORTED,
    SYMBOL_NOT_PERMITTED,
    SYMBOL_RESTRICTED,
    CANCEL_RESTRICTED,
    REST_TRADING_DISABLED,
    WS_TRADING_DISABLED,
)

# -1013 "Filter failure: %s" takes one of these names.
FILTERS: Final = (
    "PRICE_FILTER",
    "PERCENT_PRICE",
    "PERCENT_PRICE_BY_SIDE",
    "LOT_SIZE",
    "MIN_NOTIONAL",
    "NOTIONAL",
    "ICEBERG_PARTS",
    "MARKET_LOT_SIZE",
    "MAX_POSITION",
    "MAX_NUM_ORDERS",
    "MAX_NUM_ALGO_ORDERS",
    "MAX_NUM_ICEBERG_ORDERS",
    "TRAILING_DELTA",
    "EXCHANGE_MAX_NUM_ORDERS",
    "EXCHANGE_MAX_NUM_ALGO_ORDERS",
    "EXCHANGE_MAX_NUM_ICEBERG_ORDERS",
)

# Indices into `texts` for codes with more than one text in use.
WEIGHT_EXCEEDED: Final = 0  # -1003, HTTP 429
IP_BANNED: Final = 1  # -1003, HTTP 418
OUTSIDE_RECV_WINDOW: Final = 0  # -1021
AHEAD_OF_SERVER: Final = 1  # -1021
DUPLICATE_PARAMETER: Final = 2  # -1101


def _e(code: int, name: str, http_status: int, kind: Kind, *texts: str) -> ErrorCode:
    return ErrorCode(code, name, texts, http_status, kind)


_TABLE: Final = (
    # 10xx: server or network. A 5xx or an "execution status unknown" text means the request may
    # have been executed: OutcomeUnknown, so a client resolves an order by its id and never resends.
    _e(-1000, "UNKNOWN", 500, "OutcomeUnknown",
       "An unknown error occurred while processing the request."),
    _e(-1001, "DISCONNECTED", 500, "OutcomeUnknown",
       "Internal error; unable to process your request. Please try again."),
    _e(-1002, "UNAUTHORIZED", 401, "AuthError",
       "You are not authorized to execute this request."),
    _e(-1003, "TOO_MANY_REQUESTS", 429, "RateLimited",
       "Too much request weight used; current limit is %s request weight per %s. Please use "
       "WebSocket Streams for live updates to avoid polling the API.",
       "Way too much request weight used; IP banned until %s. Please use WebSocket Streams for "
       "live updates to avoid bans.",
       "Too many requests queued."),
    _e(-1006, "UNEXPECTED_RESP", 500, "OutcomeUnknown",
       "An unexpected response was received from the message bus. Execution status unknown."),
    # HTTP 408 is what Binance's derivatives docs give for this timeout; Spot docs name none [I].
    _e(-1007, "TIMEOUT", 408, "OutcomeUnknown",
       "Timeout waiting for response from backend server. Send status unknown; execution status "
       "unknown."),
    _e(-1013, "INVALID_MESSAGE", 400, "OrderRejected",
       "Filter failure: %s",
       "The request is rejected by the API."),
    _e(-1014, "UNKNOWN_ORDER_COMPOSITION", 400, "OrderRejected",
       "Unsupported order combination."),
    _e(-1015, "TOO_MANY_ORDERS", 429, "RateLimited",
       "Too many new orders; current limit is %s orders per %s.",
       "Too many new orders."),
    _e(-1016, "SERVICE_SHUTTING_DOWN", 400, "ExchangeError",
       "This service is no longer available."),
    _e(-1020, "UNSUPPORTED_OPERATION", 400, "ExchangeError",
       "This operation is not supported."),
    _e(-1021, "INVALID_TIMESTAMP", 400, "ClockSkewError",
       "Timestamp for this request is outside of the recvWindow.",
       "Timestamp for this request was 1000ms ahead of the server's time."),
    _e(-1022, "INVALID_SIGNATURE", 400, "AuthError",
       "Signature for this request is not valid."),
    # 11xx: the request itself is wrong. Not retryable; OrderRejected where only an order can be.
    _e(-1100, "ILLEGAL_CHARS", 400, "ExchangeError",
       "Illegal characters found in parameter '%s'; legal range is '%s'.",
       "Illegal characters found in a parameter."),
    _e(-1101, "TOO_MANY_PARAMETERS", 400, "ExchangeError",
       "Too many parameters sent for this endpoint.",
       "Too many parameters; expected '%s' and received '%s'.",
       "Duplicate values for a parameter detected."),
    _e(-1102, "MANDATORY_PARAM_EMPTY_OR_MALFORMED", 400, "ExchangeError",
       "Mandatory parameter '%s' was not sent, was empty/null, or malformed.",
       "A mandatory parameter was not sent, was empty/null, or malformed.",
       "Param '%s' or '%s' must be sent, but both were empty/null!"),
    _e(-1103, "UNKNOWN_PARAM", 400, "ExchangeError",
       "An unknown parameter was sent."),
    _e(-1104, "UNREAD_PARAMETERS", 400, "ExchangeError",
       "Not all sent parameters were read; read '%s' parameter(s) but was sent '%s'.",
       "Not all sent parameters were read."),
    _e(-1105, "PARAM_EMPTY", 400, "ExchangeError",
       "Parameter '%s' was empty.",
       "A parameter was empty."),
    _e(-1106, "PARAM_NOT_REQUIRED", 400, "ExchangeError",
       "Parameter '%s' sent when not required.",
       "A parameter was sent when not required."),
    _e(-1111, "BAD_PRECISION", 400, "OrderRejected",
       "Parameter '%s' has too much precision."),
    _e(-1114, "TIF_NOT_REQUIRED", 400, "OrderRejected",
       "TimeInForce parameter sent when not required."),
    _e(-1115, "INVALID_TIF", 400, "OrderRejected",
       "Invalid timeInForce."),
    _e(-1116, "INVALID_ORDER_TYPE", 400, "OrderRejected",
       "Invalid orderType."),
    _e(-1117, "INVALID_SIDE", 400, "OrderRejected",
       "Invalid side."),
    _e(-1118, "EMPTY_NEW_CL_ORD_ID", 400, "OrderRejected",
       "New client order ID was empty."),
    _e(-1119, "EMPTY_ORG_CL_ORD_ID", 400, "ExchangeError",
       "Original client order ID was empty."),
    _e(-1120, "BAD_INTERVAL", 400, "ExchangeError",
       "Invalid interval."),
    _e(-1121, "BAD_SYMBOL", 400, "ExchangeError",
       "Invalid symbol."),
    _e(-1125, "INVALID_LISTEN_KEY", 400, "ExchangeError",
       "This listenKey does not exist."),
    _e(-1127, "MORE_THAN_XX_HOURS", 400, "ExchangeError",
       "More than %s hours between startTime and endTime.",
       "Lookup interval is too big."),
    _e(-1128, "OPTIONAL_PARAMS_BAD_COMBO", 400, "ExchangeError",
       "Combination of optional parameters invalid."),
    _e(-1130, "INVALID_PARAMETER", 400, "ExchangeError",
       "Data sent for parameter '%s' is not valid.",
       "Invalid data sent for a parameter."),
    # Gone from the 2025 Spot errors.md but still in Binance's other APIs' tables and in ccxt.
    _e(-1131, "BAD_RECV_WINDOW", 400, "ExchangeError",
       "recvWindow must be less than 60000"),
    # 20xx: the matching engine or the key.
    _e(-2008, "BAD_API_ID", 401, "AuthError",
       "Invalid Api-Key ID."),
    _e(-2010, "NEW_ORDER_REJECTED", 400, "OrderRejected",
       "NEW_ORDER_REJECTED", *ENGINE_TEXTS),
    _e(-2011, "CANCEL_REJECTED", 400, "OrderRejected",
       "CANCEL_REJECTED", *ENGINE_TEXTS),
    # An answer, not a refusal: the order is not there. Clients resolve unknown outcomes with it.
    _e(-2013, "NO_SUCH_ORDER", 400, "ExchangeError",
       "Order does not exist."),
    _e(-2014, "BAD_API_KEY_FMT", 401, "AuthError",
       "API-key format invalid."),
    _e(-2015, "REJECTED_MBX_KEY", 401, "AuthError",
       "Invalid API-key, IP, or permissions for action."),
    _e(-2016, "NO_TRADING_WINDOW", 400, "ExchangeError",
       "No trading window could be found for the symbol. Try ticker/24hrs instead."),
    # cancelReplace: one half done (HTTP 409) is not a clean rejection; both failed (400) is.
    _e(-2021, "CANCEL_REPLACE_PARTIALLY_FAILED", 409, "ExchangeError",
       "Order cancel-replace partially failed."),
    _e(-2022, "CANCEL_REPLACE_FAILED", 400, "OrderRejected",
       "Order cancel-replace failed."),
    _e(-2026, "ORDER_ARCHIVED", 400, "ExchangeError",
       "Order was canceled or expired with no executed qty over 90 days ago and has been "
       "archived."),
)  # fmt: skip

CODES: Final[dict[int, ErrorCode]] = {e.code: e for e in _TABLE}


@dataclass(frozen=True, slots=True)
class HttpMeaning:
    """What an HTTP status means on its own, when the body has no Binance code we know."""

    status: int
    meaning: str
    kind: Kind


HTTP_MEANINGS: Final[dict[int, HttpMeaning]] = {
    h.status: h
    for h in (
        HttpMeaning(403, "WAF limit violated: the request was blocked", "ExchangeError"),
        HttpMeaning(408, "timeout waiting for the backend: execution status unknown",
                    "OutcomeUnknown"),
        HttpMeaning(409, "cancelReplace partially succeeded", "ExchangeError"),
        HttpMeaning(418, "IP auto-banned for continuing after 429s", "RateLimited"),
        HttpMeaning(429, "request rate limit broken: back off", "RateLimited"),
        HttpMeaning(500, "internal error: execution status unknown", "OutcomeUnknown"),
        HttpMeaning(502, "bad gateway: execution status unknown", "OutcomeUnknown"),
        HttpMeaning(503, "service unavailable or backend timeout: execution status unknown",
                    "OutcomeUnknown"),
        HttpMeaning(504, "gateway timeout: execution status unknown", "OutcomeUnknown"),
    )
}  # fmt: skip

# Texts Binance pairs with HTTP 503 (derivatives general-info; Spot uses the same gateway) [I].
UNKNOWN_ERROR_503: Final = "Unknown error, please check your request or try again later."
SERVICE_UNAVAILABLE_503: Final = "Service Unavailable."


def lookup(code: int) -> ErrorCode | None:
    return CODES.get(code)


def msg(code: int, *args: object, variant: int = 0) -> str:
    """Binance's text for `code`, with each `%s` filled from `args` in order.

    `variant` picks one of the code's other documented texts (see the index constants above).
    Raises KeyError for a code not in the table and ValueError when the argument count does not
    match the text's placeholders, so a wrong call fails in tests rather than on the wire.
    """
    entry = CODES[code]
    if not 0 <= variant < len(entry.texts):
        raise ValueError(f"code {code} has {len(entry.texts)} texts; no variant {variant}")
    text = entry.texts[variant]
    wanted = text.count("%s")
    if len(args) != wanted:
        raise ValueError(f"text for code {code} takes {wanted} argument(s), got {len(args)}")
    return text % tuple(str(a) for a in args) if wanted else text


def classify(code: int | None, http_status: int) -> Kind:
    """The tradeguard error class name for an error answer, from its code and HTTP status only.

    The status wins where it speaks for itself: 418/429 are always rate limits, and any 5xx means
    the outcome is unknown whatever code came with it. Otherwise the code decides; an unknown code
    falls back to the status, and an unknown 4xx is a plain ExchangeError.
    """
    if http_status in (418, 429):
        return "RateLimited"
    if http_status >= 500:
        return "OutcomeUnknown"
    entry = CODES.get(code) if code is not None else None
    if entry is not None:
        return entry.kind
    meaning = HTTP_MEANINGS.get(http_status)
    return meaning.kind if meaning is not None else "ExchangeError"
