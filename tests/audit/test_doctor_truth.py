"""`tradeguard doctor` tells the truth about what `tradeguard run` would do with the same profile:
it checks the exchange and the key `connect` would use, and fails, with the fix, wherever
`connect` would refuse or the run could not trade. Each case is a fresh tradeguard.toml, run
through the CLI (`--json`, and the table where the wording matters), against a simulator or a
fake venue started by the test."""

from __future__ import annotations

import asyncio
import dataclasses
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from click.testing import CliRunner, Result

from tradeguard.cli.app import main
from tradeguard.errors import TradeguardError
from tradeguard.keys.audit import DAY_MS
from tradeguard.net.clock import SYSTEM

from .conftest import DOCTOR_ROWS, ThreadedSim
from .test_ccxt_audit import SECRET, FakeVenues, Key, bybit_result
from .test_doctor_cli import checks

CREDENTIALS = (
    '[profiles.default.credentials]\nsource = "env"\napi_key = "TG_KEY"\nsecret = "TG_SECRET"\n'
)


def doctor(*args: str) -> Result:
    return CliRunner().invoke(main, ["doctor", "--ntp", "", *args], env={"COLUMNS": "300"})


def profile(home: Path, body: str, credentials: bool = True) -> None:
    journal = f'journal = "sqlite://{home / "journal.db"}"\n'
    text = "[profiles.default]\n" + journal + body + ("\n" + CREDENTIALS if credentials else "")
    (home / "tradeguard.toml").write_text(text)


def use_key(monkeypatch: pytest.MonkeyPatch, key: dict[str, str]) -> None:
    monkeypatch.setenv("TG_KEY", key["api_key"])
    monkeypatch.setenv("TG_SECRET", key["secret"])


def failed(result: Result) -> dict[str, dict[str, str]]:
    """The failed rows of a `--json` run, which must exit 1 and say ok: false."""
    import json

    assert result.exit_code == 1, result.output
    assert json.loads(result.output)["ok"] is False
    return {name: row for name, row in checks(result).items() if row["level"] == "fail"}


def connect_refusal(home: Path) -> str:
    """What `tradeguard.connect` says, with this profile, where it refuses (its message)."""
    from tradeguard.session.connect import (
        connect,  # `tradeguard.connect` is the module once imported
    )

    async def attempt() -> str:
        try:
            session = await connect(config=home / "tradeguard.toml", stream=False)
        except TradeguardError as exc:
            return exc.message
        await session.close()
        return ""

    return asyncio.run(attempt())


def closed_port(scheme: str = "http") -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"{scheme}://127.0.0.1:{port}"


# ── item 10: env = "sim" with a base_url is that exchange and the profile's key ───────────────


