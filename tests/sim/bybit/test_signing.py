"""Bybit's REST signing, verified exactly: every private request signs timestamp + key +
recvWindow + the raw query or JSON body; a wrong signature, a stale or early timestamp, an
unknown key, a foreign IP and a missing permission each get Bybit's own retCode."""

from __future__ import annotations

import pytest
from tests.conftest import START_MS

from tradeguard.sim.config import SimConfig

from .bybit_client import BybitClient, bybit_sign

VECTOR_TS = 1_700_000_000_000


@pytest.fixture
def sim_config() -> SimConfig:
    extra = [
        {"name": "vector", "api_key": "BYKEY", "secret": "BYSECRET"},
        {"name": "elsewhere", "allowed_ips": ["10.9.9.9"]},
        {"name": "ed", "kind": "ED25519"},
    ]
    return SimConfig.default(seed=7, clock="manual", start_ms=START_MS, venue="bybit", keys=extra)


def test_the_reference_vectors_are_bybits_recipe() -> None:
    # exchange-wire / venues-ccxt-wire §1.3 vectors, recomputed by the test's own signer.
    get = bybit_sign("BYSECRET", f"{VECTOR_TS}BYKEY5000accountType=UNIFIED")
    assert get == "82035e1eb0ef4b4d6c27c66a184b1ca27af1a68fef66be307fbd2dff6ab354fc"


async def test_a_request_signed_with_the_reference_vector_is_accepted(bybit: BybitClient) -> None:
    await bybit.control("clock", {"set_ms": VECTOR_TS})
    bybit.use("vector")
    reply = await bybit.get("/v5/account/wallet-balance", accountType="UNIFIED")
    assert reply.code == 0
    coins = {c["coin"]: c["walletBalance"] for c in reply.result["list"][0]["coin"]}
    assert coins["USDT"] == "100000"


async def test_a_signed_post_is_accepted(bybit: BybitClient) -> None:
    reply = await bybit.create(side="Buy", orderType="Limit", qty="0.001", price="50000")
    assert reply.result["orderId"] == "1"


async def test_a_wrong_signature_is_10004(bybit: BybitClient) -> None:
    reply = await bybit.get(
        "/v5/account/wallet-balance", sign_with="not-the-secret", accountType="UNIFIED"
    )
    assert (reply.status, reply.code) == (200, 10004)


async def test_a_body_changed_after_signing_is_10004(bybit: BybitClient) -> None:
    headers = bybit.headers('{"category":"spot"}')
    body = '{"category":"spot","symbol":"BTCUSDT","side":"Buy","orderType":"Market","qty":"10"}'
    async with bybit.http.post(f"{bybit.base}/v5/order/create", headers=headers, data=body) as r:
        assert (await r.json())["retCode"] == 10004
    assert bybit.running.sim.engine.open_orders("main", None) == []


@pytest.mark.parametrize("shift_ms", [-5_001, 1_000])
async def test_a_timestamp_outside_the_window_is_10002(bybit: BybitClient, shift_ms: int) -> None:
    bybit.ts_shift_ms = shift_ms
    reply = await bybit.get("/v5/account/wallet-balance", accountType="UNIFIED")
    assert reply.code == 10002
    assert "recv_window" in reply.body["retMsg"]


@pytest.mark.parametrize("shift_ms", [-5_000, 999])
async def test_a_timestamp_at_the_window_edges_is_accepted(
    bybit: BybitClient, shift_ms: int
) -> None:
    bybit.ts_shift_ms = shift_ms
    assert (await bybit.get("/v5/account/wallet-balance", accountType="UNIFIED")).code == 0


async def test_an_unknown_key_is_10003(bybit: BybitClient) -> None:
    bybit.api_key = "NoSuchKey123"
    assert (await bybit.get("/v5/account/wallet-balance", accountType="UNIFIED")).code == 10003


async def test_an_ed25519_key_is_unknown_to_bybit(bybit: BybitClient) -> None:
    bybit.use("ed")
    assert (await bybit.get("/v5/account/wallet-balance", accountType="UNIFIED")).code == 10003


async def test_a_key_bound_to_another_ip_is_10010(bybit: BybitClient) -> None:
    bybit.use("elsewhere")
    assert (await bybit.get("/v5/account/wallet-balance", accountType="UNIFIED")).code == 10010


async def test_a_read_only_key_cannot_trade_but_can_read(bybit: BybitClient) -> None:
    bybit.use("read-only")
    assert (await bybit.get("/v5/account/wallet-balance", accountType="UNIFIED")).code == 0
    reply = await bybit.create(side="Buy", orderType="Limit", qty="0.001", price="50000")
    assert reply.code == 10005
