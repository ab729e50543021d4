"""Client order ids at the ccxt venues' edge: found exactly, and spelled as each venue accepts."""

from __future__ import annotations

from typing import Any

import pytest

pytest.importorskip("ccxt")

from tradeguard.venues.ccxt.adapters import adapter_for
from tradeguard.venues.ccxt.ids import alphanumeric_client_id, our_client_id


class _ListsIgnoringTheFilter:
    """A venue whose order lists ignore the cl_ord_id filter: they hold an order placed
    elsewhere, with no client id at all."""

    async def fetch_open_orders(self, *args: Any) -> list[dict[str, Any]]:
        return [{"id": "OQCLML-BW3P3-BUCMWZ", "clientOrderId": None, "info": {}}]

    async def fetch_closed_orders(self, *args: Any) -> list[dict[str, Any]]:
        return [{"id": "O2", "clientOrderId": None, "info": {"cl_ord_id": "tg-other-1"}}]


async def test_kraken_never_takes_another_order_for_the_one_asked_about() -> None:
    kraken = adapter_for("kraken")
    assert await kraken.by_client_id(_ListsIgnoringTheFilter(), "BTC/USDT", "tg-mine-1") is None


@pytest.mark.parametrize("coid", ["tg-mxcb37si9a05-1", "tg-mxcb37si9a05-1z", "a-b-c"])
def test_okx_spelling_goes_there_and_back(coid: str) -> None:
    sent = alphanumeric_client_id(coid)
    assert sent.isalnum() and len(sent) <= 32
    assert our_client_id(sent) == coid