def test_sim_with_a_base_url_checks_that_exchange_and_the_profiles_key(
    home: Path, threaded_sim: ThreadedSim, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = threaded_sim.key("withdraw-enabled")
    use_key(monkeypatch, key)
    profile(home, f'env = "sim"\nbase_url = "{threaded_sim.running.base_url}"\n')
    result = doctor("--json")
    rows = failed(result)
    assert list(rows) == ["key.withdraw"]
    assert rows["key.withdraw"]["detail"] == "this API key can withdraw funds: refused"
    assert "`tradeguard keys rotate`" in rows["key.withdraw"]["fix"]
    assert checks(result)["credentials"]["detail"].startswith(
        "environment: api_key from TG_KEY, secret from TG_SECRET (key "
    )
    assert threaded_sim.requests().get("GET /sapi/v1/account/apiRestrictions") == 1
    assert key["secret"] not in result.output
    assert "this API key can withdraw funds: refused" in connect_refusal(home)


# ── item 11: the rung, the kill switch, the symbols, the venue, an unreachable base_url ──────


def test_a_live_small_rung_the_journal_has_not_granted(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_key(monkeypatch, {"api_key": "k" * 64, "secret": "s" * 64})
    profile(home, f'env = "live-small"\nbase_url = "{closed_port("https")}"\n')
    row = failed(doctor("--json"))["stage"]
    assert row["detail"] == (
        "profile default is on the live-small rung, which this journal has not granted"
    )
    assert row["fix"] == "earn it on the rung below and run `tradeguard promote`"
    assert "run `tradeguard promote`" in doctor().output  # the table says it too

    from tradeguard.events import StageSet
    from tradeguard.journal import open_journal

    with open_journal(home / "journal.db", profile="default") as journal:  # what promote appends
        journal.append(
            StageSet(at_ms=SYSTEM.wall_ms(), profile="default", rung="live-small"), durable=True
        )
    granted = checks(doctor("--json"))["stage"]
    assert granted["level"] == "pass"
    assert granted["detail"].startswith("rung live-small (real money), granted by promotion: ")


def test_a_latched_kill_switch(home: Path) -> None:
    latch = CliRunner().invoke(main, ["kill", "--reason", "drill"])
    assert latch.exit_code == 0, latch.output
    row = failed(doctor("--json"))["kill_switch"]
    assert row["detail"].startswith("the kill switch of default is latched (drill, by user, at ")
    assert row["detail"].endswith("): every order is refused until it is reset")
    assert row["fix"] == "fix what tripped it, then `tradeguard kill --reset`"
    table = doctor()
    assert table.exit_code == 1
    assert "`tradeguard kill --reset`" in table.output and "refused" in table.output
    assert CliRunner().invoke(main, ["kill", "--reset"]).exit_code == 0
    cleared = doctor("--json")
    assert cleared.exit_code == 0, cleared.output
    assert checks(cleared)["kill_switch"]["detail"] == "not latched"


@pytest.fixture
def many_symbols() -> Iterator[ThreadedSim]:
    """A simulator listing more symbols than a hint can name, BTCUSDT late in the alphabet."""
    from tradeguard.sim.config import default_symbols

    btc = default_symbols()[0]
    extra = [
        dataclasses.replace(btc, symbol=f"{base}USDT", base=base)
        for base in ("AAVE", "ADA", "ALGO", "APT", "ARB", "ATOM", "AVAX", "BCH", "BNB")
    ]
    sim = ThreadedSim(symbols=[*extra, btc])
    yield sim
    sim.close()


def test_a_symbol_the_exchange_does_not_list(
    home: Path, many_symbols: ThreadedSim, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_key(monkeypatch, many_symbols.key("trade-only"))
    url = many_symbols.running.base_url
    profile(home, f'env = "sim"\nbase_url = "{url}"\nsymbols = ["BTC/USDC", "ETH/USDT"]\n')
    row = failed(doctor("--json"))["symbols"]
    assert row["detail"] == "profile default: BTCUSDC, ETHUSDT not traded here"
    assert row["fix"] == (
        "the exchange lists no BTCUSDC (near it: BTCUSDT), no ETHUSDT; "
        "it lists e.g. AAVEUSDT, ADAUSDT, ALGOUSDT, APTUSDT, ARBUSDT"
    )
    assert connect_refusal(home) == row["detail"]
    profile(home, f'env = "sim"\nbase_url = "{url}"\nsymbols = ["BTC/USDT", "ADA/USDT"]\n')
    listed = doctor("--json")
    assert checks(listed)["symbols"]["detail"] == "the exchange lists BTCUSDT, ADAUSDT"
    assert listed.exit_code == 0, listed.output


class ThreadedVenues:
    """The fake Bybit/OKX/Kraken server of test_ccxt_audit on a loop of its own, for the CLI."""

    def __init__(self) -> None:
        self.fake = FakeVenues()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.runner = web.AppRunner(self.fake.app())
        self._run(self._start())

    def _run(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=30)

    async def _start(self) -> None:
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        host, port = self.runner.addresses[0][:2]
        self.fake.url = f"http://{host}:{port}"

    def close(self) -> None:
        self._run(self.runner.cleanup())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)


@pytest.fixture
def venues() -> Iterator[ThreadedVenues]:
    venues = ThreadedVenues()
    yield venues
    venues.close()


def test_a_venue_without_ccxt_installed_cannot_trade(
    home: Path, venues: ThreadedVenues, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib.util

    find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "ccxt" else find_spec(name, *a),
    )
    created = SYSTEM.wall_ms() - 30 * DAY_MS
    venues.fake.keys["by-trade"] = Key(SECRET, bybit=bybit_result(created_ms=created))
    use_key(monkeypatch, {"api_key": "by-trade", "secret": SECRET})
    profile(home, f'venue = "bybit"\nenv = "testnet"\nbase_url = "{venues.fake.url}"\n')
    result = doctor("--json")
    rows = failed(result)
    assert "venue" in rows
    assert rows["venue"]["detail"] == (
        "profile default: venue 'bybit' trades through ccxt, which is not installed"
    )
    assert rows["venue"]["fix"] == 'pip install "tradeguard[ccxt]"'
    assert connect_refusal(home) == rows["venue"]["detail"]


def test_an_unreachable_base_url(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    use_key(monkeypatch, {"api_key": "k" * 64, "secret": "s" * 64})
    url = closed_port()
    profile(home, f'env = "sim"\nbase_url = "{url}"\n')
    rows = failed(doctor("--json"))
    assert list(rows) == ["clock.exchange"]
    assert rows["clock.exchange"]["detail"].startswith(f"the exchange at {url} did not answer: ")
    assert "base_url" in rows["clock.exchange"]["fix"]
    assert connect_refusal(home).startswith(f"connect refused: the exchange at {url} could not")


# ── the binance venue and the embedded simulator still pass ─────────────────────────────────


def test_the_embedded_simulator_still_passes_and_lists_every_row(home: Path) -> None:
    result = doctor("--json")
    assert result.exit_code == 0, result.output
    assert [name for name in checks(result)] == DOCTOR_ROWS
    assert checks(result)["venue"]["detail"] == "binance: traded by `tradeguard run`"
