"""Kraken's names for the engine's assets, pairs, orders and trades, both ways.

The engine speaks Binance's symbols ("BTCUSDT", base "BTC", quote "USDT"). Kraken names:

    asset id     XXBT, XETH, ZUSD, ZEUR (the legacy X/Z-prefixed codes), else the code itself
    altname      XBT for BTC, else the code
    pair key     the AssetPairs key: both asset ids joined when both carry the legacy prefix
                 ("XXBTZUSD", "XETHXXBT"), else the altnames joined ("XBTUSDT", "ETHUSDT")
    pair altname altnames joined ("XBTUSDT"); AddOrder takes the key or the altname
    wsname       altnames with a slash ("XBT/USDT"), as AssetPairs lists it
    WS v2 symbol codes with a slash ("BTC/USDT"), as the v2 executions channel sends it

Order and trade ids (Kraken's "OABC12-DEF34-GHI567" shape) are pure functions of the engine's
(symbol, id), so the simulator keeps no table for them and a reset needs no bookkeeping.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from tradeguard.sim.records import SymbolSpec

_LEGACY_IDS: Final = {"BTC": "XXBT", "ETH": "XETH", "USD": "ZUSD", "EUR": "ZEUR", "GBP": "ZGBP"}
_ALTNAMES: Final = {"BTC": "XBT"}
_ID_ALPHABET: Final = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_ID_DIGITS: Final = 16  # 80 bits after the one-letter prefix: "O" + 5, "-", 5, "-", 6


def asset_id(code: str) -> str:
    return _LEGACY_IDS.get(code, code)


def altname(code: str) -> str:
    return _ALTNAMES.get(code, code)


def asset_code(kraken: str) -> str:
    """The engine's code for a Kraken asset id or altname ("XXBT", "XBT" -> "BTC")."""
    for code, legacy in _LEGACY_IDS.items():
        if kraken in (legacy, code):
            return code
    for code, alt in _ALTNAMES.items():
        if kraken == alt:
            return code
    return kraken


@dataclass(frozen=True, slots=True)
class Pair:
    spec: SymbolSpec
    index: int  # position among the engine's symbols; part of every order and trade id

    @property
    def symbol(self) -> str:
        return self.spec.symbol

    @property
    def key(self) -> str:
        base, quote = asset_id(self.spec.base), asset_id(self.spec.quote)
        if base in _LEGACY_IDS.values() and quote in _LEGACY_IDS.values():
            return base + quote
        return self.altname

    @property
    def altname(self) -> str:
        return altname(self.spec.base) + altname(self.spec.quote)

    @property
    def wsname(self) -> str:
        return f"{altname(self.spec.base)}/{altname(self.spec.quote)}"

    @property
    def ws_symbol(self) -> str:
        return f"{self.spec.base}/{self.spec.quote}"


class Names:
    """The pairs of one engine, found by any of their Kraken names."""

    def __init__(self, specs: Iterable[SymbolSpec]) -> None:
        self.pairs = [Pair(spec, i) for i, spec in enumerate(specs)]
        self._by_name: dict[str, Pair] = {}
        self._by_symbol: dict[str, Pair] = {}
        for pair in self.pairs:
            for name in (pair.key, pair.altname, pair.wsname, pair.ws_symbol):
                self._by_name.setdefault(name, pair)
            self._by_symbol[pair.symbol] = pair

    def pair(self, name: str) -> Pair | None:
        """A pair by its AssetPairs key, altname, wsname or v2 symbol."""
        return self._by_name.get(name)

    def of(self, symbol: str) -> Pair:
        """The pair of an engine symbol ("BTCUSDT")."""
        return self._by_symbol[symbol]

    # ── ids ─────────────────────────────────────────────────────────────────────────────
    def order_txid(self, symbol: str, order_id: int) -> str:
        return _encode("O", order_id * len(self.pairs) + self.of(symbol).index)

    def trade_txid(self, symbol: str, trade_id: int, is_buyer: bool) -> str:
        # Both sides of a match share the engine's trade id; Kraken gives each its own.
        n = (trade_id * 2 + int(is_buyer)) * len(self.pairs) + self.of(symbol).index
        return _encode("T", n)

    def order_of(self, txid: str) -> tuple[str, int] | None:
        """(engine symbol, order id) of an order txid, or None if it names no order."""
        n = _decode("O", txid)
        if n is None or not self.pairs:
            return None
        order_id, index = divmod(n, len(self.pairs))
        return self.pairs[index].symbol, order_id


def _encode(prefix: str, n: int) -> str:
    digits = []
    for _ in range(_ID_DIGITS):
        n, r = divmod(n, len(_ID_ALPHABET))
        digits.append(_ID_ALPHABET[r])
    text = prefix + "".join(reversed(digits))
    return f"{text[:6]}-{text[6:11]}-{text[11:]}"


def _decode(prefix: str, txid: str) -> int | None:
    text = txid.replace("-", "")
    if len(text) != _ID_DIGITS + 1 or not text.startswith(prefix):
        return None
    n = 0
    for ch in text[1:]:
        value = _ID_ALPHABET.find(ch)
        if value < 0:
            return None
        n = n * len(_ID_ALPHABET) + value
    return n
