"""The ledger remembers the deposits and withdrawals journaled, so that one move is journaled
once: under the exchange's id when read from its history, and by asset, amount and time when
heard on the stream (Binance's balanceUpdate carries no id). Replay and a restored image agree."""

from __future__ import annotations

from decimal import Decimal

from tradeguard.events import BalanceChanged, BalanceMoved
from tradeguard.journal.ledger_image import capture, restore
from tradeguard.journal.replay import Ledger
from tradeguard.model import Balance

SLACK = 60_000


def moved(delta: str, at: int, move_id: str | None = None) -> BalanceMoved:
    return BalanceMoved(
        at_ms=at,
        profile="bot",
        exchange_ms=at,
        asset="USDT",
        delta=Decimal(delta),
        source="stream" if move_id is None else "history",
        move_id=move_id,
    )


def test_a_move_read_from_the_history_is_known_by_its_id() -> None:
    ledger = Ledger()
    ledger.apply(moved("1000", 5_000, "700000001"))
    assert ledger.knows_move("700000001", "USDT", Decimal(1000), 5_000, slack_ms=SLACK)
    assert not ledger.knows_move("700000002", "USDT", Decimal(1000), 900_000, slack_ms=SLACK)


def test_a_move_heard_on_the_stream_is_known_by_asset_amount_and_time() -> None:
    ledger = Ledger()
    ledger.apply(moved("1000", 5_000))
    assert ledger.knows_move("700000001", "USDT", Decimal(1000), 5_400, slack_ms=SLACK)
    assert not ledger.knows_move("700000001", "USDT", Decimal(999), 5_400, slack_ms=SLACK)
    assert not ledger.knows_move("700000001", "BTC", Decimal(1000), 5_400, slack_ms=SLACK)
    assert not ledger.knows_move("700000001", "USDT", Decimal(1000), 500_000, slack_ms=SLACK)


def test_the_last_report_times_and_the_moves_survive_an_image() -> None:
    ledger = Ledger()
    snapshot = (Balance("USDT", Decimal(5), Decimal(0)),)
    ledger.apply(BalanceChanged(at_ms=7_000, profile="bot", balances=snapshot, source="reconcile"))
    ledger.apply(moved("-3", 8_000, "ab"))
    ledger.apply(moved("2", 9_000))
    again = restore(capture(ledger))
    assert again.report_times("USDT") == ledger.report_times("USDT") == (None, 7_000)
    assert again.knows_move("ab", "USDT", Decimal(-3), 8_000, slack_ms=SLACK)
    assert again.knows_move("zz", "USDT", Decimal(2), 9_000, slack_ms=SLACK)
    assert again.report_times("BTC") is None
