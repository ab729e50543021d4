"""`order_transport = "fix"` in tradeguard.toml: Binance only, one line otherwise; and a FIX
profile with a base_url of its own names no FIX host: refused in one line at connect."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tradeguard.errors import ConfigError, CredentialsError
from tradeguard.keys.credentials import ApiCredentials, Secret
from tradeguard.profile import profiles
from tradeguard.profile.profiles import Profile
from tradeguard.session.connect_fix import orders_over_fix
from tradeguard.venues.binance.client import BinanceTransport

ED25519_PEM = (
    "-----BEGIN PRIVATE KEY-----\n"  # tradeguard: allow (Binance's published test key)
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


# ── fix_url and fix_ca_file: the FIX host of a profile with its own base_url ──────────────────

SIM_FIX = """\
[profiles.default]
env = "testnet"
base_url = "http://127.0.0.1:8080"
order_transport = "fix"
fix_url = "tcp+tls://localhost:9443"
"""


def ca_file(tmp_path: Path) -> Path:
    from tradeguard.sim.fix_tls import throwaway

    path = tmp_path / "sim-ca.pem"
    path.write_text(throwaway(1_780_000_000_000).pem)
    return path


def test_fix_drop_copy_url_names_drop_copys_host_beside_fix_url(tmp_path: Path) -> None:
    body = SIM_FIX + 'fix_drop_copy = true\nfix_drop_copy_url = "tcp+tls://localhost:9444"\n'
    profile = load(tmp_path, body)
    assert profile.fix_drop_copy and profile.fix_drop_copy_url == "tcp+tls://localhost:9444"


async def test_fix_url_and_its_ca_file_name_the_host(tmp_path: Path) -> None:
    ca = ca_file(tmp_path)
    profile = load(tmp_path, SIM_FIX + 'fix_ca_file = "sim-ca.pem"\n')
    assert profile.fix_url == "tcp+tls://localhost:9443" and profile.fix_ca_file == ca
    creds = ApiCredentials("k", Secret(ED25519_PEM), kind="ED25519")
    async with BinanceTransport("http://127.0.0.1:8080", creds) as transport:
        orders_over_fix(profile, transport, creds, None)
        assert transport.order_wire is not None
        assert transport.order_wire.url == "tcp+tls://localhost:9443"


@pytest.mark.parametrize(
    ("extra", "says"),
    [
        ('fix_url = "https://fix-oe.binance.com:9000"\n', "not a tcp+tls://host:port"),
        ('fix_url = "tcp+tls://fix-oe.binance.com"\n', "not a tcp+tls://host:port"),
        ('fix_url = "tcp+tls://user:pw@host:9000"\n', "user name or password"),
        ("fix_url = 9000\n", "not a tcp+tls://host:port"),
    ],
)
def test_a_bad_fix_url_is_one_line(tmp_path: Path, extra: str, says: str) -> None:
    body = SIM_FIX.replace('fix_url = "tcp+tls://localhost:9443"\n', extra)
    with pytest.raises((ConfigError, CredentialsError)) as caught:
        load(tmp_path, body)
    message = str(caught.value)
    assert says in message and "fix_url" in message and "tradeguard.toml:" in message
    assert "\n" not in message and "pw" not in message


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (SIM_FIX + 'fix_ca_file = "missing.pem"\n', "no such file"),
        (SIM_FIX + 'fix_ca_file = "not-a-cert.pem"\n', "holds no PEM certificate"),
        (SIM_FIX.replace('order_transport = "fix"\n', ""), 'only with order_transport = "fix"'),
        (
            SIM_FIX.replace('fix_url = "tcp+tls://localhost:9443"\n', "")
            + 'fix_ca_file = "sim-ca.pem"\n',
            "no fix_url",
        ),
        (
            SIM_FIX.replace('env = "testnet"', 'env = "live"').replace(
                "http://127.0.0.1:8080", "https://api.binance.com"
            )
            + 'fix_ca_file = "sim-ca.pem"\n',
            "Binance's own certificate",
        ),
        (
            '[profiles.default]\norder_transport = "fix"\nfix_url = "tcp+tls://localhost:9443"\n',
            "embedded simulator",
        ),
        (SIM_FIX + 'fix_drop_copy = "yes"\n', "must be true or false"),
        (SIM_FIX + "fix_drop_copy = true\n", "needs fix_drop_copy_url beside fix_url"),
        (
            SIM_FIX + 'fix_drop_copy_url = "tcp+tls://localhost:9444"\n',
            "read only with fix_drop_copy = true",
        ),
        (
            SIM_FIX + 'fix_drop_copy = true\nfix_drop_copy_url = "https://localhost:9444"\n',
            "not a tcp+tls://host:port",
        ),
        (
            SIM_FIX.replace('order_transport = "fix"\n', "").replace(
                'fix_url = "tcp+tls://localhost:9443"\n', ""
            )
            + "fix_drop_copy = true\n",
            'only with order_transport = "fix"',
        ),
    ],
)
def test_a_bad_fix_key_is_one_line(tmp_path: Path, body: str, says: str) -> None:
    ca_file(tmp_path)
    (tmp_path / "not-a-cert.pem").write_text("hello\n")
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, body)
    message = str(caught.value) + " " + (caught.value.hint or "")
    assert says in message and "tradeguard.toml:" in message
    assert "\n" not in str(caught.value)


async def test_a_ca_file_gone_by_connect_is_one_line(tmp_path: Path) -> None:
    ca = ca_file(tmp_path)
    profile = load(tmp_path, SIM_FIX + 'fix_ca_file = "sim-ca.pem"\n')
    ca.unlink()
    creds = ApiCredentials("k", Secret(ED25519_PEM), kind="ED25519")
    async with BinanceTransport("http://127.0.0.1:8080", creds) as transport:
        with pytest.raises(ConfigError, match="fix_ca_file"):
            orders_over_fix(profile, transport, creds, None)
