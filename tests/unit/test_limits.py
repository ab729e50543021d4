"""The rate-limit ledger: weight windows, the 429 → 418 ladder, order counts, headers."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tradeguard.sim.limits import DAY_MS, MINUTE_MS, Ledger, RateLimits
from tradeguard.sim.rejects import Reject

T0 = 1_767_225_600_000  # a UTC midnight, so every window starts here
IP = "127.0.0.1"


def _tiny(**kw: int) -> Ledger:
    base = {"request_weight_per_min": 10, "orders_per_10s": 2, "orders_per_day": 5}
    return Ledger(RateLimits(**(base | kw)))


def _refusal(ledger: Ledger, weight: int, now: int, ip: str = IP) -> Reject:
    with pytest.raises(Reject) as caught:
        ledger.admit(ip, weight, now)
    return caught.value


def test_defaults_are_binances() -> None:
    assert Ledger().rate_limits_json() == [
        {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 6000},
        {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 50},
        {"rateLimitType": "ORDERS", "interval": "DAY", "intervalNum": 1, "limit": 160000},
        {"rateLimitType": "RAW_REQUESTS", "interval": "MINUTE", "intervalNum": 5, "limit": 61000},
    ]


@pytest.mark.parametrize("bad", [0, -1, True])
def test_limits_must_be_positive(bad: int) -> None:
    with pytest.raises(ValueError, match="orders_per_10s"):
        RateLimits(orders_per_10s=bad)


def test_weight_within_the_limit_is_admitted_and_reported() -> None:
    ledger = _tiny()
    ledger.admit(IP, 4, T0)
    ledger.admit(IP, 6, T0 + 1)
    assert ledger.headers(IP, None, T0 + 2) == {"X-MBX-USED-WEIGHT-1M": "10"}
    assert ledger.headers("10.0.0.9", None, T0 + 2) == {"X-MBX-USED-WEIGHT-1M": "0"}


def test_going_over_is_429_with_retry_after_until_the_minute_ends() -> None:
    ledger = _tiny()
    ledger.admit(IP, 8, T0 + 30_000)
    rej = _refusal(ledger, 3, T0 + 30_000)
    assert (rej.code, rej.http_status) == (-1003, 429)
    assert rej.msg == (
        "Too much request weight used; current limit is 10 request weight per 1 MINUTE. "
        "Please use WebSocket Streams for live updates to avoid polling the API."
    )
    assert rej.headers == {"Retry-After": "30"}
    assert ledger.used_weight(IP, T0 + 30_000) == 8  # the refused request used nothing
    # The window is aligned to the minute: a new one starts at T0 + 60 s.
    ledger.admit(IP, 10, T0 + MINUTE_MS)


def test_retry_after_rounds_up() -> None:
    ledger = _tiny()
    ledger.admit(IP, 10, T0)
    assert _refusal(ledger, 1, T0 + 59_001).headers == {"Retry-After": "1"}


def test_keeping_going_during_the_pause_is_a_ban() -> None:
    ledger = _tiny()
    ledger.admit(IP, 10, T0)
    assert _refusal(ledger, 1, T0 + 1000).http_status == 429
    rej = _refusal(ledger, 0, T0 + 2000)  # even a weightless request
    banned_until = T0 + 2000 + 2 * MINUTE_MS
    assert (rej.code, rej.http_status) == (-1003, 418)
    assert rej.msg == (
        f"Way too much request weight used; IP banned until {banned_until}. "
        "Please use WebSocket Streams for live updates to avoid bans."
    )
    assert rej.headers == {"Retry-After": "120"}
    # During the ban, everything is refused with the time left.
    later = _refusal(ledger, 0, T0 + 62_000)
    assert later.http_status == 418 and later.headers == {"Retry-After": "60"}
    assert ledger.banned_until(IP, T0 + 62_000) == banned_until
    # Other IPs are not affected; after the ban the IP is served again.
    ledger.admit("10.0.0.2", 1, T0 + 62_000)
    ledger.admit(IP, 1, banned_until)
    assert ledger.banned_until(IP, banned_until) is None


def _ban(ledger: Ledger, now: int) -> int:
    """Drive one 429 and one more request; return the ban's length in ms."""
    ledger.admit(IP, 0, now)  # the window may be fresh
    while True:
        try:
            ledger.admit(IP, 10, now)
        except Reject as pause:
            assert pause.http_status == 429
            break
    assert _refusal(ledger, 1, now).http_status == 418
    until = ledger.banned_until(IP, now)
    assert until is not None
    return until - now


def test_bans_double_up_to_three_days_then_are_forgiven() -> None:
    ledger = _tiny()
    now, lengths = T0, []
    for _ in range(14):
        length = _ban(ledger, now)
        lengths.append(length)
        now += length
    assert lengths[:4] == [2 * MINUTE_MS, 4 * MINUTE_MS, 8 * MINUTE_MS, 16 * MINUTE_MS]
    assert max(lengths) == 3 * DAY_MS and lengths[-1] == 3 * DAY_MS
    # A day without trouble after the ban: the ladder starts again.
    assert _ban(ledger, now + DAY_MS) == 2 * MINUTE_MS


