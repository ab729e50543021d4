"""The three read-only wallet listings ccxt signs while loading markets, answered locally.

ccxt's Binance, holding a key, reads `GET /sapi/v1/capital/config/getall` (the coin list) and
the cross and isolated margin pair lists in `load_markets`; freqtrade and most ccxt bots keep
those defaults, and would stop at a refusal. Nothing here moves funds, and the answers are what
is true of every bot behind the gateway: each coin with the exchange's balance, deposits and
withdrawals off (the gateway refuses them), no networks, and no margin pairs (it trades spot
only). Every other /sapi/ path is still refused (`refused.py`); these are matched exactly, GET
only, and must be signed with a local key like any account read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final

from tradeguard.gateway.shapes import amount
from tradeguard.model import Balance

COINS: Final = ("GET", "/sapi/v1/capital/config/getall")
MARGIN_PAIRS: Final = ("GET", "/sapi/v1/margin/allPairs")
ISOLATED_PAIRS: Final = ("GET", "/sapi/v1/margin/isolated/allPairs")
ROUTES: Final = frozenset((COINS, MARGIN_PAIRS, ISOLATED_PAIRS))
_NONE: Final = "0"


def coins(balances: Mapping[str, Balance], traded_assets: Iterable[str]) -> list[dict[str, Any]]:
    """Binance's coin list: every asset held or traded, with its balance, no way in or out."""
    out = []
    for asset in sorted(set(balances) | set(traded_assets)):
        held = balances.get(asset)
        out.append(
            {
                "coin": asset,
                "name": asset,
                "free": amount(held.free if held else None),
                "locked": amount(held.locked if held else None),
                "freeze": _NONE,
                "withdrawing": _NONE,
                "ipoing": _NONE,
                "ipoable": _NONE,
                "storage": _NONE,
                "isLegalMoney": False,
                "trading": True,
                "depositAllEnable": False,
                "withdrawAllEnable": False,
                "networkList": [],
            }
        )
    return out
