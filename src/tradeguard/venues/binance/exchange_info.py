"""exchangeInfo, read once at connect and kept fresh: the symbols' filters and the rate limits.

What does not change per call is not asked per call (issue 3's caches): the session validates
every order against rules read at connect, and refreshes them every `every_s` (an hour by
default: Binance changes filters rarely and announces it) so that a long-running bot follows a
tick-size or notional change. A refresh that fails keeps the rules it had; the next order's
exchange check still catches a stale one (-1013), never a silent default.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import MutableMapping, Sequence

from tradeguard.errors import ConfigError, TradeguardError
from tradeguard.symbol_rules import SymbolRules
from tradeguard.venues.binance import endpoints
from tradeguard.venues.binance.client import BinanceTransport
from tradeguard.venues.binance.rules import parse_exchange_info

REFRESH_EVERY_S = 3600.0


async def load(
    transport: BinanceTransport, wanted: Sequence[str], profile: str
) -> dict[str, SymbolRules]:
    """The wanted symbols' rules; the exchange's rate limits adopted by the transport."""
    body = await transport.call(endpoints.exchange_info())
    transport.adopt_rate_limits(body)
    rules = parse_exchange_info(body)
    missing = [s for s in wanted if s not in rules]
    if missing:
        raise ConfigError(
            f"profile {profile}: {', '.join(missing)} not traded here",
            hint=_listed_instead(missing, sorted(rules)),
        )
    return {s: rules[s] for s in wanted}


def _listed_instead(missing: Sequence[str], listed: Sequence[str]) -> str:
    """What the exchange lists near each missing name (a typo, the wrong quote asset); an
    exchange lists thousands, so its first few names alone help nobody."""
    import difflib

    said = []
    for name in missing:
        near = difflib.get_close_matches(name, listed, n=3, cutoff=0.75)
        said.append(f"no {name}" + (f" (near it: {', '.join(near)})" if near else ""))
    hint = f"the exchange lists {', '.join(said)}"
    if len(said) > sum("(near it" in s for s in said):
        hint += f"; it lists e.g. {', '.join(listed[:5])}"
    return hint


async def keep_fresh(
    transport: BinanceTransport,
    rules: MutableMapping[str, SymbolRules],
    profile: str,
    every_s: float = REFRESH_EVERY_S,
) -> None:
    """Refresh `rules` in place every `every_s`, until cancelled."""
    while True:
        await asyncio.sleep(every_s)
        with contextlib.suppress(TradeguardError):
            rules.update(await load(transport, list(rules), profile))
