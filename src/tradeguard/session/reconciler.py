"""Reconciliation as a session runs it: once when it connects, then every few minutes while it
trades (the profile's `reconcile_every_s`, 300 by default), besides the one after every gap in
the user stream. What is asked and adopted is reconcile.py's; this module records it and acts.

A balance mismatch beyond tolerance stops trading (the kill switch, with the mismatch as its
reason and the command that resets it), unless the account's deposits and withdrawals since the
last balance report explain it (balance_moves.py). At start nothing trades, so one look
decides. While the bot trades, a fill can land on the exchange between the trades query and the
balance query, and its stream event a moment later: a mismatch found then is looked at again
after `settle_s` (trades back-filled again, balances asked again, and only then the deposit
history), and only a mismatch that is still there stops trading. A round that
fails (exchange unreachable, rate-limited) is journaled as an ErrorRaised and the next round
comes as planned: a periodic check never takes the session down. A round falls while the user
stream is filling a gap, since that fill reconciles too (two at once would adopt an order twice).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from tradeguard.errors import ExchangeError, TradeguardError
from tradeguard.events import ErrorRaised, EventBase, KillSwitchSet
from tradeguard.session.balance_moves import Explanation, explain
from tradeguard.session.guard import Session
from tradeguard.session.reconcile import (
    Assets,
    Tolerance,
    balance_findings,
    mismatched,
    reconcile,
)

Sleep = Callable[[float], Awaitable[None]]

SETTLE_S = 2.0  # long enough for a fill's stream event to follow its trade


async def reconcile_now(
    session: Session,
    assets: Assets,
    tolerance: Tolerance,
    *,
    settle_s: float = 0.0,
    sleep: Sleep = asyncio.sleep,
) -> list[str]:
    """Adopt what the exchange holds; stop trading on a balance mismatch beyond tolerance
    (looked at twice, `settle_s` apart, when `settle_s` is given). The mismatches, if any."""
    # with a second look coming, the first one asks no history: the second reads it once
    events, beyond = await _look(session, assets, tolerance, history=settle_s <= 0)
    if beyond and settle_s > 0:
        await sleep(settle_s)
        events, beyond = await _look(session, assets, tolerance, history=True)
    for event in events:
        session.recorder.record(event)
    if beyond and not session.ledger.kill_switch.latched:
        session.recorder.record(
            KillSwitchSet(
                at_ms=session.clock.wall_ms(),
                profile=session.profile,
                reason="reconciliation mismatch: " + "; ".join(beyond) + reset_hint(session),
                by="guard",
            ),
            durable=True,
        )
    return beyond


def reset_hint(session: Session) -> str:
    """What the user runs once the mismatch is understood: the exchange's balances are adopted
    already, so a reset is all it takes for the next start to trade."""
    return (
        ". Check the account's deposits, withdrawals and trades on the exchange; the journal "
        "holds the exchange's balances now, and "
        f"`tradeguard kill --reset --profile {session.profile}` lets the bot trade again"
    )


async def reconcile_every(
    session: Session,
    assets: Assets,
    tolerance: Tolerance,
    every_s: float,
    *,
    settle_s: float = SETTLE_S,
    sleep: Sleep = asyncio.sleep,
) -> None:
    """Until the session closes: every `every_s`, `reconcile_now` with a second look."""
    while True:
        await sleep(every_s)
        if session.closing:
            return
        if not session.ready.is_set():
            continue  # the stream is filling a gap, and reconciles as it does: not twice at once
        try:
            await reconcile_now(session, assets, tolerance, settle_s=settle_s, sleep=sleep)
        except Exception as exc:  # journaled, never lost; a background round must not die
            text = exc.message if isinstance(exc, TradeguardError) else str(exc)
            session.recorder.record(
                ErrorRaised(
                    at_ms=session.clock.wall_ms(),
                    profile=session.profile,
                    error=type(exc).__name__,
                    message=f"periodic reconciliation failed, tried again in {every_s:g} s: {text}",
                    code=exc.code if isinstance(exc, ExchangeError) else None,
                )
            )


async def _look(
    session: Session, assets: Assets, tolerance: Tolerance, *, history: bool
) -> tuple[list[EventBase], list[str]]:
    """Record what the exchange holds that the journal lacks; the events to record (deposits
    and withdrawals read for a mismatch, the balance findings) and the mismatches they leave."""
    for event in await reconcile(
        session.transport, session.ledger, assets, profile=session.profile
    ):
        session.recorder.record(event)
    balances = await session.transport.balances()
    at = session.clock.wall_ms()
    off = mismatched(session.ledger, balances, assets, tolerance)
    explained: dict[str, Explanation] = {}
    moved: list[EventBase] = []
    if off and history:
        found, moves = await explain(
            session.transport, session.ledger, off, at_ms=at, profile=session.profile
        )
        explained, moved = found, list(moves)
    events, beyond = balance_findings(
        session.ledger,
        balances,
        assets,
        at_ms=at,
        profile=session.profile,
        tolerance=tolerance,
        explained=explained,
    )
    return moved + events, beyond
