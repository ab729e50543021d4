"""Binance's public market-data endpoints, answered through the session's transport.

Each request goes out through the session's `tg.forward` (its Binance transport), so it is
priced against the
real per-host request budget (Binance's published weights), waits or is refused during a pause,
and is answered locally during a ban (418, never forwarded). exchangeInfo, which every client
loads at start and which weighs 20, is kept for `info_ttl_s` and served from memory.

exchangeInfo says what the bot may trade: a symbol the profile does not name has Binance's
status BREAK (not trading), which ccxt reads as an inactive market and python-binance passes on
as it is; the profile's symbols keep the exchange's own status. The others are marked, not
dropped, because a bot may still read their prices (ccxt's `fetch_ticker` and `watch_ticker`
need the market loaded), and those reads are served.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any, Final, Protocol

import msgspec

from tradeguard.net.clock import Clock
from tradeguard.venues.binance.endpoints import Request

EXCHANGE_INFO: Final = "/api/v3/exchangeInfo"


NOT_TRADING: Final = "BREAK"  # Binance's symbol status for a symbol that does not trade


class Forwarder(Protocol):
    """What the public reads need of the session: `tg.forward`, and `tg.rules` (the symbols
    the profile trades, by their Binance names)."""

    async def forward(self, request: object) -> bytes: ...

    @property
    def rules(self) -> Mapping[str, object]: ...


def _depth_weight(params: dict[str, str]) -> int:
    limit = int(params.get("limit", "100")) if params.get("limit", "100").isdigit() else 100
    return 5 if limit <= 100 else 25 if limit <= 500 else 50 if limit <= 1000 else 250


Weigh = Callable[[dict[str, str]], int]


def _per_symbol(one: int, every: int) -> Weigh:
    def weigh(params: dict[str, str]) -> int:
        return one if "symbol" in params else every

    return weigh


# path -> weight, or a function of the parameters giving it (exchange-wire.md, "Weights")
WEIGHTS: Final[dict[str, int | Weigh]] = {
    "/api/v3/ping": 1,
    "/api/v3/time": 1,
    EXCHANGE_INFO: 20,
    "/api/v3/depth": _depth_weight,
    "/api/v3/trades": 25,
    "/api/v3/aggTrades": 4,
    "/api/v3/klines": 2,
    "/api/v3/uiKlines": 2,
    "/api/v3/avgPrice": 2,
    "/api/v3/ticker/24hr": _per_symbol(2, 80),
    "/api/v3/ticker/price": _per_symbol(2, 4),
    "/api/v3/ticker/bookTicker": _per_symbol(2, 4),
    "/api/v3/ticker/tradingDay": 4,
    "/api/v3/ticker": 4,
}


def weight_of(path: str, params: dict[str, str]) -> int:
    rule = WEIGHTS[path]
    return rule if isinstance(rule, int) else rule(params)


class PublicReads:
    """Forwards the public endpoints, exchangeInfo kept for a while."""

    def __init__(self, session: Forwarder, clock: Clock, info_ttl_s: float = 60.0) -> None:
        self._session = session
        self._clock = clock
        self._ttl_s = info_ttl_s
        self._info: tuple[float, bytes] | None = None  # (monotonic when read, body)
        self.forwarded = 0  # requests that went out to the exchange

    @staticmethod
    def serves(path: str) -> bool:
        return path in WEIGHTS

    async def read(self, path: str, params: Sequence[tuple[str, str]]) -> bytes:
        """The exchange's 2xx body for the public `path`; a tradeguard error otherwise."""
        if path == EXCHANGE_INFO:
            return await self._exchange_info(params)
        return await self._forward(path, params)

    async def _forward(self, path: str, params: Sequence[tuple[str, str]]) -> bytes:
        request = Request("GET", path, tuple(params), weight=weight_of(path, dict(params)))
        self.forwarded += 1
        return await self._session.forward(request)

    async def _exchange_info(self, params: Sequence[tuple[str, str]]) -> bytes:
        """exchangeInfo with the symbols the profile does not trade marked BREAK. A
        `symbolStatus` alone filters by the status shown, so the exchange is asked for the
        whole listing (the one kept) and the filter applied here."""
        names = {name for name, _ in params}
        wanted: str | None = None
        if names == {"symbolStatus"}:
            wanted, params = params[0][1], ()
        if not params and self._info is not None:
            read_at, body = self._info
            if self._clock.monotonic() - read_at < self._ttl_s:
                return body if wanted is None else traded_only(body, self._session.rules, wanted)
        body = traded_only(await self._forward(EXCHANGE_INFO, params), self._session.rules)
        if not params:
            self._info = (self._clock.monotonic(), body)
        return body if wanted is None else traded_only(body, self._session.rules, wanted)


def traded_only(body: bytes, traded: Collection[str], status: str | None = None) -> bytes:
    """exchangeInfo's body with every symbol outside `traded` given the status BREAK; with
    `status`, only the symbols of that status (as shown) listed."""
    info: Any = msgspec.json.decode(body)
    symbols = info.get("symbols") if isinstance(info, dict) else None
    if not isinstance(symbols, list):
        return body  # not the listing (an error passes as the exchange sent it)
    for entry in symbols:
        if isinstance(entry, dict) and entry.get("symbol") not in traded:
            entry["status"] = NOT_TRADING
    if status is not None:
        info["symbols"] = [e for e in symbols if isinstance(e, dict) and e.get("status") == status]
    return msgspec.json.encode(info)
