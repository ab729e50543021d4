"""Client-side validation agrees with the exchange side (the simulator's filters and engine).

For random intents against random symbol filters, with the rules read from the simulator's own
exchangeInfo entry:
- every intent `validate` accepts, the simulator accepts (POST /api/v3/order/test: shape and
  filters), and placing it for real is refused only for what needs the book or the balances;
- every refusal `validate` predicts for a check the exchange also makes, the simulator makes
  too, and when the simulator names a filter it is one `validate` named.
"""

from __future__ import annotations

from decimal import Decimal

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tradeguard.model import OrderIntent
from tradeguard.sim.filters import INSUFFICIENT_BALANCE, WOULD_TAKE
from tradeguard.sim.records import SymbolSpec
from tradeguard.sim.rejects import Reject
from tradeguard.validate import OrderRefused, RoundMode, validate

from .builders import engine, rules_of, sim_order
from .strategies import intents, specs

# Checks POST /api/v3/order/test makes (request shape and symbol filters).
SIM_TEST_CHECKS = {
    "PARAMS",
    "ORDER_TYPE",
    "PRICE_FILTER",
    "LOT_SIZE",
    "MARKET_LOT_SIZE",
    "NOTIONAL",
    "ICEBERG_PARTS",
    "TRAILING_DELTA",
}
# Checks only a real placement makes (the matching engine's -2010s).
SIM_PLACE_CHECKS = {"ICEBERG", "WOULD_TRIGGER"}
# What a real placement may still refuse after validation passed: it needs the book or funds.
ENGINE_ONLY = {INSUFFICIENT_BALANCE, WOULD_TAKE}


def _predict(
    i: OrderIntent, s: SymbolSpec, last: Decimal, mode: RoundMode
) -> OrderRefused | OrderIntent:
    try:
        return validate(
            i,
            rules_of(s),
            last_price=last,
            open_orders=0,
            open_algo_orders=0,
            price_band_pct=None,
            round=mode,
        )
    except OrderRefused as refused:
        return refused


def _filter_named(reject: Reject) -> str:
    if reject.code == -1013 and reject.msg.startswith("Filter failure: "):
        return reject.msg.removeprefix("Filter failure: ")
    if reject.code in (-1102, -1106):
        return "PARAMS"
    if reject.code == -1116:
        return "ORDER_TYPE"
    return f"{reject.code} {reject.msg}"


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), s=specs(), mode=st.sampled_from(list(RoundMode)))
def test_validate_agrees_with_the_simulator(
    data: st.DataObject, s: SymbolSpec, mode: RoundMode
) -> None:
    i = data.draw(intents(s))
    e = engine(s)
    last = e.last_price("BTCUSDT")
    predicted = _predict(i, s, last, mode)
    event("accepted" if isinstance(predicted, OrderIntent) else "refused")
    if isinstance(predicted, OrderRefused):
        event("refused " + " ".join(sorted(set(predicted.checks))))
    if isinstance(predicted, OrderIntent):
        event("accepted" + (" rounded" if predicted != i else ""))
        # Accepted (possibly rounded): the exchange side accepts it too.
        e.place_order("alice", sim_order(predicted), 0, test=True)
        try:
            e.place_order("alice", sim_order(predicted), 0)
        except Reject as reject:
            assert reject.code == -2010 and reject.msg in ENGINE_ONLY, (predicted, reject)
        return
    checks = set(predicted.checks)
    if checks & SIM_TEST_CHECKS:
        try:
            e.place_order("alice", sim_order(i), 0, test=True)
        except Reject as reject:
            # In SAFE mode a value rounded onto the grid is no longer a predicted failure,
            # while the simulator, sent the unrounded intent, may name it first.
            if mode is RoundMode.REFUSE:
                assert _filter_named(reject) in checks, (i, predicted.reasons, reject)
        else:
            raise AssertionError(f"validate predicted {predicted.reasons}, the sim accepted {i}")
    elif checks & SIM_PLACE_CHECKS:
        try:
            e.place_order("alice", sim_order(i), 0)
        except Reject as reject:
            assert reject.code in (-2010, -1013), (i, predicted.reasons, reject)
        else:
            raise AssertionError(f"validate predicted {predicted.reasons}, the sim placed {i}")


@settings(max_examples=500, deadline=None)
@given(data=st.data(), s=specs())
def test_whatever_the_simulator_accepts_validate_accepts_or_names_a_local_check(
    data: st.DataObject, s: SymbolSpec
) -> None:
    """The other way round: if the simulator takes an intent as it is, validate refuses it only
    for a check of its own (a local one, or one only real placement makes)."""
    i = data.draw(intents(s))
    e = engine(s)
    last = e.last_price("BTCUSDT")
    try:
        e.place_order("alice", sim_order(i), 0, test=True)
    except Reject:
        return
    predicted = _predict(i, s, last, RoundMode.REFUSE)
    if isinstance(predicted, OrderRefused):
        assert not set(predicted.checks) & SIM_TEST_CHECKS, (i, predicted.reasons)
