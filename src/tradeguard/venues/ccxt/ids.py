"""Exchange ids as the guard holds them: integers, whatever the venue spells.

Bybit's and OKX's order and trade ids are decimal strings, taken as they are. Kraken's txids
("OQCLML-BW3P3-BUCMWZ") are not numbers: each is mapped to a stable 56-bit integer (a hash of
the txid, the same in every process and after a restart), and the way back is kept here for
the txids this process has seen. The journal then holds the mapped id; a lookup of a mapped id
this process has not seen goes by client order id, or through the venue's order lists.
"""

from __future__ import annotations

import hashlib
import re

_MAPPED_BYTES = 7  # 56 bits: an int64 in the journal, and exact as a JSON number everywhere


class IdMap:
    """Venue id strings to integers and back, for one venue connection."""

    def __init__(self, *, numeric: bool = True) -> None:
        self.numeric = numeric  # the venue's ids are decimal strings (Bybit, OKX)
        self._back: dict[int, str] = {}

    def to_int(self, raw: object) -> int:
        text = str(raw)
        if text.isdigit():
            return int(text)
        digest = hashlib.blake2b(text.encode(), digest_size=_MAPPED_BYTES).digest()
        mapped = int.from_bytes(digest, "big")
        self._back[mapped] = text
        return mapped

    def to_venue(self, mapped: int) -> str | None:
        """The venue's own id for an integer: itself for numeric ids; None for a mapped id
        this process has not seen."""
        known = self._back.get(mapped)
        if known is not None:
            return known
        return str(mapped) if self.numeric else None


def trade_int(ids: IdMap, trade: dict[str, object]) -> int:
    """A trade's integer id: Kraken's own numeric `trade_id` (ordered per pair) where the raw
    trade carries one, else the unified id."""
    info = trade.get("info")
    if isinstance(info, dict):
        numeric = info.get("trade_id")
        if numeric is not None and str(numeric).isdigit():
            return int(str(numeric))
    return ids.to_int(trade["id"])


# OKX's clOrdId takes letters and digits only; tradeguard's ids are lowercase letters, digits
# and dashes ("tg-mxcb37si9a05-1"), so a dash travels as an upper-case Z and comes back as one.
_ENCODED = re.compile(r"[a-z0-9]+(?:Z[a-z0-9]+)+")


def alphanumeric_client_id(client_order_id: str) -> str:
    """`client_order_id` in letters and digits only (reversible by `our_client_id`)."""
    if re.fullmatch(r"[a-z0-9-]+", client_order_id):
        return client_order_id.replace("-", "Z")
    return client_order_id


def our_client_id(venue_client_id: str) -> str:
    """The session's client order id for one a venue reports (the inverse of the encoding)."""
    if _ENCODED.fullmatch(venue_client_id):
        return venue_client_id.replace("Z", "-")
    return venue_client_id
