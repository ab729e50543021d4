"""Kraken's signing and nonces, verified exactly: what is accepted, and each refusal in the
words ccxt maps (EAPI:Invalid key → AuthenticationError, EAPI:Invalid nonce → InvalidNonce)."""

from __future__ import annotations

from typing import Any

import pytest

from tradeguard.sim.config import SimConfig
from tradeguard.sim.kraken.auth import sign

from .conftest import KrakenClient, kraken_config


def test_the_documented_test_vector_verifies() -> None:
    # Kraken's published example secret, not a credential.
    secret = "kQH5HW/8p1uGOVjbgWA7FunAmGO8lsSUXNsu3eow76sz84Q18fWxnyRzBHCd3pd5nE9qa99HAZtuZuj6F1huXg=="  # tradeguard: allow
    body = b"nonce=1616492376594&ordertype=limit&pair=XBTUSD&price=37500&type=buy&volume=1.25"
    expected = "4/dpxb3iT4tp/ZCVEwSnEsLxx0bqyhLpdfOpc6fn7OR8+UClSV5n9E6aSS8MPtnRfp32bAb0nmbRn6H8ndwLUQ=="  # tradeguard: allow
    assert sign(secret, "/0/private/AddOrder", "1616492376594", body) == expected


async def test_a_signed_form_request_and_a_signed_json_one_are_accepted(
    client: KrakenClient,
) -> None:
    assert "ZUSD" not in await client.ok("BalanceEx")  # the default balances hold USDT
    answer = await client.private("BalanceEx", json=True)
    assert answer["error"] == [] and answer["result"]["USDT"]["balance"] == "100000.00000000"


async def test_a_wrong_signature_is_refused(client: KrakenClient) -> None:
    wrong = KrakenClient.sign(client.secret, "/0/private/Balance", "1", b"nonce=1")
    answer = await client.private("BalanceEx", sign=wrong)
    assert answer == {"error": ["EAPI:Invalid signature"]}


async def test_an_unknown_key_and_a_key_kraken_cannot_have_are_refused(
    client: KrakenClient,
) -> None:
    client.api_key = "nosuchkey"
    assert await client.error("BalanceEx") == "EAPI:Invalid key"
    client.use("trade-only-ed25519")  # Kraken keys are HMAC only
    assert await client.error("BalanceEx") == "EAPI:Invalid key"


async def test_a_nonce_not_above_the_last_accepted_one_is_refused(client: KrakenClient) -> None:
    assert (await client.private("BalanceEx", nonce="500"))["error"] == []
    assert await client.error("BalanceEx", nonce="500") == "EAPI:Invalid nonce"
    assert await client.error("BalanceEx", nonce="499") == "EAPI:Invalid nonce"
    assert (await client.private("BalanceEx", nonce="501"))["error"] == []


async def test_a_refused_nonce_does_not_burn_the_next_one(client: KrakenClient) -> None:
    wrong = KrakenClient.sign(client.secret, "/0/private/X", "900", b"")
    assert (await client.private("BalanceEx", nonce="900", sign=wrong))["error"] == [
        "EAPI:Invalid signature"
    ]
    assert (await client.private("BalanceEx", nonce="900"))["error"] == []


@pytest.fixture
def config() -> SimConfig:
    return kraken_config(keys=[{"name": "elsewhere", "allowed_ips": ["10.9.9.9"]}])


async def test_a_key_from_an_ip_outside_its_allowlist_is_denied(client: KrakenClient) -> None:
    client.use("elsewhere")
    assert await client.error("BalanceEx") == "EGeneral:Permission denied"


async def test_a_read_only_key_may_read_but_not_trade(client: KrakenClient) -> None:
    client.use("read-only")
    await client.ok("BalanceEx")
    order: dict[str, Any] = {
        "pair": "XBTUSDT",
        "type": "buy",
        "ordertype": "market",
        "volume": "0.001",
    }
    assert await client.error("AddOrder", **order) == "EGeneral:Permission denied"
