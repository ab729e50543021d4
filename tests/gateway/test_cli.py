"""`tradeguard gateway` as a user runs it: a subprocess on a sim profile, a bot through it."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.gateway.conftest import pb_client_class

pytestmark = pytest.mark.realclient


def _start(tmp_path: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tradeguard.cli.app", "gateway", "-p", "gw", "--port", "0"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _banner(proc: subprocess.Popen[str]) -> list[str]:
    assert proc.stdout is not None
    lines: list[str] = []
    while not lines or not lines[-1].startswith("Ctrl-C"):
        line = proc.stdout.readline()
        if not line:
            raise AssertionError(f"the gateway ended: {proc.stderr.read() if proc.stderr else ''}")
        lines.append(line.rstrip("\n"))
    return lines


def _field(lines: list[str], name: str) -> str:
    [line] = [x for x in lines if x.strip().startswith(name)]
    return line.split()[len(name.split())]


async def test_gateway_serves_a_bot_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    from binance.client import Client

    env = dict(os.environ, XDG_STATE_HOME=str(tmp_path / "state"),
               XDG_DATA_HOME=str(tmp_path / "data"), XDG_CONFIG_HOME=str(tmp_path / "config"))  # fmt: skip
    env.pop("TRADEGUARD_GATEWAY_API_KEY", None)
    env.pop("TRADEGUARD_GATEWAY_SECRET", None)
    proc = _start(tmp_path, env)
    try:
        lines = await asyncio.to_thread(_banner, proc)
        url = _field(lines, "base URL")
        api_key = _field(lines, "API key")
        # not a terminal: the secret is in a 0600 file, never in the output
        key_file = tmp_path / "state" / "tradeguard" / "gateway-gw.key"
        assert "in " + str(key_file) in "\n".join(lines)
        assert key_file.stat().st_mode & 0o777 == 0o600
        stored = dict(line.split("=", 1) for line in key_file.read_text().splitlines())
        assert stored["api_key"] == api_key
        secret = stored["secret"]
        assert secret not in "\n".join(lines)

        def bot() -> dict[str, object]:
            client = pb_client_class(Client, url)(api_key, secret)
            return client.get_account()  # type: ignore[no-any-return]

        account = await asyncio.to_thread(bot)
        assert account["accountType"] == "SPOT"
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = await asyncio.to_thread(proc.communicate, timeout=60)
    assert proc.returncode == 130, err
    # the local secret reached no file but its own: not the journal, not the host state
    assert any(p.suffix == ".db" for p in tmp_path.rglob("*")), "the journal is looked at"
    for path in tmp_path.rglob("*"):
        if path.is_file() and path != key_file:
            assert secret.encode() not in path.read_bytes(), path
    assert secret not in out + err


def test_help_imports_no_aiohttp() -> None:
    code = "import sys, tradeguard.cli.app; print('aiohttp' in sys.modules)"
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert found.stdout.strip() == "False"


def test_a_key_of_ones_own_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from tradeguard.cli.gateway import local_key
    from tradeguard.errors import ConfigError

    monkeypatch.setenv("TRADEGUARD_GATEWAY_API_KEY", "myBotKey1")
    monkeypatch.setenv("TRADEGUARD_GATEWAY_SECRET", "myBotSecret1")
    key, fresh = local_key()
    assert (key.api_key, key.secret.reveal(), fresh) == ("myBotKey1", "myBotSecret1", False)
    monkeypatch.delenv("TRADEGUARD_GATEWAY_SECRET")
    with pytest.raises(ConfigError, match="only one of"):
        local_key()
    monkeypatch.delenv("TRADEGUARD_GATEWAY_API_KEY")
    assert local_key()[1] is True


def test_a_profile_on_another_venue_is_refused_in_one_line() -> None:
    from types import SimpleNamespace

    from tradeguard.gateway import server

    refused = server.refusal(SimpleNamespace(venue="okx", profile="okx"))  # type: ignore[arg-type]
    assert refused is not None and "speaks Binance's API" in str(refused)
    assert server.refusal(SimpleNamespace(venue="binance", profile="gw")) is None  # type: ignore[arg-type]
