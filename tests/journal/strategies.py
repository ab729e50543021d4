"""Hypothesis strategies for any msgspec type, from msgspec's own type information, so that a
new event type or field is covered by the round-trip tests without touching them."""

from __future__ import annotations

from typing import Any

import msgspec.inspect as mi
from hypothesis import strategies as st

from tradeguard import events as ev

_INT = st.integers(-(2**62), 2**62)
_DECIMAL = st.decimals(allow_nan=False, allow_infinity=False, places=None).filter(
    lambda d: abs(d.adjusted()) < 40
)


def for_type(t: mi.Type) -> st.SearchStrategy[Any]:
    if isinstance(t, mi.IntType):
        return _INT
    if isinstance(t, mi.FloatType):
        return st.floats(allow_nan=False, allow_infinity=False)
    if isinstance(t, mi.StrType):
        return st.text(max_size=20)
    if isinstance(t, mi.BoolType):
        return st.booleans()
    if isinstance(t, mi.DecimalType):
        return _DECIMAL
    if isinstance(t, mi.NoneType):
        return st.none()
    if isinstance(t, mi.UnionType):
        return st.one_of(*(for_type(x) for x in t.types))
    if isinstance(t, mi.LiteralType):
        return st.sampled_from(t.values)
    if isinstance(t, mi.EnumType):
        return st.sampled_from(list(t.cls))
    if isinstance(t, mi.VarTupleType):
        return st.lists(for_type(t.item_type), max_size=3).map(tuple)
    if isinstance(t, mi.TupleType):
        return st.tuples(*(for_type(x) for x in t.item_types))
    if isinstance(t, mi.DictType):
        return st.dictionaries(for_type(t.key_type), for_type(t.value_type), max_size=3)
    if isinstance(t, mi.StructType):
        fields = {f.name: for_type(f.type) for f in t.fields}
        return st.fixed_dictionaries(fields).map(lambda kw: t.cls(**kw))
    raise NotImplementedError(f"no strategy for {t!r}")


def event_of(cls: type[ev.EventBase]) -> st.SearchStrategy[ev.EventBase]:
    return for_type(mi.type_info(cls))


any_event: st.SearchStrategy[ev.EventBase] = st.one_of(*(event_of(c) for c in ev.EVENT_TYPES))


# ── valid sessions ───────────────────────────────────────────────────────────────────────────


@st.composite
def order_life(draw: st.DrawFn, n: int) -> list[ev.EventBase]:
    """One order's events as the guard could journal them: the intent first, then reports
    and fills from the exchange in any order, some repeated, an unknown outcome maybe."""
    from decimal import Decimal

    from tradeguard.model import OrderStatus as S
    from tradeguard.model import Side

    from .factories import fill, intent, update

    coid, oid = f"o{n}", 1000 + n
    side = draw(st.sampled_from(list(Side)))
    qty = Decimal(draw(st.integers(1, 30)))
    first = intent(coid, qty=str(qty), side=side)
    if draw(st.integers(0, 5)) == 0:
        return [first, update(S.REJECTED, coid, order_id=oid, source="reply")]
    lasts: list[Decimal] = []
    for p in draw(st.lists(st.integers(1, 9), max_size=5)):
        if sum(lasts) + p <= qty:
            lasts.append(Decimal(p))
    full = bool(lasts) and sum(lasts) == qty
    final = S.FILLED if full else draw(st.sampled_from([S.CANCELED, S.EXPIRED, None]))
    rest: list[ev.EventBase] = [update(S.NEW, coid, z="0", order_id=oid, source="reply")]
    cum = Decimal(0)
    for i, last in enumerate(lasts):
        cum += last
        asset = draw(st.sampled_from(["BTC", "USDT", "BNB", None]))
        rest.append(
            fill(
                n * 100 + i,
                str(last),
                coid=coid,
                z=str(cum),
                side=side,
                order_id=oid,
                price=str(draw(st.integers(90, 110))),
                commission="0" if asset is None else "0.01",
                commission_asset=asset,
            )
        )
    if final is not None:
        rest.append(update(final, coid, z=str(cum), order_id=oid))
    rest += draw(st.lists(st.sampled_from(rest), max_size=2))
    rest = draw(st.permutations(rest))
    return [first, *rest]


@st.composite
def side_event(draw: st.DrawFn) -> ev.EventBase:
    """Something other than an order: balances, limits, kill switch, stage, clock, streams."""
    from decimal import Decimal

    from tradeguard.model import Balance

    p = "t"
    return draw(
        st.sampled_from(
            [
                ev.BalanceChanged(
                    at_ms=0,
                    profile=p,
                    balances=(
                        Balance("BTC", Decimal(draw(st.integers(0, 9))), Decimal(0)),
                        Balance("USDT", Decimal(draw(st.integers(0, 999))), Decimal(1)),
                    ),
                ),
                ev.KillSwitchSet(at_ms=0, profile=p, reason="daily loss"),
                ev.KillSwitchReset(at_ms=0, profile=p),
                ev.RateLimitChanged(at_ms=0, profile=p, limit="ban", until_ms=draw(_INT)),
                ev.RateLimitChanged(at_ms=0, profile=p, limit="pause", until_ms=None),
                ev.StageSet(
                    at_ms=0, profile=p, rung="live-small", max_order_notional=Decimal("100")
                ),
                ev.ClockSynced(
                    at_ms=0, profile=p, offset_ms=draw(st.integers(-99, 99)), rtt_ms=1.5
                ),
                ev.StreamConnected(at_ms=0, profile=p, stream="user"),
                ev.StreamGapLost(at_ms=0, profile=p, stream="user", since_ms=5),
                ev.StreamGapFilled(at_ms=0, profile=p, stream="user", since_ms=5, fills=2),
                ev.ReplyReceived(
                    at_ms=0,
                    profile=p,
                    method="POST",
                    path="/api/v3/order",
                    status=200,
                    latency_ms=1.0,
                    weight=draw(st.integers(1, 6000)),
                ),
                ev.RiskDenied(at_ms=0, profile=p, reasons=("max position",)),
                ev.ErrorRaised(at_ms=0, profile=p, error="OrderRejected", message="x"),
                ev.AlertRaised(at_ms=0, profile=p, kind="ban", message="banned"),
                ev.RequestSent(at_ms=0, profile=p, method="GET", path="/api/v3/account"),
            ]
        )
    )


@st.composite
def sessions(draw: st.DrawFn, max_orders: int = 5) -> list[ev.EventBase]:
    """A valid session: several orders' lives interleaved with other events, local times
    non-decreasing."""
    import msgspec

    lives = [draw(order_life(n)) for n in range(draw(st.integers(0, max_orders)))]
    lives.append(draw(st.lists(side_event(), max_size=8)))
    merged: list[ev.EventBase] = []
    while any(lives):
        live = draw(st.sampled_from([life for life in lives if life]))
        merged.append(live.pop(0))
    at = 1_795_000_000_000
    out: list[ev.EventBase] = []
    for event in merged:
        at += draw(st.integers(0, 3))
        out.append(msgspec.structs.replace(event, at_ms=at))
    return out
