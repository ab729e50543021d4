"""Local keys from the profile: one per bot, each with limits of its own, read as credentials
are; the journal says which key placed each order."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.gateway.conftest import PROFILE, SPOT_ONLY, point_ccxt
from tests.scenarios.conftest import FAST_RESOLVE
from tradeguard.errors import ConfigError, CredentialsError
from tradeguard.events import OrderIntended
from tradeguard.gateway import server
from tradeguard.gateway.local_keys import LocalKey, LocalKeys
from tradeguard.keys.credentials import Secret
from tradeguard.profile.parse import parse_text
from tradeguard.session.connect import connect
from tradeguard.session.guard import Session

KEYS_TABLE = """
[[profiles.gw.gateway.keys]]
name = "small"
api_key = "SMALL_GW_KEY"
secret = "SMALL_GW_SECRET"
max_order_notional = "10"

[[profiles.gw.gateway.keys]]
name = "slow"
api_key = "SLOW_GW_KEY"
secret = "SLOW_GW_SECRET"
max_orders_per_minute = 2
"""


def _parse(extra: str) -> Any:
    return parse_text(PROFILE + extra, Path("tradeguard.toml"))["gw"]


def test_the_gateway_table_names_each_bot_s_key_and_limits() -> None:
    small, slow = _parse(KEYS_TABLE).gateway_keys
    assert (small.name, str(small.max_order_notional), small.max_orders_per_minute) == (
        "small",
        "10",
        None,
    )
    assert (slow.credentials.source, slow.credentials.api_key, slow.credentials.secret) == (
        "env",
        "SLOW_GW_KEY",
        "SLOW_GW_SECRET",
    )
    assert slow.max_orders_per_minute == 2


@pytest.mark.parametrize(
    ("table", "error", "said"),
    [
        ('[profiles.gw.gateway]\nkeys = [{ name = "a", api_key = "A", secret = '
         '"kR8vQ2xN5mP9wL3jT6yH1cF4bG7dS0aZeU2iO5pK8nM1qW4r" }]', CredentialsError,
         "tradeguard.toml must never hold one"),
        ('[profiles.gw.gateway]\nkeys = [{ name = "a", api_key = "A", secret = "B", '
         'max_notional = "5" }]', ConfigError, "unknown setting"),
        ('[profiles.gw.gateway]\nkeys = [{ name = "a", api_key = "A" }]', ConfigError,
         "key a: secret is missing"),
        ('[profiles.gw.gateway]\nkeys = [{ name = "a", api_key = "A", secret = "B" },'
         ' { name = "a", api_key = "C", secret = "D" }]', ConfigError, "two keys are named a"),
        ('[profiles.gw.gateway]\nkeys = [{ name = "a", api_key = "A", secret = "B", '
         'max_order_notional = 5.5 }]', ConfigError, "is a float"),
    ],
)  # fmt: skip
def test_a_bad_gateway_table_is_one_line_naming_the_fix(
    table: str, error: type[Exception], said: str
) -> None:
    with pytest.raises(error) as refused:
        _parse(table)
    assert said in str(refused.value) and "\n" not in str(refused.value)
    assert "kR8vQ2xN5mP9" not in str(refused.value)


def test_a_missing_variable_stops_the_command_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "tradeguard.toml").write_text(PROFILE + KEYS_TABLE)
    env = {k: v for k, v in os.environ.items() if "_GW_" not in k}
    env |= {"XDG_STATE_HOME": str(tmp_path / "state"), "XDG_DATA_HOME": str(tmp_path / "data")}
    env |= {"SMALL_GW_KEY": "Small1", "SMALL_GW_SECRET": "s1", "SLOW_GW_KEY": "Slow1"}
    done = subprocess.run(
        [sys.executable, "-m", "tradeguard.cli.app", "gateway", "-p", "gw", "--port", "0"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2
    [line] = done.stderr.strip().splitlines()
    assert "SLOW_GW_SECRET" in line and "export" in line


@pytest.fixture
async def two_bots() -> AsyncIterator[tuple[Session, str]]:
    from decimal import Decimal

    keys = [
        LocalKey("small", "Small1", Secret("small-secret"), max_order_notional=Decimal("10")),
        LocalKey("slow", "Slow1", Secret("slow-secret"), max_orders_per_minute=2),
    ]
    tg = await connect("gw", resolve=FAST_RESOLVE)
    running = await server.start(tg, LocalKeys(keys))
    try:
        yield tg, running.base_url
    finally:
        await running.close()
        await tg.close()


def _ccxt(base_url: str, api_key: str, secret: str) -> Any:
    import ccxt.async_support as ccxt_async

    ex = ccxt_async.binance(
        {"apiKey": api_key, "secret": secret, "enableRateLimit": False,
         "options": dict(SPOT_ONLY)}
    )  # fmt: skip
    point_ccxt(ex, base_url)
    return ex


@pytest.mark.realclient
async def test_each_bot_is_held_to_its_own_limits_and_journaled_by_name(
    two_bots: tuple[Session, str],
) -> None:
    import ccxt

    tg, url = two_bots
    small, slow = _ccxt(url, "Small1", "small-secret"), _ccxt(url, "Slow1", "slow-secret")
    try:
        await small.load_markets()
        await slow.load_markets()
        price = round(float((await small.fetch_ticker("BTC/USDT"))["last"]) * 0.99, 2)
        with pytest.raises(ccxt.InvalidOrder) as over:
            await small.create_order("BTC/USDT", "limit", "buy", 0.001, price)
        assert "local key small" in str(over.value) and "max_order_notional 10" in str(over.value)
        for n in range(2):
            await slow.create_order(
                "BTC/USDT", "limit", "buy", 0.001, price, {"clientOrderId": f"slow{n}"}
            )
        with pytest.raises(ccxt.DDoSProtection) as fast:
            await slow.create_order("BTC/USDT", "limit", "buy", 0.001, price)
        assert "-1015" in str(fast.value) and "2 orders per MINUTE" in str(fast.value)
    finally:
        await small.close()
        await slow.close()
    placed = [e.intent for e in tg.recorder.journal.events() if isinstance(e, OrderIntended)]
    assert [(i.client_order_id, i.placed_by) for i in placed] == [
        ("slow0", "slow"),
        ("slow1", "slow"),
    ]


async def test_the_listen_key_belongs_to_the_key_that_made_it(
    two_bots: tuple[Session, str],
) -> None:
    _, url = two_bots
    async with aiohttp.ClientSession() as http:
        async with http.post(
            url + "/api/v3/userDataStream", headers={"X-MBX-APIKEY": "Small1"}
        ) as a:
            small_key = (await a.json())["listenKey"]
        async with http.post(
            url + "/api/v3/userDataStream", headers={"X-MBX-APIKEY": "Slow1"}
        ) as b:
            assert (await b.json())["listenKey"] != small_key
        async with http.put(
            url + "/api/v3/userDataStream", headers={"X-MBX-APIKEY": "Slow1"},
            params={"listenKey": small_key},
        ) as other:  # fmt: skip
            assert (await other.json())["code"] == -1125
