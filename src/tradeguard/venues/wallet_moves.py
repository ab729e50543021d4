"""Deposits and withdrawals as reconciliation reads them: the seam beside `protocol.Venue` for a
venue that can list the money moved in and out of an account from outside trading.

A venue offers it by having `wallet_moves(asset, since_ms)`; one that does not (ccxt venues
today) is asked nothing, and a balance that moved there while the session was away stops
trading as before. Pure: no I/O here, only the shape of the answer.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Protocol, runtime_checkable

import msgspec


class WalletMove(msgspec.Struct, frozen=True):
    """One completed deposit (`delta` > 0) or withdrawal (`delta` < 0, its fee included) at
    the exchange's time `at_ms`, under the exchange's own id for it. `fee`: the part of a
    withdrawal's delta that is the exchange's fee (whether its listed amount already holds the
    fee is not written down anywhere we trust, so reconciliation accepts either reading)."""

    move_id: str
    asset: str
    delta: Decimal
    at_ms: int
    fee: Decimal = Decimal(0)

    @property
    def kind(self) -> str:
        return "deposit" if self.delta > 0 else "withdrawal"


@runtime_checkable
class WalletHistory(Protocol):
    async def wallet_moves(self, asset: str, since_ms: int) -> list[WalletMove]:
        """The asset's completed deposits and withdrawals at or after `since_ms` (the
        exchange's time), one request each; raises as any request does when one fails."""
        ...
