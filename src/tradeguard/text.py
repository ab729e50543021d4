"""How amounts are written for people: plain digits, no exponent, no padding zeros."""

from __future__ import annotations

from decimal import Decimal


def plain(value: Decimal) -> str:
    """`Decimal("0E-8")` → "0", `Decimal("100000.00000000")` → "100000", `Decimal("0.00100")`
    → "0.001": what the wire's fixed eight places mean, without the noise."""
    return f"{value.normalize():f}"


def tidy(value: Decimal) -> Decimal:
    """The same number without the wire's padding or an exponent: what the session hands a
    bot (`Decimal("0E-8")` → `Decimal("0")`, `Decimal("-49.8000166000000000")` →
    `Decimal("-49.8000166")`). Equal to `value`; only its written form changes."""
    return Decimal(plain(value))
