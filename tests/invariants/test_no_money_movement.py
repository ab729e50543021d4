"""Safety invariant 1, first half: tradeguard has no call that moves funds off the account.

Every request the Binance client can build is enumerated from `endpoints` and checked against
Binance's fund-moving paths (withdrawals, transfers, sub-account and convert moves); the client
module itself is searched for them too, so a new builder or a hand-written path cannot slip in.
One path under a fund-moving prefix is a read, and named: the withdrawal history, which
reconciliation reads (GET only) to explain a balance that moved while the bot was away.
"""

from __future__ import annotations

import inspect
from decimal import Decimal
from pathlib import Path

from tradeguard.model import OrderType, Side
from tradeguard.venues.binance import endpoints, wallet_history

SRC = Path(__file__).resolve().parents[2] / "src" / "tradeguard"
MOVES_FUNDS = (
    "/sapi/v1/capital/withdraw",
    "/wapi/",
    "/sapi/v1/asset/transfer",
    "/sapi/v1/futures/transfer",
    "/sapi/v1/margin/transfer",
    "/sapi/v1/sub-account",
    "/sapi/v1/convert",
    "/sapi/v1/asset/dust",
    "/sapi/v1/pay",
    "withdraw.apply",
)
# read-only paths under a fund-moving prefix that the client may send, GET only
READS_UNDER_IT = ("/sapi/v1/capital/withdraw/history",)


def _every_request() -> list[endpoints.Request]:
    order = endpoints.NewOrder("BTCUSDT", Side.BUY, OrderType.MARKET, "c1", Decimal("1"))
    leg = endpoints.OcoLeg(OrderType.LIMIT_MAKER, "c2", price=Decimal("1"))
    made = []
    for name, build in inspect.getmembers(endpoints, inspect.isfunction):
        if build.__module__ != endpoints.__name__ or name.startswith("_"):
            continue
        if name in ("number",):
            continue
        given = {
            "new_order": (order,),
            "new_oco": (endpoints.NewOco("BTCUSDT", Side.SELL, Decimal("1"), "l1", leg, leg),),
            "new_oto": ("BTCUSDT", "l2", order, [order]),
        }
        request = build(*given[name]) if name in given else None
        if request is None:
            params = inspect.signature(build).parameters
            args = ["BTCUSDT" if p.default is p.empty else p.default for p in params.values()
                    if p.kind is p.POSITIONAL_OR_KEYWORD]  # fmt: skip
            kwargs = {p.name: 1 for p in params.values()
                      if p.kind is p.KEYWORD_ONLY and p.default is p.empty}  # fmt: skip
            try:
                request = build(*args, **kwargs)
            except (TypeError, ValueError):
                continue
        if isinstance(request, endpoints.Request):
            made.append(request)
    return made


def test_no_request_the_client_can_build_moves_funds() -> None:
    requests = _every_request()
    assert len(requests) >= 12  # the enumeration really covers the builders
    for request in requests:
        assert not any(path in request.path for path in MOVES_FUNDS), request.path


# The one client-side file allowed to name them: the gateway's list of what it refuses a bot
REFUSES_THEM = SRC / "gateway" / "refused.py"


def test_no_source_file_of_the_client_side_names_a_fund_moving_path() -> None:
    client_side = [p for p in SRC.rglob("*.py")
                   if "sim" not in p.relative_to(SRC).parts and p != REFUSES_THEM]  # fmt: skip
    assert client_side
    for path in client_side:
        text = path.read_text()
        for read in READS_UNDER_IT:
            text = text.replace(read, "")
        for needle in MOVES_FUNDS:
            assert needle not in text, f"{path.name} names {needle}"


def test_the_withdrawal_history_is_the_only_withdrawal_path_and_a_read() -> None:
    request = wallet_history.withdraw_history("USDT", 0, 1)
    assert (request.method, request.path) == ("GET", READS_UNDER_IT[0])
    deposits = wallet_history.deposit_history("USDT", 0, 1)
    assert deposits.method == "GET"
    assert not any(path in deposits.path for path in MOVES_FUNDS)


def test_the_gateway_refuses_every_fund_moving_path_it_names() -> None:
    from tradeguard.gateway.refused import funds_refusal

    for needle in MOVES_FUNDS:
        path = needle if needle.startswith("/") else f"/sapi/v1/{needle}"
        refusal = funds_refusal(path.rstrip("/") + ("/x" if needle.endswith("/") else ""))
        assert refusal is not None, needle
