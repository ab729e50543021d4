"""The session's compact exchange symbols ("BTCUSDT") and ccxt's unified ones ("BTC/USDT"),
read from the venue's spot markets as ccxt loaded them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class SymbolMap:
    def __init__(self, markets: Mapping[str, Mapping[str, Any]]) -> None:
        self.unified: dict[str, str] = {}  # compact -> unified
        self.compact: dict[str, str] = {}  # unified -> compact
        self.market_ids: dict[str, str] = {}  # compact -> the venue's own ("BTC-USDT", "XBTUSDT")
        for unified, market in markets.items():
            if not market.get("spot") or market.get("base") is None:
                continue
            name = f"{market['base']}{market['quote']}"
            self.unified[name] = unified
            self.compact[unified] = name
            self.market_ids[name] = str(market["id"])

    def to_unified(self, compact: str) -> str:
        from tradeguard.errors import ConfigError

        found = self.unified.get(compact)
        if found is None:
            raise ConfigError(
                f"{compact} is not a spot symbol of this exchange",
                hint="use a symbol the exchange lists (see `tradeguard doctor`)",
            )
        return found

    def to_compact(self, unified: str | None) -> str:
        if unified is None:
            return ""
        return self.compact.get(unified) or unified.replace("/", "")

    def listed(self) -> list[str]:
        return sorted(self.unified)
