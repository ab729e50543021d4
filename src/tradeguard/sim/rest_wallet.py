"""Wallet and margin listings that ccxt reads while loading markets with a key.

ccxt's Binance `fetch_currencies` signs `GET /sapi/v1/capital/config/getall` (and, unless told
`fetchMargins: False`, `/sapi/v1/margin/allPairs`, with `margin/isolated/allPairs` from
`fetch_markets`) whenever credentials are set; a bot that keeps ccxt's defaults (freqtrade does)
stops at the first 404. The simulator trades spot only and moves no coin in or out, so every
asset is listed with the account's balance, no network and deposits and withdrawals off, and
both margin listings are empty.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from tradeguard.sim.auth import Security
from tradeguard.sim.rest_pipeline import Call, Endpoint
from tradeguard.sim.wire import d8

if TYPE_CHECKING:
    from tradeguard.sim.app import Sim

ZERO = "0"


def endpoints(sim: Sim) -> list[Endpoint]:
    def coins(call: Call) -> object:
        held = sim.engine.balances(call.account)
        assets = set(held)
        for spec in sim.engine.symbols.values():
            assets.update((spec.base, spec.quote))
        out = []
        for asset in sorted(assets):
            balance = held.get(asset)
            out.append(
                {
                    "coin": asset,
                    "depositAllEnable": False,
                    "free": d8(balance.free) if balance else d8(Decimal(0)),
                    "freeze": ZERO,
                    "ipoable": ZERO,
                    "ipoing": ZERO,
                    "isLegalMoney": False,
                    "locked": d8(balance.locked) if balance else d8(Decimal(0)),
                    "name": asset,
                    "networkList": [],
                    "storage": ZERO,
                    "trading": True,
                    "withdrawAllEnable": False,
                    "withdrawing": ZERO,
                }
            )
        return out

    def no_margin_pairs(call: Call) -> object:
        return []  # spot only: nothing here trades on margin

    return [
        Endpoint(
            "GET", "/sapi/v1/capital/config/getall", coins, weight=10, security=Security.USER_DATA
        ),
        Endpoint("GET", "/sapi/v1/margin/allPairs", no_margin_pairs, security=Security.MARKET_DATA),
        Endpoint(
            "GET",
            "/sapi/v1/margin/isolated/allPairs",
            no_margin_pairs,
            weight=10,
            security=Security.USER_DATA,
        ),
    ]
