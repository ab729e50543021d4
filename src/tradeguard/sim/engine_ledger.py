"""Balances per account: free and locked per asset, and which ones changed since the last report.

The engine moves money only through these methods, so every change marks the asset dirty, and
`flush` turns the dirty set into one outboundAccountPosition per account (what Binance sends
after a balance change). Amounts are `Decimal`; nothing here goes below zero unless the engine
asks it to, which the engine's own checks prevent (and the property tests pin).

Money that comes in or goes out from outside trading (the control API's balance change) is kept
as a `WalletMove` too, a deposit or a withdrawal with an id: what Binance's deposit and
withdrawal histories list (rest_wallet.py), and what a session reads to explain a balance that
moved while it was not listening.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from tradeguard.sim import wire
from tradeguard.sim.records import Balance, UserEvent

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class WalletMove:
    """One completed deposit (`amount` > 0) or withdrawal (`amount` < 0) of an account."""

    move_id: str
    account: str
    asset: str
    amount: Decimal
    at_ms: int

    @property
    def is_deposit(self) -> bool:
        return self.amount > 0


class Ledger:
    def __init__(self, balances: dict[str, dict[str, Decimal]]) -> None:
        self.accounts: dict[str, dict[str, Balance]] = {
            account: {
                asset: Balance(free=Decimal(amount), locked=ZERO)
                for asset, amount in assets.items()
            }
            for account, assets in balances.items()
        }
        # account -> assets changed since the last flush, in the order they changed
        self._dirty: dict[str, dict[str, None]] = {}
        self.moves: list[WalletMove] = []  # in the order they happened

    def get(self, account: str, asset: str) -> Balance:
        assets = self.accounts.setdefault(account, {})
        b = assets.get(asset)
        if b is None:
            b = assets[asset] = Balance(free=ZERO, locked=ZERO)
        return b

    def free(self, account: str, asset: str) -> Decimal:
        b = self.accounts.get(account, {}).get(asset)
        return ZERO if b is None else b.free

    def _touch(self, account: str, asset: str) -> None:
        self._dirty.setdefault(account, {})[asset] = None

    def lock(self, account: str, asset: str, amount: Decimal) -> None:
        if amount:
            b = self.get(account, asset)
            b.free -= amount
            b.locked += amount
            self._touch(account, asset)

    def unlock(self, account: str, asset: str, amount: Decimal) -> None:
        if amount:
            b = self.get(account, asset)
            b.locked -= amount
            b.free += amount
            self._touch(account, asset)

    def spend_locked(self, account: str, asset: str, amount: Decimal) -> None:
        if amount:
            self.get(account, asset).locked -= amount
            self._touch(account, asset)

    def credit(self, account: str, asset: str, amount: Decimal) -> None:
        if amount:
            self.get(account, asset).free += amount
            self._touch(account, asset)

    def set_free(self, account: str, asset: str, free: Decimal) -> Decimal:
        """Set the free amount; returns the change (for balanceUpdate)."""
        b = self.get(account, asset)
        delta = free - b.free
        b.free = free
        self._touch(account, asset)
        return delta

    def record_move(self, account: str, asset: str, amount: Decimal, at_ms: int) -> None:
        """Keep a balance change made from outside as a deposit or a withdrawal."""
        if amount:
            n = len(self.moves) + 1
            # Binance's deposit ids are long digit strings, its withdrawal ids 32 hex digits
            move_id = str(700_000_000 + n) if amount > 0 else f"{n:032x}"
            self.moves.append(WalletMove(move_id, account, asset, amount, at_ms))

    def flush(self, event_time: int, heard: Callable[[str], bool]) -> list[UserEvent]:
        """The outboundAccountPosition of each account whose balances changed since the last
        flush, for the accounts `heard` says someone hears."""
        if not self._dirty:
            return []
        out = []
        for account, assets in self._dirty.items():
            if not heard(account):
                continue
            held = self.accounts[account]
            rows = [(asset, held[asset]) for asset in assets]
            out.append(UserEvent(account, wire.account_position(event_time, rows)))
        self._dirty = {}
        return out
