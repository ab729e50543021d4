"""`order_transport = "fix"` in tradeguard.toml: Binance only, one line otherwise; and a FIX
profile with a base_url of its own names no FIX host: refused in one line at connect."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tradeguard.errors import ConfigError
from tradeguard.keys.credentials import ApiCredentials, Secret
from tradeguard.profile import profiles
from tradeguard.profile.profiles import Profile
from tradeguard.session.connect_fix import orders_over_fix
from tradeguard.venues.binance.client import BinanceTransport

ED25519_PEM = (
    "-----BEGIN PRIVATE KEY-----\n"
    "MC4CAQAwBQYDK2VwBCIEIIJEYWtGBrhACmb9Dvy+qa8WEf0lQOl1s4CLIAB9m89u\n"
    "-----END PRIVATE KEY-----\n"
)


def load(tmp_path: Path, body: str) -> profiles.Profile:
    path = tmp_path / "tradeguard.toml"
    path.write_text(textwrap.dedent(body))
    return profiles.load("default", config=path, env={}, cwd=tmp_path)


def test_fix_when_asked(tmp_path: Path) -> None:
    fix = load(tmp_path, '[profiles.default]\norder_transport = "fix"\n')
    assert fix.order_transport == "fix"


def test_fix_on_another_venue_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, '[profiles.default]\nvenue = "bybit"\norder_transport = "fix"\n')
    message = str(caught.value)
    assert "Binance's FIX order entry" in message and "tradeguard.toml:" in message
    assert "\n" not in message


async def test_a_base_url_of_its_own_names_no_fix_host() -> None:
    profile = Profile(order_transport="fix", env="testnet", base_url="https://example.test")
    creds = ApiCredentials("k", Secret(ED25519_PEM), kind="ED25519")
    async with BinanceTransport("https://example.test", creds) as transport:
        with pytest.raises(ConfigError, match="no FIX host"):
            orders_over_fix(profile, transport, creds, None)
        testnet = Profile(order_transport="fix", env="testnet")
        orders_over_fix(testnet, transport, creds, None)
        assert transport.order_wire is not None
        assert transport.order_wire.url == "tcp+tls://fix-oe.testnet.binance.vision:9000"
