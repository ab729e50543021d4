"""The session's remembered tidy (session/reads.tidied) writes every amount as text.tidy does,
whatever form an equal value was first met in."""

from __future__ import annotations

from decimal import Decimal

from tradeguard.session import reads
from tradeguard.text import tidy

FORMS = ["0.00100000", "0.001", "1E+2", "100.00", "100", "-49.8000166000000000", "0E-8", "0",
         "-0", "-0E-3", "60000.00000000", "6E+4"]  # fmt: skip


def test_tidied_writes_each_amount_as_tidy_does_in_any_order() -> None:
    for forms in (FORMS, FORMS[::-1]):
        reads._TIDIED.clear()
        for text in forms * 2:
            value = Decimal(text)
            assert str(reads.tidied(value)) == str(tidy(value)), text


def test_tidied_forgets_rather_than_grows() -> None:
    reads._TIDIED.clear()
    for n in range(1, reads._TIDIED_MAX + 10):
        assert str(reads.tidied(Decimal(f"{n}.000"))) == str(n)
    assert len(reads._TIDIED) <= reads._TIDIED_MAX
