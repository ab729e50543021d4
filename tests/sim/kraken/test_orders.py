"""Kraken's order methods on the one engine: placing each order type, finding an order by
txid, cl_ord_id or userref, and each refusal in Kraken's words."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tradeguard.sim.server import RunningSim

from .conftest import KrakenClient

BUY: dict[str, str] = {"pair": "XBTUSDT", "type": "buy"}


def limit(price: str, volume: str = "0.001", **more: str) -> dict[str, str]:
    return BUY | {"ordertype": "limit", "price": price, "volume": volume} | more


async def place(client: KrakenClient, **params: str) -> str:
    result = await client.ok("AddOrder", **params)
    return str(result["txid"][0])


async def test_asset_pairs_carry_the_engines_rules(client: KrakenClient) -> None:
    pairs = (await client.public("AssetPairs"))["result"]
    btc = pairs["XBTUSDT"]
    assert (btc["altname"], btc["wsname"], btc["base"], btc["quote"]) == (
        "XBTUSDT",
        "XBT/USDT",
        "XXBT",
        "USDT",
    )
    assert (btc["pair_decimals"], btc["lot_decimals"]) == (2, 5)
    assert (btc["tick_size"], btc["ordermin"], btc["costmin"]) == ("0.01", "0.00001", "5")
    assert pairs["XETHXXBT"]["altname"] == "ETHXBT" and pairs["XETHXXBT"]["quote"] == "XXBT"
    one = (await client.public("AssetPairs", pair="XBTUSDT"))["result"]
    assert list(one) == ["XBTUSDT"]


async def test_time_is_the_simulators_clock(client: KrakenClient, kraken: RunningSim) -> None:
    result = (await client.public("Time"))["result"]
    assert result["unixtime"] == kraken.sim.clock.now_ms() // 1000


async def test_a_resting_limit_order_is_open_then_canceled(client: KrakenClient) -> None:
    txid = await place(client, **limit("50000", cl_ord_id="first-order", userref="42"))
    got = (await client.ok("QueryOrders", txid=txid, trades="True"))[txid]
    assert got["status"] == "open" and got["cl_ord_id"] == "first-order" and got["userref"] == 42
    assert got["descr"]["order"] == "buy 0.00100000 XBTUSDT @ limit 50000"
    assert got["trades"] == []
    balances = await client.ok("BalanceEx")
    assert balances["USDT"]["hold_trade"] == "50.00000000"
    assert await client.ok("CancelOrder", txid=txid) == {"count": 1, "pending": False}
    assert (await client.ok("QueryOrders", txid=txid))[txid]["status"] == "canceled"
    assert await client.error("CancelOrder", txid=txid) == "EOrder:Unknown order"


async def test_a_market_order_fills_with_its_trade(client: KrakenClient) -> None:
    txid = await place(client, **BUY, ordertype="market", volume="0.002")
    got = (await client.ok("QueryOrders", txid=txid, trades="true"))[txid]
    assert got["status"] == "closed" and got["vol_exec"] == "0.00200000"
    assert len(got["trades"]) >= 1 and Decimal(got["fee"]) > 0
    trades = (await client.ok("TradesHistory"))["trades"]
    assert set(got["trades"]) == set(trades)
    assert all(t["ordertxid"] == txid and t["pair"] == "XBTUSDT" for t in trades.values())


async def test_an_order_is_found_by_its_cl_ord_id_open_or_closed(client: KrakenClient) -> None:
    txid = await place(client, **limit("50000", cl_ord_id="resolve-me"))
    opened = (await client.ok("OpenOrders", cl_ord_id="resolve-me"))["open"]
    assert list(opened) == [txid]
    assert (await client.ok("OpenOrders", cl_ord_id="someone-else"))["open"] == {}
    await client.ok("CancelOrder", cl_ord_id="resolve-me")
    closed = (await client.ok("ClosedOrders", cl_ord_id="resolve-me"))["closed"]
    assert list(closed) == [txid] and closed[txid]["status"] == "canceled"


async def test_userref_names_every_order_that_carries_it(client: KrakenClient) -> None:
    a = await place(client, **limit("50000", userref="7"))
    b = await place(client, **limit("49000", userref="7"))
    await place(client, **limit("48000", userref="8"))
    assert set((await client.ok("OpenOrders", userref="7"))["open"]) == {a, b}
    assert (await client.ok("CancelOrder", txid="7"))["count"] == 2
    assert len((await client.ok("OpenOrders"))["open"]) == 1


async def test_a_duplicate_cl_ord_id_among_open_orders_is_refused(client: KrakenClient) -> None:
    await place(client, **limit("50000", cl_ord_id="same"))
    assert (
        await client.error("AddOrder", **limit("49000", cl_ord_id="same"))
        == "EOrder:Duplicate order"
    )
    await client.ok("CancelOrder", cl_ord_id="same")
    await place(client, **limit("49000", cl_ord_id="same"))  # unique among open orders only


async def test_validate_checks_without_placing(client: KrakenClient) -> None:
    result = await client.ok("AddOrder", **limit("50000", validate="true"))
    assert "txid" not in result and result["descr"]["order"].startswith("buy 0.00100000 XBTUSDT")
    assert (await client.ok("OpenOrders"))["open"] == {}


async def test_post_only_ioc_stop_limit_and_iceberg(client: KrakenClient) -> None:
    post = await place(client, **limit("50000", oflags="post"))
    assert "post" in (await client.ok("QueryOrders", txid=post))[post]["oflags"]
    assert (
        await client.error("AddOrder", **limit("70000", oflags="post")) == "EOrder:Post only order"
    )
    ioc = await place(client, **limit("50000", timeinforce="IOC"))
    assert (await client.ok("QueryOrders", txid=ioc))[ioc]["status"] == "canceled"
    stop = await place(
        client, pair="XBTUSDT", type="sell", ordertype="stop-loss-limit", price="55000", price2="54900",
        volume="0.001",
    )  # fmt: skip
    got = (await client.ok("QueryOrders", txid=stop))[stop]
    assert got["status"] == "open"
    assert got["descr"]["order"] == "sell 0.00100000 XBTUSDT @ stop loss 55000 -> limit 54900"
    ice = await place(client, **limit("50000", volume="0.01", displayvol="0.002"))
    assert (await client.ok("QueryOrders", txid=ice))[ice]["displayvol"] == "0.00200000"


async def test_refusals_in_krakens_words(client: KrakenClient) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        (limit("50000", volume="100"), "EOrder:Insufficient funds"),
        (limit("50000", volume="0.000001"), "EOrder:Order minimum not met"),
        (limit("50000", volume="0.00005"), "EOrder:Cost minimum not met"),
        (limit("50000.001"), "EOrder:Invalid price:Invalid price argument"),
        (limit("50000", volume="0.0010001"), "EGeneral:Invalid arguments:volume"),
        (limit("50000") | {"pair": "DOGEUSD"}, "EQuery:Unknown asset pair"),
        (limit("50000", timeinforce="GTD"), "EGeneral:Invalid arguments:timeinforce"),
        (
            BUY | {"ordertype": "trailing-stop", "price": "+100", "volume": "0.001"},
            "EGeneral:Invalid arguments:ordertype",
        ),
        (limit("50000", cl_ord_id="x" * 19), "EGeneral:Invalid arguments:cl_ord_id"),
    ]
    for params, expected in cases:
        assert await client.error("AddOrder", **params) == expected, params


async def test_an_unknown_txid_is_left_out_and_a_malformed_one_refused(
    client: KrakenClient,
) -> None:
    txid = await place(client, **limit("50000"))
    other = txid[:-1] + ("B" if txid[-1] != "B" else "C")
    assert await client.ok("QueryOrders", txid=other) == {}
    assert await client.error("QueryOrders", txid="not-an-id") == "EOrder:Invalid order"


async def test_the_fee_asset_flag_says_what_the_engine_charged(client: KrakenClient) -> None:
    """The engine charges a buyer in the base, a seller in the quote: the orders say so with
    fcib / fciq, a flag agreeing with that is taken, and one asking otherwise (or both) is
    refused rather than answered with a fee in the other asset."""
    bought = await place(client, **BUY, ordertype="market", volume="0.002", oflags="fcib")
    sell = BUY | {"type": "sell", "ordertype": "market", "volume": "0.001"}
    sold = await place(client, **sell)
    got = await client.ok("QueryOrders", txid=f"{bought},{sold}")
    assert got[bought]["oflags"] == "fcib" and got[sold]["oflags"] == "fciq"
    for params in (
        BUY | {"ordertype": "market", "volume": "0.001", "oflags": "fciq"},
        sell | {"oflags": "fcib"},
        BUY | {"ordertype": "market", "volume": "0.001", "oflags": "fcib,fciq"},
    ):
        assert await client.error("AddOrder", **params) == "EGeneral:Invalid arguments:oflags"
