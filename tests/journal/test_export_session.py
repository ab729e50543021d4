"""`journal export --format csv` on the journal a real session wrote against the simulator: one
row per record, with the columns a spreadsheet needs filled where they apply."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import aiohttp
import pytest
from click.testing import CliRunner

from tradeguard.cli.app import main
from tradeguard.model import OrderStatus
from tradeguard.session.connect import connect
from tradeguard.sim.remote import SimRemote

pytestmark = pytest.mark.usefixtures("isolated_home")


async def trade(config: Path) -> tuple[str, str, int]:
    """A limit buy filled in two parts and a market sell; returns both client order ids and the
    limit order's exchange id."""
    tg = await connect("bot", config=config)
    try:
        async with aiohttp.ClientSession() as http:
            remote = SimRemote(tg.sim.control_url, http)
            last = await tg.last_price("BTCUSDT")
            assert last is not None
            price = (last * Decimal("0.99")).quantize(Decimal("0.01"))
            order = await tg.limit_buy("BTC/USDT", qty="0.001", price=str(price))
            assert order.order_id is not None
            await remote.fill("BTCUSDT", "0.0004", order_id=order.order_id)
            await tg.wait_for(order.client_order_id, OrderStatus.PARTIALLY_FILLED)
            await remote.fill("BTCUSDT", "0.0006", order_id=order.order_id)
            await tg.wait_for(order.client_order_id)
            sold = await tg.market_sell("BTC/USDT", qty="0.0005")
            await tg.wait_for(sold.client_order_id)
    finally:
        await tg.close()
    return order.client_order_id, sold.client_order_id, order.order_id


async def test_csv_columns_from_a_real_session(tmp_path: Path) -> None:
    journal = tmp_path / "journals" / "bot.db"
    config = tmp_path / "tradeguard.toml"
    config.write_text(f'[profiles.bot]\nenv = "sim"\njournal = "sqlite://{journal}"\n')
    bought, sold, order_id = await trade(config)

    result = CliRunner().invoke(main, ["journal", "export", "--format", "csv", "-p", "bot"])
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0]) == [
        "seq", "time", "kind", "symbol", "side", "type", "qty", "price", "quote_qty",
        "executed_qty", "fee", "fee_asset", "client_order_id", "order_id", "trade_id",
        "status", "reason",
    ]  # fmt: skip
    assert [int(r["seq"]) for r in rows] == list(range(1, len(rows) + 1))
    for r in rows:
        assert datetime.fromisoformat(r["time"]).utcoffset() is not None and r["time"][-1] == "Z"
        for cell in r.values():
            assert "E-" not in cell and "E+" not in cell  # plain decimals

    (intended,) = [
        r for r in rows if r["kind"] == "OrderIntended" and r["client_order_id"] == bought
    ]
    assert intended["symbol"] == "BTCUSDT" and intended["side"] == "BUY"
    assert intended["type"] == "LIMIT" and Decimal(intended["qty"]) == Decimal("0.001")
    limit_price = Decimal(intended["price"])

    fills = [r for r in rows if r["kind"] == "OrderFilled" and r["order_id"] == str(order_id)]
    assert [Decimal(r["qty"]) for r in fills] == [Decimal("0.0004"), Decimal("0.0006")]
    for f in fills:
        assert f["client_order_id"] == bought and f["symbol"] == "BTCUSDT" and f["side"] == "BUY"
        assert Decimal(f["price"]) == limit_price and f["trade_id"].isdigit()
        assert Decimal(f["fee"]) >= 0 and f["fee_asset"]
        quote = f["quote_qty"]  # price * qty, without the product's run of trailing zeros
        assert Decimal(quote) == Decimal(f["price"]) * Decimal(f["qty"]) and quote[-1] != "0"
    assert len({f["trade_id"] for f in fills}) == 2

    updates = [r for r in rows if r["kind"] == "OrderUpdated" and r["client_order_id"] == bought]
    assert updates and all(r["order_id"] == str(order_id) for r in updates)
    assert updates[0]["status"] == "NEW" and Decimal(updates[0]["qty"]) == Decimal("0.001")

    sell_fills = [r for r in rows if r["kind"] == "OrderFilled" and r["client_order_id"] == sold]
    assert sell_fills and all(r["side"] == "SELL" for r in sell_fills)
    assert sum(Decimal(r["qty"]) for r in sell_fills) == Decimal("0.0005")
    (sell,) = [r for r in rows if r["kind"] == "OrderIntended" and r["client_order_id"] == sold]
    assert sell["type"] == "MARKET" and sell["price"] == ""
    replied = [r for r in rows if r["kind"] == "OrderUpdated" and r["client_order_id"] == sold]
    filled = next(r for r in replied if r["status"] == "FILLED")
    assert Decimal(filled["executed_qty"]) == Decimal("0.0005") and filled["order_id"].isdigit()

    loaded = next(r for r in rows if r["kind"] == "ProfileLoaded")
    assert loaded["symbol"] == "" and loaded["qty"] == ""
    (shutdown,) = [r for r in rows if r["kind"] == "ShutDown"]
    assert shutdown["reason"]
