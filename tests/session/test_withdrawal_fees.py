"""A withdrawal's fee: Binance lists `amount` and `transactionFee` and does not say whether the
amount holds the fee, so a mismatch is explained when the balance moved by the amount plus the
fee or by the amount alone, and by nothing else."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tradeguard.events import BalanceChanged
from tradeguard.journal.replay import Ledger
from tradeguard.model import Balance
from tradeguard.session.balance_moves import Explanation
from tradeguard.session.reconcile import Tolerance, balance_findings
from tradeguard.venues.binance.wallet_history import withdrawals

WITHDRAWAL = (
    b'[{"id":"ab","amount":"100","transactionFee":"5","coin":"USDT","status":6,'
    b'"applyTime":"2026-12-07 06:00:00"}]'
)


def mismatches(now: str) -> list[str]:
    ledger = Ledger()
    held = (Balance("USDT", Decimal(1000), Decimal(0)),)
    ledger.apply(BalanceChanged(at_ms=1, profile="bot", balances=held, source="reconcile"))
    _, beyond = balance_findings(
        ledger,
        {"USDT": Balance("USDT", Decimal(now), Decimal(0))},
        {"BTCUSDT": ("BTC", "USDT")},
        at_ms=2,
        profile="bot",
        tolerance=Tolerance(),
        explained={"USDT": Explanation(tuple(withdrawals(WITHDRAWAL)))},
    )
    return beyond


@pytest.mark.parametrize("now", ["895", "900"])
def test_a_withdrawal_explains_the_balance_with_or_without_its_fee(now: str) -> None:
    assert mismatches(now) == []


def test_a_withdrawal_does_not_explain_another_amount() -> None:
    (left,) = mismatches("890")
    assert "1 withdrawal since the last report: -105" in left and "left unexplained" in left
