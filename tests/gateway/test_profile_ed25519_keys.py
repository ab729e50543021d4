"""Ed25519 local keys from the profile: a gateway key entry names the bot's public key file
(`public_key`) instead of a secret; `tradeguard gateway` reads it, and the bot signs with its
own private key, which the gateway never sees."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.gateway.conftest import PROFILE
from tests.gateway.test_cli import _banner, _field, _start
from tests.gateway.test_ed25519_logon import _pems
from tradeguard.errors import ConfigError
from tradeguard.profile.parse import parse_text
from tradeguard.venues.binance import signing

SIGNER = """
[[profiles.gw.gateway.keys]]
name = "signer"
api_key = "SIGNER_GW_KEY"
public_key = "signer.pub"
max_orders_per_minute = 5
"""


def _parse(extra: str) -> Any:
    return parse_text(PROFILE + extra, Path("tradeguard.toml"))["gw"]


def test_a_key_entry_may_name_a_public_key_file_instead_of_a_secret() -> None:
    [spec] = _parse(SIGNER).gateway_keys
    assert (spec.name, spec.public_key, spec.max_orders_per_minute) == ("signer", "signer.pub", 5)
    assert spec.credentials.api_key == "SIGNER_GW_KEY"


@pytest.mark.parametrize(
    ("entry", "said"),
    [
        ('{ name = "a", api_key = "A", secret = "B", public_key = "a.pub" }',
         "key a: give either secret (HMAC) or public_key (Ed25519), not both"),
        ('{ name = "a", api_key = "A", public_key = "" }', "key a: public_key is empty"),
    ],
)  # fmt: skip
def test_a_bad_ed25519_entry_is_one_line(entry: str, said: str) -> None:
    with pytest.raises(ConfigError) as refused:
        _parse(f"[profiles.gw.gateway]\nkeys = [{entry}]")
    assert said in str(refused.value) and "\n" not in str(refused.value)


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if "_GW_" not in k}
    return env | {
        "XDG_STATE_HOME": str(tmp_path / "state"), "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"), "SIGNER_GW_KEY": "EdSigner1",
    }  # fmt: skip


@pytest.mark.realclient
async def test_the_command_serves_a_bot_signing_with_its_ed25519_key(tmp_path: Path) -> None:
    private_pem, public_pem = _pems()
    (tmp_path / "signer.pub").write_text(public_pem)
    (tmp_path / "tradeguard.toml").write_text(PROFILE + SIGNER)
    proc = _start(tmp_path, _env(tmp_path))
    try:
        lines = await asyncio.to_thread(_banner, proc)
        [said] = [line for line in lines if "EdSigner1" in line]
        assert "Ed25519 (the bot's own; public key from signer.pub)" in said
        url = _field(lines, "base URL")
        query = "symbol=BTCUSDT&timestamp={}"
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{url}/api/v3/time") as got:
                now = (await got.json())["serverTime"]
            signed = query.format(now)
            signature = signing.ed25519_sign_b64(private_pem, signed.encode())
            wanted = f"{url}/api/v3/openOrders?{signed}&signature={signing.quote_value(signature)}"
            async with http.get(wanted, headers={"X-MBX-APIKEY": "EdSigner1"}) as ok:
                assert (ok.status, await ok.json()) == (200, [])
    finally:
        proc.send_signal(signal.SIGINT)
        await asyncio.to_thread(proc.communicate, timeout=60)
    assert proc.returncode == 130


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (None, "signer.pub"),  # no such file
        ("not a key", "is not an Ed25519 public key (PEM)"),
        ("private", "holds a private key"),
    ],
)
def test_a_bad_public_key_file_stops_the_command_in_one_line(
    tmp_path: Path, content: str | None, said: str
) -> None:
    import subprocess
    import sys

    private_pem, _ = _pems()
    if content is not None:
        (tmp_path / "signer.pub").write_text(private_pem if content == "private" else content)
    (tmp_path / "tradeguard.toml").write_text(PROFILE + SIGNER)
    done = subprocess.run(
        [sys.executable, "-m", "tradeguard.cli.app", "gateway", "-p", "gw", "--port", "0"],
        cwd=tmp_path, env=_env(tmp_path), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    [line] = done.stderr.strip().splitlines()
    assert said in line and "signer" in line
    assert "PRIVATE KEY" not in line and private_pem.splitlines()[1] not in line
