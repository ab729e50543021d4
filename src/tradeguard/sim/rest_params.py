"""Strict reading of Binance request parameters: numbers, enums, ids, in Binance's own words.

Parameters arrive as text (query string, form body or WebSocket JSON). Binance checks their
format before anything else and answers a malformed one with -1100 and the legal pattern, a
missing one with -1102, an unknown enum value with its own code (-1115/-1116/-1117/...). The
engine gets only well-formed values; what they mean (filters, balances) is the engine's job.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal

from tradeguard.sim.rejects import Reject
from tradeguard.venues.binance import codes

DECIMAL_RANGE = r"^([0-9]{1,20})(\.[0-9]{1,20})?$"
INTEGER_RANGE = r"^[0-9]{1,20}$"
CLIENT_ID_RANGE = r"^[a-zA-Z0-9-_]{1,36}$"
SYMBOL_RANGE = r"^[A-Z0-9-_.]{1,20}$"

_DECIMAL = re.compile(DECIMAL_RANGE)
_INTEGER = re.compile(INTEGER_RANGE)
_CLIENT_ID = re.compile(CLIENT_ID_RANGE)
_SYMBOL = re.compile(SYMBOL_RANGE)

SIDES = ("BUY", "SELL")
TIME_IN_FORCE = ("GTC", "IOC", "FOK")
RESP_TYPES = ("ACK", "RESULT", "FULL")
STP_MODES = ("NONE", "EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH", "DECREMENT")
KLINE_INTERVALS_MS = {
    "1s": 1_000,
    "1m": 60_000,
    "3m": 180_000,
    "5m": 300_000,
    "15m": 900_000,
    "30m": 1_800_000,
    "1h": 3_600_000,
    "2h": 7_200_000,
    "4h": 14_400_000,
    "6h": 21_600_000,
    "8h": 28_800_000,
    "12h": 43_200_000,
    "1d": 86_400_000,
    "3d": 259_200_000,
    "1w": 604_800_000,
    "1M": 2_592_000_000,  # Binance's month is a calendar month; 30 days is close enough here
}


def reject(code: int, *args: object, variant: int = 0, http_status: int | None = None) -> Reject:
    """Binance's refusal `code` with its text (templated with `args`) and HTTP status."""
    status = codes.CODES[code].http_status if http_status is None else http_status
    return Reject(code, codes.msg(code, *args, variant=variant), status)


def illegal(name: str, legal_range: str) -> Reject:
    return reject(-1100, name, legal_range)


class Params:
    """The request's parameters with typed, Binance-checked accessors.

    An optional parameter sent empty counts as not sent (clients that template their URLs send
    `&price=`); a mandatory one sent empty is -1102, as on Binance.
    """

    __slots__ = ("raw",)

    def __init__(self, raw: Mapping[str, str]) -> None:
        self.raw = raw

    def __contains__(self, name: str) -> bool:
        return bool(self.raw.get(name))

    def text(self, name: str, *, required: bool = False) -> str | None:
        value = self.raw.get(name)
        if not value:
            if required:
                raise reject(-1102, name)
            return None
        return value

    def required(self, name: str) -> str:
        value = self.text(name, required=True)
        assert value is not None  # text(required=True) raised otherwise
        return value

    def decimal(self, name: str, *, required: bool = False) -> Decimal | None:
        value = self.text(name, required=required)
        if value is None:
            return None
        if not _DECIMAL.match(value):
            raise illegal(name, DECIMAL_RANGE)
        return Decimal(value)

    def integer(self, name: str, *, required: bool = False) -> int | None:
        value = self.text(name, required=required)
        if value is None:
            return None
        if not _INTEGER.match(value):
            raise illegal(name, INTEGER_RANGE)
        return int(value)

    def limit(self, name: str, default: int, maximum: int) -> int:
        """A result-count limit: Binance answers at most `maximum` however many are asked."""
        value = self.integer(name)
        if value is None:
            return default
        if value < 1:
            raise illegal(name, INTEGER_RANGE)
        return min(value, maximum)

    def enum(
        self, name: str, choices: tuple[str, ...], code: int, *, required: bool = False
    ) -> str | None:
        value = self.text(name, required=required)
        if value is None:
            return None
        if value not in choices:
            raise reject(-1130, name) if code == -1130 else reject(code)
        return value

    def boolean(self, name: str) -> bool | None:
        value = self.text(name)
        if value is None:
            return None
        lowered = value.lower()
        if lowered not in ("true", "false"):
            raise reject(-1130, name)
        return lowered == "true"

    def symbol(self, name: str = "symbol", *, required: bool = True) -> str | None:
        value = self.text(name, required=required)
        if value is None:
            return None
        if not _SYMBOL.match(value):
            raise illegal(name, SYMBOL_RANGE)
        return value

    def the_symbol(self) -> str:
        value = self.symbol()
        assert value is not None  # symbol(required=True) raised otherwise
        return value

    def client_id(self, name: str) -> str | None:
        value = self.text(name)
        if value is None:
            return None
        if not _CLIENT_ID.match(value):
            raise illegal(name, CLIENT_ID_RANGE)
        return value

    def symbol_list(self, name: str = "symbols") -> list[str] | None:
        """`symbols=["BTCUSDT","ETHUSDT"]` (JSON-ish, as Binance takes it), or None if absent."""
        value = self.text(name)
        if value is None:
            return None
        inner = value.strip()
        if not (inner.startswith("[") and inner.endswith("]")):
            raise illegal(name, r"^\[(\"[A-Z0-9-_.]{1,20}\"(,\"[A-Z0-9-_.]{1,20}\"){0,}){0,1}\]$")
        names = [part.strip().strip('"') for part in inner[1:-1].split(",") if part.strip()]
        if not names or not all(_SYMBOL.match(n) for n in names):
            raise illegal(name, r"^\[(\"[A-Z0-9-_.]{1,20}\"(,\"[A-Z0-9-_.]{1,20}\"){0,}){0,1}\]$")
        return names

    def interval_ms(self, name: str = "interval") -> int:
        value = self.required(name)
        if value not in KLINE_INTERVALS_MS:
            raise reject(-1120)
        return KLINE_INTERVALS_MS[value]
