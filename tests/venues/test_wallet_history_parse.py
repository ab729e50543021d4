"""Binance's deposit and withdrawal histories as reconciliation reads them: completed moves
only, a withdrawal moving the balance by its amount and its fee, its UTC text time in ms."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tradeguard.errors import TradeguardError
from tradeguard.venues.binance import wallet_history


def test_only_successful_deposits_count() -> None:
    body = (
        b'[{"id":"1","amount":"0.5","coin":"BTC","status":1,"insertTime":1000},'
        b'{"id":"2","amount":"9","coin":"BTC","status":0,"insertTime":2000}]'
    )
    (move,) = wallet_history.deposits(body)
    assert (move.move_id, move.asset, move.delta, move.at_ms) == ("1", "BTC", Decimal("0.5"), 1000)
    assert move.kind == "deposit"


def test_a_completed_withdrawal_takes_its_amount_and_its_fee() -> None:
    body = (
        b'[{"id":"ab","amount":"8.91","transactionFee":"0.004","coin":"USDT","status":6,'
        b'"applyTime":"2019-10-12 11:12:02"},'
        b'{"id":"cd","amount":"1","coin":"USDT","status":3,"applyTime":"2019-10-12 11:12:03"}]'
    )
    (move,) = wallet_history.withdrawals(body)
    assert (move.move_id, move.delta, move.at_ms) == ("ab", Decimal("-8.914"), 1570878722000)
    assert move.kind == "withdrawal"


def test_an_answer_of_another_shape_is_a_clear_error() -> None:
    with pytest.raises(TradeguardError, match="deposit history"):
        wallet_history.deposits(b'{"code":-1,"msg":"x"}')


def test_the_window_is_never_wider_than_binance_answers() -> None:
    request = wallet_history.deposit_history("USDT", 0, 100 * 24 * 3_600_000)
    params = dict(request.params)
    assert int(params["endTime"]) - int(params["startTime"]) < 90 * 24 * 3_600_000
    assert request.signed and params["coin"] == "USDT"
