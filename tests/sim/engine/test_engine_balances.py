"""Funds: what an order locks, what a fill moves, commissions, and what a cancel releases."""

from __future__ import annotations

from decimal import Decimal

from tradeguard.sim.engine import Engine
from tradeguard.sim.records import EngineConfig, MarketParams, UserEvent

from .scenario import BEST_ASK, BEST_BID, SYMBOL, D, free, limit, locked, make, market, spec, stop


def positions(events: list[UserEvent]) -> list[dict[str, tuple[str, str]]]:
    return [
        {b["a"]: (b["f"], b["l"]) for b in ev.payload["B"]}
        for ev in events
        if ev.payload["e"] == "outboundAccountPosition"
    ]


def test_limit_buy_locks_price_times_qty_and_cancel_releases_it() -> None:
    e = make()
    o = e.place_order("alice", limit("BUY", "0.5", "59000"), 10).order
    assert (free(e, "alice", "USDT"), locked(e, "alice", "USDT")) == (D("70500"), D("29500"))
    assert positions(e.drain_user_events()) == [{"USDT": ("70500.00000000", "29500.00000000")}]
    e.cancel_order("alice", SYMBOL, o.order_id, None, None, 20)
    assert (free(e, "alice", "USDT"), locked(e, "alice", "USDT")) == (D("100000"), D(0))
    assert positions(e.drain_user_events()) == [{"USDT": ("100000.00000000", "0.00000000")}]


def test_limit_sell_locks_the_base_quantity() -> None:
    e = make()
    e.place_order("alice", limit("SELL", "0.5", "61000"), 10)
    assert (free(e, "alice", "BTC"), locked(e, "alice", "BTC")) == (D("1.5"), D("0.5"))


def test_taker_buy_pays_quote_and_receives_base_minus_commission() -> None:
    e = make()
    r = e.place_order("alice", market("BUY", "0.1"), 10)
    (fill,) = r.fills
    assert (fill.price, fill.commission, fill.commission_asset) == (BEST_ASK, D("0.0001"), "BTC")
    assert free(e, "alice", "BTC") == D("2") + D("0.1") - D("0.0001")
    assert free(e, "alice", "USDT") == D("100000") - BEST_ASK * D("0.1")
    assert locked(e, "alice", "USDT") == 0


def test_taker_sell_receives_quote_minus_commission_rounded_down() -> None:
    e = make()
    r = e.place_order("alice", market("SELL", "0.12345"), 10)
    (fill,) = r.fills
    quote = BEST_BID * D("0.12345")  # 7406.9975310
    assert fill.commission == D("7.40699753")  # 7.4069975310 rounded down to 8 places
    assert fill.commission_asset == "USDT"
    assert free(e, "alice", "USDT") == D("100000") + quote - fill.commission
    assert free(e, "alice", "BTC") == D("2") - D("0.12345")


def test_limit_buy_filled_at_a_better_price_frees_the_difference() -> None:
    e = make()
    r = e.place_order("alice", limit("BUY", "0.1", "60010"), 10)
    assert r.order.status == "FILLED"
    assert locked(e, "alice", "USDT") == 0
    assert free(e, "alice", "USDT") == D("100000") - BEST_ASK * D("0.1")


def test_partially_filled_limit_keeps_locked_only_what_it_still_needs() -> None:
    e = make()
    r = e.place_order("alice", limit("BUY", "0.5", "60000.02"), 10)
    left = D("0.5") - r.order.executed_qty
    assert locked(e, "alice", "USDT") == left * D("60000.02")
    e.control_fill(SYMBOL, r.order.order_id, None, left, D("60000.00"), 20)
    assert locked(e, "alice", "USDT") == 0
    assert free(e, "alice", "USDT") == D("100000") - r.order.executed_qty * BEST_ASK - left * D(
        "60000.00"
    )


def test_maker_and_taker_commission_rates() -> None:
    e = make()
    e.place_order("bob", limit("SELL", "0.1", "60000.01"), 10)
    r = e.place_order("alice", market("BUY", "0.1"), 20)
    assert r.fills[0].commission == D("0.0001")  # taker 0.1% in BTC
    (bob,) = e.my_trades("bob", SYMBOL)
    assert bob.is_maker
    assert bob.commission == (D("60000.01") * D("0.1") * D("0.001")).quantize(D("1e-8"))

    cheap_config = EngineConfig(
        symbols=[spec()],
        balances={"a": {"USDT": D("1000")}},
        maker_commission=D("0"),
        taker_commission=D("0.00075"),
        market=MarketParams(volatility_bps=D(0), flow_qty_quote=D(0)),
    )
    cheap = Engine(cheap_config)
    fill = cheap.place_order("a", market("BUY", "0.01"), 10).fills[0]
    assert fill.commission == D("0.0000075")


def test_market_order_funds_and_quote_order_qty_never_overspend() -> None:
    e = make(balances={"a": {"USDT": D("600")}})
    r = e.place_order("a", market("BUY", quote="600"), 10)
    assert r.order.cummulative_quote_qty <= D("600")
    assert free(e, "a", "USDT") == D("600") - r.order.cummulative_quote_qty
    assert free(e, "a", "USDT") >= 0


def test_stop_sell_locks_base_until_it_triggers_and_trades() -> None:
    e = make()
    e.place_order("alice", stop("STOP_LOSS", "SELL", "0.1", "59000"), 10)
    assert locked(e, "alice", "BTC") == D("0.1")
    e.set_price(SYMBOL, D("58999"), 20)
    assert locked(e, "alice", "BTC") == 0
    assert free(e, "alice", "BTC") == D("1.9")
    assert free(e, "alice", "USDT") > D("100000")


def test_every_balance_change_is_reported_per_account() -> None:
    e = make()
    e.place_order("bob", limit("SELL", "0.1", "60000.01"), 10)
    e.drain_user_events()
    e.place_order("alice", market("BUY", "0.1"), 20)
    events = e.drain_user_events()
    by_account: dict[str, list[dict[str, tuple[str, str]]]] = {}
    for ev in events:
        if ev.payload["e"] == "outboundAccountPosition":
            by_account.setdefault(ev.account, []).append(
                {b["a"]: (b["f"], b["l"]) for b in ev.payload["B"]}
            )
    assert set(by_account) == {"alice", "bob"}
    assert set(by_account["alice"][-1]) == {"USDT", "BTC"}
    assert set(by_account["bob"][-1]) == {"USDT", "BTC"}
    assert by_account["bob"][-1]["BTC"] == ("1.90000000", "0.00000000")


def test_set_balance_reports_balance_update_and_position() -> None:
    e = make()
    e.set_balance("alice", "ETH", D("5"), 10)
    events = [ev.payload for ev in e.drain_user_events()]
    assert [p["e"] for p in events] == ["balanceUpdate", "outboundAccountPosition"]
    assert (events[0]["a"], events[0]["d"]) == ("ETH", "5.00000000")
    assert events[1]["B"] == [{"a": "ETH", "f": "5.00000000", "l": "0.00000000"}]
    e.set_balance("alice", "USDT", D("90000"), 20)
    assert e.drain_user_events()[0].payload["d"] == "-10000.00000000"
    assert free(e, "alice", "USDT") == D("90000")


def test_balances_are_copies() -> None:
    e = make()
    b = e.balances("alice")
    b["USDT"].free = Decimal(0)
    assert free(e, "alice", "USDT") == D("100000")
