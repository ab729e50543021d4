"""README's "Bots in other languages": each sentence checked against the gateway.

The two client snippets are run as written (the gateway's port swapped for the test's), and
drive the session; the default port and the key variables are read from the command. The
guard's refusal as -2010 `tradeguard:`, the lost reply resolved without a resend, the ban held
locally and the refused withdrawal are tests/gateway/test_ccxt_through_gateway.py and
test_python_binance_through_gateway.py; the secret kept out of logs, the journal and a
non-terminal output, and the 0600 file, are test_cli.py."""

from __future__ import annotations

import asyncio
import inspect
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.gateway.conftest import Served
from tradeguard.gateway.routes import Gateway

pytestmark = pytest.mark.realclient

README = Path(__file__).resolve().parents[2] / "README.md"
DEFAULT_URL = "http://127.0.0.1:8765"


def _section() -> str:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Bots in other languages") :]
    return section[: section.index("\n## ", 4)]


def _snippets() -> list[str]:
    return re.findall(r"```python\n(.*?)```", _section(), re.S)


def _run(snippet: str, served: Served) -> dict[str, Any]:
    scope: dict[str, Any] = {"KEY": served.key.api_key, "SECRET": served.secret}
    exec(snippet.replace(DEFAULT_URL, served.base_url), scope)
    return scope


async def test_the_ccxt_snippet_trades_through_the_gateway(served: Served) -> None:
    ccxt_snippet, _ = _snippets()
    exchange = _run(ccxt_snippet, served)["exchange"]

    def bot() -> None:
        assert exchange.fetch_balance()["USDT"]["free"] > 0
        order = exchange.create_order("BTC/USDT", "market", "buy", 0.001)
        assert order["status"] == "closed"

    await asyncio.to_thread(bot)
    assert [o.status.value for o in served.tg.ledger.orders.values()] == ["FILLED"]


async def test_the_python_binance_snippet_trades_through_the_gateway(served: Served) -> None:
    _, pb_snippet = _snippets()

    def bot() -> None:
        client = _run(pb_snippet, served)["client"]
        assert client.get_account()["accountType"] == "SPOT"
        assert client.order_market_buy(symbol="BTCUSDT", quantity="0.001")["status"] == "FILLED"

    await asyncio.to_thread(bot)
    assert len(served.tg.ledger.orders) == 1


def test_the_port_and_key_variables_are_the_commands() -> None:
    from tradeguard.cli import gateway

    section = _section()
    [port] = [p for p in gateway.gateway.params if p.name == "port"]
    assert DEFAULT_URL.endswith(f":{port.default}") and f"127.0.0.1:{port.default}" in section
    assert gateway.KEY_ENV in section and gateway.SECRET_ENV in section
    assert "/tradeguard/gateway-PROFILE.key" in section
    waited = inspect.signature(Gateway).parameters["resolve_timeout_s"].default
    assert f"takes over {waited:.0f} s" in section.replace("\n", " ")


def test_on_a_terminal_the_secret_is_shown_once(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from tradeguard.cli import gateway
    from tradeguard.gateway.local_keys import LocalKey

    key = LocalKey.generate()
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    gateway._announce("gw", "sim", "http://127.0.0.1:1", key, fresh=True)
    shown = capsys.readouterr().out
    assert shown.count(key.secret.reveal()) == 1 and key.api_key in shown


def test_the_stream_urls_are_the_ones_the_stream_tests_use() -> None:
    """tests/gateway/test_user_stream_through_gateway.py and test_streams_through_gateway.py
    point ccxt.pro and python-binance at these paths; the section names the same."""
    from tests.gateway import test_streams_through_gateway, test_user_stream_through_gateway

    section = _section().replace("\n", " ")
    ws_root = DEFAULT_URL.replace("http", "ws", 1)
    for said in (f'"{ws_root}/ws-api/v3"', f'STREAM_URL = "{ws_root}/"', "/api/v3/userDataStream"):
        assert said in section
    user_tests = inspect.getsource(test_user_stream_through_gateway)
    assert '["ws"]["ws-api"]["spot"]' in user_tests and "WS_API_URL" in user_tests
    assert "STREAM_URL" in inspect.getsource(test_streams_through_gateway)


def test_the_sdk_line_is_how_the_sdk_test_configures_it() -> None:
    from tests.gateway import test_binance_sdk_spot_through_gateway as sdk_test

    section = _section().replace("\n", " ")
    assert f'base_path="{DEFAULT_URL}"' in section and "ConfigurationRestAPI(" in section
    source = inspect.getsource(sdk_test)
    assert "base_path=served.base_url" in source and "Spot(config_rest_api=config)" in source


def test_the_node_line_is_how_the_node_bot_configures_it() -> None:
    section = _section().replace("\n", " ")
    assert f'new Spot(KEY, SECRET, {{ baseURL: "{DEFAULT_URL}" }})' in section
    bot = (Path(__file__).with_name("node") / "bot.js").read_text(encoding="utf-8")
    assert "new Spot(apiKey, apiSecret, { baseURL })" in bot
