"""Deposits and withdrawals that explain a balance mismatch, read before trading stops on it.

A trader deposits or withdraws while the bot is stopped, or while its user stream is down: the
journal's balance and the exchange's then differ at the next reconciliation, and before this
that stopped trading. Now, for each asset beyond tolerance, the venue's deposit and withdrawal
history since the journal's last report of that asset is read (one request each, through the
venue's limiter like every request), and each completed move not journaled yet is recorded as a
`BalanceMoved` (source "history", under the exchange's id). reconcile.balance_findings then
adds their sum to the journal's balance: what is left beyond tolerance still stops trading.

The window's edge is the last report's time (the exchange's, else the journal's, moved to the
exchange's clock); a move at the edge counted on the wrong side makes the mismatch bigger, not
smaller, so an error there stops trading rather than hiding anything. A venue that does not
offer the history (`venues.wallet_moves.WalletHistory`), and a read that fails (a key without
reading, the exchange down), explain nothing and say so in the report.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from tradeguard.errors import TradeguardError
from tradeguard.events import BalanceMoved
from tradeguard.journal.replay import Ledger
from tradeguard.venues.protocol import Venue
from tradeguard.venues.wallet_moves import WalletHistory, WalletMove

# a stream balanceUpdate and the history's record of the same move are this close in time
SAME_MOVE_SLACK_MS = 60_000
ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Explanation:
    """What the history says of one asset: the moves not journaled before, or why it has
    nothing to say (`unread`)."""

    moves: tuple[WalletMove, ...] = ()
    unread: str | None = None

    @property
    def delta(self) -> Decimal:
        return sum((m.delta for m in self.moves), ZERO)

    @property
    def fees(self) -> Decimal:
        """The withdrawals' fees inside `delta`: the balance moved by `delta`, or by `delta`
        without them if the exchange's listed amounts held them already."""
        return sum((m.fee for m in self.moves), ZERO)

    def describe(self) -> str:
        if self.unread is not None:
            return self.unread
        if not self.moves:
            return "no deposit or withdrawal since the last report explains it"
        counts: dict[str, int] = {}
        for move in self.moves:
            counts[move.kind] = counts.get(move.kind, 0) + 1
        parts = [f"{n} {kind}{'s' if n > 1 else ''}" for kind, n in sorted(counts.items())]
        return f"{', '.join(parts)} since the last report: {self.delta:+f}"


async def explain(
    transport: Venue, ledger: Ledger, assets: Iterable[str], *, at_ms: int, profile: str
) -> tuple[dict[str, Explanation], list[BalanceMoved]]:
    """Per asset, what its deposits and withdrawals explain; and the moves to journal."""
    found: dict[str, Explanation] = {}
    events: list[BalanceMoved] = []
    if not isinstance(transport, WalletHistory):
        why = (
            f"deposits and withdrawals are not read on {transport.name}: check them on the exchange"
        )
        return dict.fromkeys(assets, Explanation(unread=why)), events
    offset = transport.server_now_ms() - transport.clock.wall_ms()
    for asset in assets:
        times = ledger.report_times(asset)
        if times is None:
            continue
        exchange_ms, journal_ms = times
        since = (exchange_ms if exchange_ms is not None else journal_ms + offset) + 1
        try:
            moves = await transport.wallet_moves(asset, since)
        except TradeguardError as exc:
            found[asset] = Explanation(
                unread="the deposit and withdrawal history could not be read "
                f"({exc.message}): check them on the exchange (the key needs reading enabled)"
            )
            continue
        new = tuple(
            m
            for m in sorted(moves, key=lambda m: (m.at_ms, m.move_id))
            if m.asset == asset
            and not ledger.knows_move(
                m.move_id, m.asset, m.delta, m.at_ms, slack_ms=SAME_MOVE_SLACK_MS
            )
        )
        found[asset] = Explanation(new)
        events.extend(
            BalanceMoved(
                at_ms=at_ms,
                profile=profile,
                exchange_ms=m.at_ms,
                asset=m.asset,
                delta=m.delta,
                source="history",
                move_id=m.move_id,
            )
            for m in new
        )
    return found, events
