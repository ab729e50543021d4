"""Bybit, OKX and Kraken through ccxt (the optional `tradeguard[ccxt]` extra), as a
`venues.protocol.Venue`: `open_venue` is the one way in. ccxt is imported only here, when a
venue is opened, never when tradeguard is imported.

    venue.py     CcxtVenue: the REST half (orders, fills, balances, rules, clock)
    wire.py      every request: rate ledger, reply notes, errors, retries for reads only
    errors.py    ccxt's exceptions -> tradeguard's tree (and whether the request left)
    reports.py   ccxt orders and trades -> OrderReport and Fill (Decimal, never float)
    ids.py       venue ids -> integers (Kraken's txids mapped, the way back kept)
    symbols.py   "BTCUSDT" <-> "BTC/USDT"
    adapters.py  what differs per venue: URLs, options, order params, lookups, features
    placing.py   plain orders as the venue's own request, without ccxt's create_order
    stream.py    the private stream as journal events, native: private_ws.py speaks the socket,
                 frames/<venue>.py decode it (ccxt.pro is not used for it)
"""

from __future__ import annotations

from tradeguard.keys.credentials import ApiCredentials
from tradeguard.net.clock import SYSTEM, Clock
from tradeguard.venues.ccxt.venue import CcxtVenue

__all__ = ["CcxtVenue", "open_venue"]


def open_venue(
    venue: str,
    base_url: str | None,
    credentials: ApiCredentials | None,
    *,
    clock: Clock = SYSTEM,
    sandbox: bool = False,
    urls: dict[str, str] | None = None,
) -> CcxtVenue:
    """The venue `venue` ("bybit", "okx", "kraken") at `base_url` (the simulator's dialect,
    or None for the venue's own hosts; `sandbox` for its testnet)."""
    from tradeguard.errors import ConfigError
    from tradeguard.venues.ccxt.adapters import adapter_for

    adapter = adapter_for(venue)
    try:
        import ccxt.pro as ccxtpro
    except ImportError:
        raise ConfigError(
            f"venue {venue!r} trades through ccxt, which is not installed",
            hint='pip install "tradeguard[ccxt]"',
        ) from None
    exchange = getattr(ccxtpro, venue)(adapter.config(base_url, urls, credentials))
    if sandbox and base_url is None:
        if not adapter.sandbox:
            raise ConfigError(
                f"{venue} has no testnet", hint='use env = "sim" first, then live-small'
            )
        exchange.set_sandbox_mode(True)
    return CcxtVenue(
        adapter, exchange, base_url or _default_url(exchange), credentials, clock=clock
    )


def _default_url(exchange: object) -> str:
    api = getattr(exchange, "urls", {}).get("api", {})
    for key in ("rest", "private", "public"):
        value = api.get(key) if isinstance(api, dict) else None
        if isinstance(value, str):
            return value
    return ""
