"""OKX signing, verified exactly: the reference's vectors, and each refusal's code and status."""

from __future__ import annotations

import pytest

from tradeguard.sim.keys import keys_from_config
from tradeguard.sim.okx.auth import passphrase, sign

from .conftest import Okx, iso, limit_buy


def test_the_reference_vectors_verify() -> None:
    ts = "2023-11-14T22:13:20.000Z"
    assert (
        sign("OKSECRET", ts + "GET/api/v5/trade/order?instId=BTC-USDT&ordId=1001")
        == "wN1ZAkUcLAUiXmORE7r2e16zZbuFN4lsrLSXc4nb56k="
    )
    body = (
        '[{"instId":"BTC-USDT","side":"buy","ordType":"limit","sz":"0.001","tdMode":"cash",'
        '"tgtCcy":"base_ccy","px":"40000","clOrdId":"c1"}]'
    )
    assert (
        sign("OKSECRET", ts + "POST/api/v5/trade/batch-orders" + body)
        == "r+N6QBzCx6go4pIa8z6KOOV9bSj1DAuAJLbVOon4HEc="
    )
    assert (
        sign("OKSECRET", "1700000000GET/users/self/verify")
        == "wEQzrmrkxxcCFmMQ9uSShukVj6Uo6wcv2GrngRyFX6I="
    )


async def test_a_signed_get_with_a_query_and_a_signed_post_are_accepted(okx: Okx) -> None:
    status, body = await okx.call("POST", "/api/v5/trade/batch-orders", [limit_buy("sig1")])
    assert (status, body["code"], body["data"][0]["sCode"]) == (200, "0", "0")
    status, body = await okx.call("GET", "/api/v5/trade/order?instId=BTC-USDT&clOrdId=sig1")
    assert (status, body["code"], body["data"][0]["clOrdId"]) == (200, "0", "sig1")


@pytest.mark.parametrize(
    ("tamper", "code"),
    [
        ({"OK-ACCESS-SIGN": "AAAA"}, "50113"),
        ({"OK-ACCESS-PASSPHRASE": "wrong"}, "50105"),
        ({"OK-ACCESS-KEY": "NoSuchKey"}, "50111"),
        ({"OK-ACCESS-KEY": ""}, "50103"),
        ({"OK-ACCESS-PASSPHRASE": ""}, "50104"),
        ({"OK-ACCESS-SIGN": ""}, "50106"),
        ({"OK-ACCESS-TIMESTAMP": ""}, "50107"),
        ({"OK-ACCESS-TIMESTAMP": "yesterday"}, "50112"),
    ],
)
async def test_each_bad_credential_is_refused_with_okx_code_and_401(
    okx: Okx, tamper: dict[str, str], code: str
) -> None:
    status, body = await okx.call("GET", "/api/v5/account/balance", tamper=tamper)
    assert (status, body["code"], body["data"]) == (401, code, [])


async def test_a_signature_over_another_query_is_refused(okx: Okx) -> None:
    # Signed for one query, sent with another: the check is over the bytes as received.
    k = okx.key()
    stamp = iso(okx.sim.clock.now_ms())
    prehash = stamp + "GET/api/v5/trade/orders-pending?instId=ETH-USDT"
    headers = {
        "OK-ACCESS-KEY": k["api_key"],
        "OK-ACCESS-PASSPHRASE": k["passphrase"],
        "OK-ACCESS-TIMESTAMP": stamp,
        "OK-ACCESS-SIGN": sign(k["secret"], prehash),
    }
    url = okx.running.base_url + "/api/v5/trade/orders-pending?instId=BTC-USDT"
    async with okx.session.get(url, headers=headers) as reply:
        assert (reply.status, (await reply.json())["code"]) == (401, "50113")


@pytest.mark.parametrize("skew_ms", [-31_000, 31_000])
async def test_a_timestamp_over_30_s_off_is_expired(okx: Okx, skew_ms: int) -> None:
    now = okx.sim.clock.now_ms()
    status, body = await okx.call("GET", "/api/v5/account/balance", ts_ms=now + skew_ms)
    assert (status, body["code"]) == (401, "50102")
    status, body = await okx.call("GET", "/api/v5/account/balance", ts_ms=now + skew_ms // 2)
    assert (status, body["code"]) == (200, "0")


async def test_a_key_whitelisted_elsewhere_is_refused_50110(okx: Okx) -> None:
    [elsewhere] = keys_from_config(
        [{"name": "elsewhere", "allowed_ips": ["10.9.9.9"]}], seed=5, now_ms=0
    )
    okx.sim.keystore.add(elsewhere)
    okx.running.key_listing.append(
        {
            "name": "elsewhere",
            "api_key": elsewhere.api_key,
            "secret": elsewhere.secret,
            "passphrase": passphrase(5, elsewhere),
        }
    )
    status, body = await okx.call("GET", "/api/v5/account/balance", key="elsewhere")
    assert (status, body["code"]) == (401, "50110")
    assert "127.0.0.1" in body["msg"]


async def test_public_endpoints_need_no_signature(okx: Okx) -> None:
    status, body = await okx.call("GET", "/api/v5/public/time", key=None)
    assert (status, body["data"]) == (200, [{"ts": str(okx.sim.clock.now_ms())}])
