"""LossWatch: mark-to-market PnL, the UTC day, drawdown from the peak, a latch that trips once
and stays tripped until reset; and the journal's kill switch refusing every order while set."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from tradeguard.events import KillSwitchReset, KillSwitchSet, OrderFilled
from tradeguard.journal.replay import Ledger
from tradeguard.model import OrderIntent, Side
from tradeguard.risk import ALLOW, Breach, Deny, Exposure, LossWatch, RiskLimits, check

from .builders import D, intent
from .strategies import intents

DAY = 86_400_000
T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z


def fill(
    side: Side,
    qty: str,
    price: str,
    at_ms: int = T0 + 1000,
    *,
    fee: str = "0",
    fee_asset: str | None = "USDT",
    trade_id: int = 1,
    symbol: str = "BTCUSDT",
    quote: str = "USDT",
) -> OrderFilled:
    return OrderFilled(
        at_ms=at_ms,
        profile="test",
        client_order_id="c",
        order_id=1,
        symbol=symbol,
        base_asset="BTC",
        quote_asset=quote,
        side=side,
        trade_id=trade_id,
        price=D(price),
        qty=D(qty),
        commission=D(fee),
        commission_asset=fee_asset,
        is_maker=False,
    )


def tripped(w: LossWatch) -> Breach | None:
    return w.tripped


def watch(daily: str | None = "50", dd: str | None = "100") -> LossWatch:
    return LossWatch(
        "USDT",
        daily_loss=None if daily is None else D(daily),
        drawdown_from_peak=None if dd is None else D(dd),
    )


def test_pnl_is_marked_to_market_with_commissions() -> None:
    w = watch(None, None)
    w.on_fill(fill(Side.BUY, "1", "100", fee="0.001", fee_asset="BTC"))
    assert w.position("BTCUSDT") == D("0.999")
    assert w.equity == D("-0.1")  # paid 100 for 0.999 BTC worth 99.9
    w.on_mark("BTCUSDT", D(110), T0 + 2000)
    assert w.equity == D("0.999") * 110 - 100
    w.on_fill(fill(Side.SELL, "0.999", "120", T0 + 3000, fee="0.5", trade_id=2))
    assert w.position("BTCUSDT") == 0
    assert w.equity == D("0.999") * 120 - 100 - D("0.5")  # realised, quote fee paid
    w.on_mark("BTCUSDT", D(50), T0 + 4000)
    assert w.equity == D("0.999") * 120 - 100 - D("0.5")  # flat: marks no longer matter


def test_fees_in_a_third_asset_and_other_quotes() -> None:
    w = watch(None, None)
    w.on_fill(fill(Side.BUY, "1", "100", fee="0.01", fee_asset="BNB"))
    assert w.unpriced_fees == 1
    w.on_fill(fill(Side.BUY, "1", "0.05", symbol="BTCETH", quote="ETH"))
    assert w.unmeasured == {"BTCETH"}
    assert w.equity == 0


def test_daily_loss_trips_once_and_the_day_starts_at_midnight_utc() -> None:
    w = watch(daily="50", dd=None)
    w.on_fill(fill(Side.BUY, "1", "1000", T0 + 10))
    assert w.on_mark("BTCUSDT", D(960), T0 + 20) is None  # -40
    breach = w.on_mark("BTCUSDT", D(950), T0 + 30)  # -50: reached
    assert breach is not None and breach.kinds == ("daily_loss",)
    assert "daily loss limit 50" in breach.reason
    assert w.on_mark("BTCUSDT", D(900), T0 + 40) is None  # already tripped: reported once
    assert w.tripped is breach
    w.reset(T0 + 50)
    assert tripped(w) is None and w.pnl_today == 0
    assert w.on_mark("BTCUSDT", D(860), T0 + 60) is None  # -40 since the reset
    # The next UTC day starts from the equity at its first event: -40 yesterday is forgotten.
    assert w.on_mark("BTCUSDT", D(860), T0 + DAY) is None
    assert w.pnl_today == 0
    assert w.on_mark("BTCUSDT", D(811), T0 + DAY + 1) is None
    assert w.on_mark("BTCUSDT", D(810), T0 + DAY + 2) is not None


def test_drawdown_is_measured_from_the_peak_not_the_start() -> None:
    w = watch(daily=None, dd="100")
    w.on_fill(fill(Side.BUY, "1", "1000", T0 + 10))
    w.on_mark("BTCUSDT", D(1500), T0 + 20)  # +500: the peak
    assert w.on_mark("BTCUSDT", D(1401), T0 + 30) is None  # still +401 overall
    breach = w.on_mark("BTCUSDT", D(1400), T0 + 40)
    assert breach is not None and breach.kinds == ("drawdown",)
    assert breach.drawdown == D(100) and w.peak == D(500)


def test_replay_from_the_journal_gives_the_same_watch() -> None:
    events = [
        fill(Side.BUY, "1", "1000", T0 + 10, trade_id=1),
        fill(Side.SELL, "0.5", "930", T0 + 20, trade_id=2),
        KillSwitchSet(at_ms=T0 + 21, profile="test", reason="daily loss"),
        KillSwitchReset(at_ms=T0 + 30, profile="test"),
        fill(Side.BUY, "0.2", "940", T0 + 40, trade_id=3),
    ]
    live = watch()
    for e in events:
        if isinstance(e, OrderFilled):
            live.on_fill(e)
        elif isinstance(e, KillSwitchReset):
            live.reset(e.at_ms)
    again = watch()
    again.replay(events)
    assert (again.equity, again.peak, again.pnl_today, again.tripped) == (
        live.equity,
        live.peak,
        live.pnl_today,
        live.tripped,
    )


# ── properties ──

steps = st.lists(
    st.one_of(
        st.tuples(st.just("mark"), st.decimals(500, 1500, places=2)),
        st.tuples(
            st.just("fill"),
            st.tuples(st.sampled_from(list(Side)), st.decimals("0.01", "1", places=2)),
        ),
        st.tuples(st.just("reset"), st.none()),
        st.tuples(st.just("later"), st.integers(1, DAY)),
    ),
    max_size=60,
)


@settings(max_examples=500, deadline=None)
@given(steps)
def test_the_latch_is_monotonic_until_reset_and_pnl_adds_up(seq: list[tuple[str, object]]) -> None:
    w = watch(daily="40", dd="60")
    now = T0
    mark = D(1000)
    qty, cash = D(0), D(0)
    tripped = False
    for n, (kind, arg) in enumerate(seq):
        now += 1
        breach = None
        if kind == "mark":
            assert isinstance(arg, Decimal)
            mark = arg
            breach = w.on_mark("BTCUSDT", mark, now)
        elif kind == "fill":
            assert isinstance(arg, tuple)
            side, q = arg
            breach = w.on_fill(fill(side, str(q), str(mark), now, trade_id=n))
            qty += q if side is Side.BUY else -q
            cash += -q * mark if side is Side.BUY else q * mark
        elif kind == "reset":
            w.reset(now)
            tripped = False
        else:
            assert isinstance(arg, int)
            now += arg
        if breach is not None:
            assert not tripped  # a breach is reported only on the transition
            tripped = True
        assert (w.tripped is not None) == tripped  # stays latched until reset
        if tripped:
            assert w.tripped is not None
        else:  # not tripped: no limit is crossed
            assert w.pnl_today > -40 and w.drawdown < 60
        assert w.peak >= w.equity
        if qty or cash:
            assert w.equity == cash + qty * mark  # marks then fills all priced at `mark`


@settings(max_examples=300, deadline=None)
@given(data=st.data(), latched=st.booleans())
def test_a_latched_kill_switch_refuses_every_order_until_reset(
    data: st.DataObject, latched: bool
) -> None:
    ledger = Ledger()
    if latched:
        ledger.apply(KillSwitchSet(at_ms=T0, profile="t", reason="daily loss", by="guard"))
    state = ledger.state()
    exposure = Exposure(kill_switch=state.kill_switch.latched, kill_reason=state.kill_switch.reason)
    i: OrderIntent = data.draw(intents())
    result = check(i, exposure, RiskLimits.off(), T0, D(60000))
    if latched:
        assert isinstance(result, Deny) and result.halted
        ledger.apply(KillSwitchReset(at_ms=T0 + 1, profile="t"))
        state = ledger.state()
        assert not state.kill_switch.latched
        assert check(i, Exposure(kill_switch=False), RiskLimits.off(), T0, D(60000)) is ALLOW
    else:
        assert result is ALLOW


def test_read_only_exposure_refuses_whatever_else_is_fine() -> None:
    result = check(intent(), Exposure(read_only=True), RiskLimits.off(), T0, D(60000))
    assert isinstance(result, Deny) and [r.split(":")[0] for r in result.reasons] == ["READ_ONLY"]
