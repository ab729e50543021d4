"""OKX's answers for orders, filters, permissions and rate limits, in OKX's shapes."""

from __future__ import annotations

import pytest

from tradeguard.sim.okx import state_of

from .conftest import Okx, limit_buy


@pytest.mark.parametrize(
    ("name", "perm", "ip"),
    [
        ("trade-only", "read_only,trade", "127.0.0.1"),
        ("read-only", "read_only", "127.0.0.1"),
        ("withdraw-enabled", "read_only,trade,withdraw", "127.0.0.1"),
        ("no-ip-restriction", "read_only,trade", ""),
    ],
)
async def test_account_config_tells_each_keys_rights_and_whitelist(
    okx: Okx, name: str, perm: str, ip: str
) -> None:
    status, body = await okx.call("GET", "/api/v5/account/config", key=name)
    assert status == 200
    config = body["data"][0]
    assert (config["perm"], config["ip"], config["label"]) == (perm, ip, name)


async def test_a_read_only_key_cannot_place_an_order(okx: Okx) -> None:
    status, body = await okx.call(
        "POST", "/api/v5/trade/batch-orders", [limit_buy()], key="read-only"
    )
    assert (status, body["code"]) == (401, "50120")
    assert okx.sim.engine.open_orders("main", None) == []


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"sz": "5"}, "51008"),  # 250,000 USDT of BTC with 100,000
        ({"sz": "0.00001"}, "51020"),  # under the minimum notional
        ({"sz": "0.000015"}, "51121"),  # off the lot size
        ({"px": "50000.001"}, "51006"),  # off the tick
        ({"instId": "DOGE-USDT"}, "51001"),
        ({"side": "up"}, "51000"),
        ({"clOrdId": "has-dash"}, "51000"),
    ],
)
async def test_a_refused_order_is_code_1_with_its_scode(
    okx: Okx, change: dict[str, str], code: str
) -> None:
    status, body = await okx.call("POST", "/api/v5/trade/batch-orders", [limit_buy() | change])
    assert (status, body["code"], body["msg"]) == (200, "1", "All operations failed")
    assert body["data"][0]["sCode"] == code


async def test_insufficient_funds_names_the_currency(okx: Okx) -> None:
    _, body = await okx.call("POST", "/api/v5/trade/batch-orders", [limit_buy(sz="5")])
    assert "USDT" in body["data"][0]["sMsg"]


async def test_a_batch_that_fails_in_part_is_code_2(okx: Okx) -> None:
    orders = [limit_buy("ok1"), limit_buy("bad1", sz="5")]
    _, body = await okx.call("POST", "/api/v5/trade/batch-orders", orders)
    assert body["code"] == "2"
    assert [row["sCode"] for row in body["data"]] == ["0", "51008"]


async def test_a_duplicate_client_id_is_refused_51016(okx: Okx) -> None:
    await okx.call("POST", "/api/v5/trade/batch-orders", [limit_buy("same1")])
    _, body = await okx.call("POST", "/api/v5/trade/order", limit_buy("same1"))
    assert (body["code"], body["data"][0]["sCode"]) == ("1", "51016")


async def test_an_order_without_client_id_shows_an_empty_one(okx: Okx) -> None:
    _, placed = await okx.call("POST", "/api/v5/trade/order", limit_buy())
    ord_id = placed["data"][0]["ordId"]
    _, body = await okx.call("GET", f"/api/v5/trade/order?instId=BTC-USDT&ordId={ord_id}")
    assert body["data"][0]["clOrdId"] == ""


async def test_unknown_orders_are_51603_on_query_and_51400_on_cancel(okx: Okx) -> None:
    _, body = await okx.call("GET", "/api/v5/trade/order?instId=BTC-USDT&clOrdId=nobody")
    assert (body["code"], body["data"]) == ("51603", [])
    _, body = await okx.call(
        "POST", "/api/v5/trade/cancel-order", {"instId": "BTC-USDT", "ordId": "424242"}
    )
    assert (body["code"], body["data"][0]["sCode"]) == ("1", "51400")


async def test_a_market_buy_is_sized_in_quote_unless_told_otherwise(okx: Okx) -> None:
    order = {"instId": "BTC-USDT", "tdMode": "cash", "side": "buy", "ordType": "market"}
    _, placed = await okx.call("POST", "/api/v5/trade/order", order | {"sz": "100"})
    ord_id = placed["data"][0]["ordId"]
    _, body = await okx.call("GET", f"/api/v5/trade/order?instId=BTC-USDT&ordId={ord_id}")
    row = body["data"][0]
    assert (row["tgtCcy"], row["sz"], row["state"]) == ("quote_ccy", "100", "filled")


async def test_going_over_an_endpoints_limit_is_429_50011(okx: Okx) -> None:
    state_of(okx.sim).limiter.set_limit("GET /api/v5/account/balance", 2)
    for _ in range(2):
        assert (await okx.call("GET", "/api/v5/account/balance"))[0] == 200
    status, body = await okx.call("GET", "/api/v5/account/balance")
    assert (status, body["code"]) == (429, "50011")
    await okx.control("clock", {"advance_ms": 2_000})  # the next 2-s window
    assert (await okx.call("GET", "/api/v5/account/balance"))[0] == 200


async def test_a_batch_counts_each_order_against_the_limit(okx: Okx) -> None:
    state_of(okx.sim).limiter.set_limit("POST /api/v5/trade/batch-orders", 3)
    orders = [limit_buy(f"b{i}") for i in range(4)]
    status, body = await okx.call("POST", "/api/v5/trade/batch-orders", orders)
    assert (status, body["code"]) == (429, "50011")
    assert okx.sim.engine.open_orders("main", None) == []


async def test_a_reset_forgets_the_rate_counts(okx: Okx) -> None:
    state_of(okx.sim).limiter.set_limit("GET /api/v5/account/balance", 1)
    await okx.call("GET", "/api/v5/account/balance")
    await okx.control("reset", {})
    assert (await okx.call("GET", "/api/v5/account/balance"))[0] == 200
