"""A restart folds the journal into the ledger and the loss watch in one pass; a journal written
before repeated exchange events were dropped (issue 12, item 3) may hold a fill twice, and the
loss watch must count it once, as the ledger does."""

from __future__ import annotations

from decimal import Decimal

from tests.journal.factories import fill, intent
from tradeguard.journal.replay import Ledger
from tradeguard.risk import LossWatch
from tradeguard.session.connect import _folded


def _watch() -> LossWatch:
    return LossWatch("USDT", daily_loss=Decimal("50"), drawdown_from_peak=Decimal("100"))


def test_a_fill_journaled_twice_moves_the_loss_watch_once() -> None:
    buy = fill(1, "0.5", price="100", commission="1", commission_asset="USDT")
    once, twice = _watch(), _watch()
    for _ in _folded([intent(qty="1"), buy], Ledger(), once):
        pass
    for _ in _folded([intent(qty="1"), buy, buy], Ledger(), twice):
        pass
    assert once.exposure_fields() == twice.exposure_fields()
    assert once.equity != 0  # the fee moved it: the comparison is not vacuous
