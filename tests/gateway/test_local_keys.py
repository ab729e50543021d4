"""The gateway's checks of a bot's signed request, in Binance's order and with its codes."""

from __future__ import annotations

import pytest

from tradeguard.errors import RateLimited, RiskDenied
from tradeguard.gateway.local_keys import LocalKey, LocalKeys
from tradeguard.gateway.refused import funds_refusal
from tradeguard.gateway.wire_errors import WireError, from_error
from tradeguard.venues.binance import signing

NOW = 1_767_225_600_000
KEY = LocalKey.generate()
KEYS = LocalKeys([KEY])


def _signed(query: str, secret: str | None = None) -> bytes:
    signature = signing.hmac_sha256_hex(secret or KEY.secret.reveal(), query)
    return f"{query}&signature={signature}".encode()


def _refusal(api_key: str | None, query: bytes, body: bytes = b"") -> WireError:
    with pytest.raises(WireError) as refused:
        KEYS.authenticate(api_key, query, body, NOW)
    return refused.value


def test_a_request_signed_with_the_local_secret_passes_in_any_parameter_order() -> None:
    ccxt_order = f"timestamp={NOW}&symbol=BTCUSDT&recvWindow=10000"
    sorted_order = f"recvWindow=10000&symbol=BTCUSDT&timestamp={NOW}"
    assert KEYS.authenticate(KEY.api_key, _signed(ccxt_order), b"", NOW) is KEY
    assert KEYS.authenticate(KEY.api_key, b"", _signed(sorted_order), NOW) is KEY


def test_refusals_carry_binance_codes_and_statuses() -> None:
    query = f"symbol=BTCUSDT&timestamp={NOW}"
    assert _refusal(None, _signed(query)).code == -2014
    unknown = _refusal("A" * 64, _signed(query))
    assert (unknown.code, unknown.http_status) == (-2015, 401)
    wrong = _refusal(KEY.api_key, _signed(query, secret="another"))
    assert (wrong.code, wrong.http_status) == (-1022, 400)
    assert _refusal(KEY.api_key, _signed("symbol=BTCUSDT")).code == -1102
    late = _refusal(KEY.api_key, _signed(f"timestamp={NOW - 6000}"))
    assert (late.code, late.msg) == (
        -1021,
        "Timestamp for this request is outside of the recvWindow.",
    )
    ahead = _refusal(KEY.api_key, _signed(f"timestamp={NOW + 1000}"))
    assert ahead.code == -1021 and "ahead" in ahead.msg
    assert _refusal(KEY.api_key, _signed(f"timestamp={NOW}&recvWindow=60001")).code == -1131


def test_the_local_secret_never_shows_in_a_repr() -> None:
    assert KEY.secret.reveal() not in repr(KEY)


@pytest.mark.parametrize(
    "path",
    ["/sapi/v1/capital/withdraw/apply", "/sapi/v1/asset/transfer", "/wapi/v3/withdraw.html",
     "/sapi/v1/sub-account/transfer/subToMaster", "/sapi/v1/asset/dust", "/api/v3/withdraw"],
)  # fmt: skip
def test_paths_that_move_funds_are_refused_as_a_missing_permission(path: str) -> None:
    refused = funds_refusal(path)
    assert refused is not None and (refused.code, refused.http_status) == (-2015, 401)


@pytest.mark.parametrize("path", ["/api/v3/order", "/api/v3/account", "/api/v3/myTrades"])
def test_trading_paths_are_not_refused(path: str) -> None:
    assert funds_refusal(path) is None


def test_guard_refusal_and_ban_as_binance_replies() -> None:
    denied = from_error(RiskDenied(["MAX_ORDER_NOTIONAL: 30000 over 1000"]), NOW)
    assert (denied.code, denied.http_status) == (-2010, 400)
    assert denied.msg.startswith("tradeguard: ") and "1000" in denied.msg
    ban = RateLimited(-1003, "not sent", 418, retry_after_s=30, banned_until_ms=NOW + 90_500)
    banned = from_error(ban, NOW)
    assert (banned.code, banned.http_status) == (-1003, 418)
    assert banned.headers() == {"Retry-After": "91"}
    pause = from_error(RateLimited(-1003, "too much weight", 429, retry_after_s=2.2), NOW)
    assert (pause.http_status, pause.headers()) == (429, {"Retry-After": "3"})


@pytest.mark.parametrize(
    ("query", "body"),
    [
        (b"a=1&b=x%2By&c=a+b", b"a=2&d=%C3%A9&e"),
        (b"&a=1&&b=2&", b""),
        (b"a=1&a=2", b"=1&%73ignature=abc"),
        (b"symbol=BTCUSDT&quantity=0.001&timestamp=1&signature=ff", b""),
        (b"", b"price=%20&x=%zz&y=%E2%82%AC&z=a=b"),
    ],
)
def test_parameters_are_read_as_urllib_reads_them(query: bytes, body: bytes) -> None:
    from urllib.parse import parse_qsl

    from tradeguard.gateway.local_keys import parse_params

    def urllib_reads(raw: bytes) -> dict[str, str]:
        return dict(parse_qsl(raw.decode(), keep_blank_values=True))

    assert parse_params(query, body) == urllib_reads(body) | urllib_reads(query)


def test_parsed_parameters_given_are_the_ones_checked() -> None:
    from tradeguard.gateway.local_keys import parse_params

    query = _signed(f"symbol=BTCUSDT&timestamp={NOW}")
    assert KEYS.authenticate(KEY.api_key, query, b"", NOW, parse_params(query, b"")) is KEY
