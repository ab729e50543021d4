"""The rejection breaker opens on repeated identical rejections and lets one probe through."""

from __future__ import annotations

import pytest

from tradeguard.errors import BreakerOpen, GuardError
from tradeguard.net.breaker import RejectionBreaker

WHAT = "POST /api/v3/order BTCUSDT BUY"
POOR = "-2010 Account has insufficient balance for requested action."


def test_opens_after_the_threshold_and_refuses_locally() -> None:
    breaker = RejectionBreaker(threshold=3, window_s=60, cooldown_s=30)
    for t in (0.0, 1.0):
        breaker.check(WHAT, t)
        assert not breaker.rejected(WHAT, POOR, t)
    assert breaker.rejected(WHAT, POOR, 2.0)
    with pytest.raises(BreakerOpen) as refused:
        breaker.check(WHAT, 10.0)
    assert isinstance(refused.value, GuardError)
    assert "insufficient balance" in str(refused.value) and refused.value.retry_in_s == 22
    breaker.check("POST /api/v3/order BTCUSDT SELL", 10.0)  # other shapes are unaffected


def test_rejections_spread_beyond_the_window_do_not_open_it() -> None:
    breaker = RejectionBreaker(threshold=3, window_s=10)
    assert not any(breaker.rejected(WHAT, POOR, t) for t in (0.0, 11.0, 22.0, 33.0))


def test_different_rejections_start_over() -> None:
    breaker = RejectionBreaker(threshold=3)
    breaker.rejected(WHAT, POOR, 0)
    breaker.rejected(WHAT, POOR, 1)
    assert not breaker.rejected(WHAT, "-1013 Filter failure: LOT_SIZE", 2)


def test_after_the_cooldown_one_probe_goes_and_a_repeat_doubles_it() -> None:
    breaker = RejectionBreaker(threshold=2, cooldown_s=30)
    breaker.rejected(WHAT, POOR, 0)
    assert breaker.rejected(WHAT, POOR, 1)
    breaker.check(WHAT, 31.0)  # the probe may go
    assert breaker.rejected(WHAT, POOR, 31.0)  # ... and fails the same way
    with pytest.raises(BreakerOpen) as refused:
        breaker.check(WHAT, 32.0)
    assert refused.value.retry_in_s == pytest.approx(59.0)


def test_a_success_closes_it() -> None:
    breaker = RejectionBreaker(threshold=2, cooldown_s=30)
    breaker.rejected(WHAT, POOR, 0)
    breaker.rejected(WHAT, POOR, 1)
    breaker.succeeded(WHAT)
    breaker.check(WHAT, 2.0)