def test_raw_request_limit() -> None:
    ledger = _tiny(raw_requests_per_5min=3, request_weight_per_min=1000)
    for i in range(3):
        ledger.admit(IP, 0, T0 + i)
    rej = _refusal(ledger, 0, T0 + 10)
    assert rej.http_status == 429 and "per 5 MINUTE" in rej.msg
    assert rej.headers == {"Retry-After": "300"}


def test_negative_weight_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="negative"):
        Ledger().admit(IP, -1, T0)


# ── orders ──────────────────────────────────────────────────────────────────────────────────


def test_only_counted_orders_use_the_order_limit() -> None:
    ledger = _tiny()
    for _ in range(5):
        ledger.admit_order("main", IP, T0)  # checks only: a rejected order is never counted
    ledger.count_order("main", T0)
    ledger.count_order("main", T0 + 1)
    with pytest.raises(Reject) as caught:
        ledger.admit_order("main", IP, T0 + 4000)
    rej = caught.value
    assert (rej.code, rej.http_status) == (-1015, 429)
    assert rej.msg == "Too many new orders; current limit is 2 orders per 10 SECOND."
    assert rej.headers == {"Retry-After": "6"}
    ledger.admit_order("other", IP, T0 + 4000)  # per account
    ledger.admit_order("main", IP, T0 + 10_000)  # a new 10 s window


def test_daily_order_limit() -> None:
    ledger = _tiny()
    for i in range(5):
        ledger.count_order("main", T0 + i * 10_000)
    with pytest.raises(Reject) as caught:
        ledger.admit_order("main", IP, T0 + 60_000)
    assert caught.value.msg == "Too many new orders; current limit is 5 orders per 1 DAY."
    ledger.admit_order("main", IP, T0 + DAY_MS)


def test_order_headers_and_usage() -> None:
    ledger = _tiny()
    ledger.admit(IP, 1, T0)
    ledger.count_order("main", T0)
    assert ledger.headers(IP, "main", T0, counted_order=True) == {
        "X-MBX-USED-WEIGHT-1M": "1",
        "X-MBX-ORDER-COUNT-10S": "1",
        "X-MBX-ORDER-COUNT-1D": "1",
    }
    assert "X-MBX-ORDER-COUNT-10S" not in ledger.headers(IP, "main", T0, counted_order=False)
    assert ledger.order_usage_json("main", T0 + 10_000) == [
        {
            "rateLimitType": "ORDERS",
            "interval": "SECOND",
            "intervalNum": 10,
            "limit": 2,
            "count": 0,
        },
        {"rateLimitType": "ORDERS", "interval": "DAY", "intervalNum": 1, "limit": 5, "count": 1},
    ]


def test_state_json_and_lifting_bans() -> None:
    ledger = _tiny()
    _ban(ledger, T0)
    ledger.count_order("main", T0)
    state = ledger.state_json(T0 + 1)
    ip_state = state["ips"][IP]  # type: ignore[index]
    assert ip_state["banned_until_ms"] == T0 + 2 * MINUTE_MS
    assert ip_state["bans"] == 1 and ip_state["used_weight_1m"] == 10
    assert state["accounts"] == {"main": {"orders_10s": 1, "orders_1d": 1}}
    assert ledger.to_json(T0 + 1) == state
    ledger.lift_bans()
    ledger.admit(IP, 0, T0 + 2)
    assert ledger.state_json(T0 + 2)["ips"][IP]["banned_until_ms"] is None  # type: ignore[index]


# ── properties ──────────────────────────────────────────────────────────────────────────────

_steps = st.lists(
    st.tuples(st.integers(0, 20_000), st.integers(0, 7), st.sampled_from(["a", "b"])),
    max_size=150,
)


@given(_steps)
def test_no_client_ever_exceeds_the_weight_limit_in_any_window(
    steps: list[tuple[int, int, str]],
) -> None:
    ledger = _tiny()
    now = T0
    admitted: dict[tuple[str, int], int] = {}
    for dt, weight, ip in steps:
        now += dt
        try:
            ledger.admit(ip, weight, now)
        except Reject as rej:
            assert rej.http_status in (418, 429)
            assert int(rej.headers["Retry-After"]) >= 1
        else:
            window = (ip, now // MINUTE_MS)
            admitted[window] = admitted.get(window, 0) + weight
            assert ledger.used_weight(ip, now) == admitted[window]
    assert all(total <= 10 for total in admitted.values())


@given(st.lists(st.integers(0, 30_000), min_size=1, max_size=300))
def test_bans_only_grow_while_a_client_keeps_going(gaps: list[int]) -> None:
    ledger = _tiny()
    now = T0
    bans: list[tuple[int, int]] = []
    for gap in gaps:
        now += gap
        try:
            ledger.admit(IP, 4, now)
        except Reject as rej:
            if rej.http_status == 418:
                until = ledger.banned_until(IP, now)
                assert until is not None
                if not bans or bans[-1][0] != until:
                    bans.append((until, until - now))
    lengths = [length for _, length in bans]
    # A ban is only ever set anew (never extended), so each length is the ban's full length.
    assert lengths == sorted(lengths)
    assert all(b == min(2 * a, 3 * DAY_MS) for a, b in itertools.pairwise(lengths))
