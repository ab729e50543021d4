"""Properties of rounding: a rounded intent always passes validation, rounding is idempotent,
moves each value by less than one grid step, and never toward risk."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tradeguard.model import OrderIntent, Side
from tradeguard.sim.records import SymbolSpec
from tradeguard.symbol_rules import RISES_TO_TRIGGER
from tradeguard.validate import OrderRefused, RoundMode, validate

from .builders import LAST, rules_of
from .strategies import intents, specs


def _run(i: OrderIntent, s: SymbolSpec, mode: RoundMode, **kw: object) -> OrderIntent | None:
    try:
        return validate(
            i,
            rules_of(s),
            last_price=LAST,
            open_orders=0,
            open_algo_orders=0,
            price_band_pct=kw.get("band"),  # type: ignore[arg-type]
            round=mode,
        )
    except OrderRefused:
        return None


@settings(max_examples=1500, deadline=None)
@given(data=st.data(), s=specs(), band=st.sampled_from([None, 1, 5]))
def test_a_rounded_intent_passes_and_rounding_never_moves_toward_risk(
    data: st.DataObject, s: SymbolSpec, band: int | None
) -> None:
    i = data.draw(intents(s))
    out = _run(i, s, RoundMode.SAFE, band=band)
    if out is None:
        return
    # It passes as it is, and rounding it again changes nothing.
    assert _run(out, s, RoundMode.REFUSE, band=band) is out
    assert _run(out, s, RoundMode.SAFE, band=band) is out
    # What REFUSE accepts, SAFE returns untouched.
    if _run(i, s, RoundMode.REFUSE, band=band) is not None:
        assert out is i
    # Never toward risk, and by less than one step.
    assert out.client_order_id == i.client_order_id and out.type == i.type
    if i.qty is not None and out.qty is not None:
        assert i.qty - s.step_size * 10 < out.qty <= i.qty
    if i.iceberg_qty is not None and out.iceberg_qty is not None:
        assert i.iceberg_qty - s.step_size < out.iceberg_qty <= i.iceberg_qty
    if i.quote_qty is not None and out.quote_qty is not None:
        assert out.quote_qty <= i.quote_qty
    tick = s.tick_size
    if i.price is not None and out.price is not None:
        if i.side is Side.BUY:
            assert i.price - tick < out.price <= i.price
        else:
            assert i.price <= out.price < i.price + tick
    if i.stop_price is not None and out.stop_price is not None:
        if (i.type, i.side) in RISES_TO_TRIGGER:
            assert i.stop_price <= out.stop_price < i.stop_price + tick
        else:
            assert i.stop_price - tick < out.stop_price <= i.stop_price
