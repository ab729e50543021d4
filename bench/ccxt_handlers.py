"""What the benchmarks need to run ccxt.pro's own message handlers without a socket: a market
as ccxt holds one, and the WebSocket client its handlers resolve futures on. Feeding them the
same frames as our decoders is how each `ccxt` baseline is measured."""

from __future__ import annotations

from typing import Any


def spot_market(
    market_id: str, *, lowercase_id: str | None, amount_step: float, info: dict[str, Any]
) -> dict[str, Any]:
    """BTC/USDT spot as ccxt's `set_markets` takes it (what its parsers read of a market)."""
    limits = {"min": None, "max": None}
    return {
        "id": market_id, "lowercaseId": lowercase_id, "symbol": "BTC/USDT", "base": "BTC",
        "quote": "USDT", "settle": None, "baseId": "BTC", "quoteId": "USDT", "settleId": None,
        "type": "spot", "spot": True, "margin": False, "swap": False, "future": False,
        "option": False, "active": True, "contract": False, "linear": None, "inverse": None,
        "taker": 0.001, "maker": 0.001, "contractSize": None, "expiry": None,
        "expiryDatetime": None, "strike": None, "optionType": None,
        "precision": {"amount": amount_step, "price": 0.01},
        "limits": {"amount": limits, "price": limits, "cost": limits, "leverage": limits},
        "created": None, "info": info,
    }  # fmt: skip


class FakeWsClient:
    """What ccxt's handlers need of its WebSocket client: the futures they resolve, counted.
    `strict`: a rejection (ccxt refusing a message, e.g. a book diff out of sequence) fails the
    run instead of passing unnoticed."""

    def __init__(self, url: str = "", *, strict: bool = False) -> None:
        self.url = url
        self.strict = strict
        self.subscriptions: dict[str, Any] = {}
        self.futures: dict[str, Any] = {}
        self.rejections: dict[str, Any] = {}
        self.resolved = 0

    def resolve(self, result: object, message_hash: str) -> None:
        self.resolved += 1

    def reject(self, error: object = None, *args: object) -> None:
        if self.strict:
            raise AssertionError(f"ccxt rejected a message: {error}")
