"""Binance's FIX wire: the published Logon test vector reproduced byte for byte, and the framer
refusing what Binance answers -1177 GARBLED_MESSAGE."""

from __future__ import annotations

import pytest

from tradeguard.venues.binance import fix_wire, signing

# reference/binance-fix.md §3 (binance-spot-api-docs fix-api.md, "How to sign Logon")
KEY_PEM = (
    "-----BEGIN PRIVATE KEY-----\n"  # tradeguard: allow (Binance's published test key)
    "MC4CAQAwBQYDK2VwBCIEIIJEYWtGBrhACmb9Dvy+qa8WEf0lQOl1s4CLIAB9m89u\n"
    "-----END PRIVATE KEY-----\n"
)
SIGNATURE = "4MHXelVVcpkdwuLbl6n73HQUXUf1dse2PCgT1DYqW9w8AVZ1RACFGM+5UdlGPrQHrgtS3CvsRURC1oj73j8gCA=="  # tradeguard: allow (its published signature)
API_KEY = "sBRXrJx2DsOraMXOaUovEhgVRcjOvCtQwnWj8VxkOh1xqboS02SPGfKi2h8spZJb"  # tradeguard: allow
LOGON = (
    "8=FIX.4.4|9=247|35=A|34=1|49=EXAMPLE|52=20240627-11:17:25.223|56=SPOT|95=88|"
    f"96={SIGNATURE}|98=0|108=30|141=Y|553={API_KEY}|25035=2|10=227|"
)


def sign(payload: bytes) -> str:
    return signing.ed25519_sign_b64(KEY_PEM, payload)


def test_the_logon_signature_is_binances_test_vector() -> None:
    payload = fix_wire.logon_payload("EXAMPLE", "SPOT", 1, "20240627-11:17:25.223")
    assert payload == b"A\x01EXAMPLE\x01SPOT\x011\x0120240627-11:17:25.223"
    assert sign(payload) == SIGNATURE


def test_the_whole_logon_is_binances_sample_byte_for_byte() -> None:
    message = fix_wire.logon("EXAMPLE", 1, "20240627-11:17:25.223", API_KEY, sign)
    assert message == LOGON.replace("|", "\x01").encode()


def test_a_message_round_trips_through_the_framer() -> None:
    buffer = bytearray(LOGON.replace("|", "\x01").encode() * 2)
    buffer += b"8=FIX.4.4\x019=2"  # the start of a third, not whole yet
    messages = list(fix_wire.frames(buffer))
    assert [m.msg_type for m in messages] == ["A", "A"]
    assert messages[0].get(553) == API_KEY and messages[0].seq == 1
    assert buffer == b"8=FIX.4.4\x019=2"


@pytest.mark.parametrize(
    ("garbled", "why"),
    [
        (LOGON.replace("10=227", "10=228"), "CheckSum"),
        (LOGON.replace("9=247", "9=246"), "BodyLength"),
        ("9=5|" + LOGON, "first two"),
        (LOGON.replace("9=247", "9=x47"), "BodyLength"),
    ],
)
def test_a_garbled_message_is_refused(garbled: str, why: str) -> None:
    with pytest.raises(fix_wire.Garbled, match=why):
        list(fix_wire.frames(bytearray(garbled.replace("|", "\x01").encode())))


def test_a_field_without_a_value_or_out_of_place_msgtype_is_garbled() -> None:
    empty = fix_wire.encode("D", "C1", "SPOT", 2, "20240627-11:17:25.223", [(11, "x")])
    with pytest.raises(fix_wire.Garbled, match="without a value"):
        fix_wire.decode(empty.replace(b"11=x", b"11="))
    moved = fix_wire.encode("D", "C1", "SPOT", 2, "t", [(11, "x")]).replace(b"35=D", b"36=D")
    with pytest.raises(fix_wire.Garbled, match="third"):
        fix_wire.decode(moved)


def test_timestamps_both_ways() -> None:
    ms = fix_wire.parse_timestamp("20240627-11:17:25.223")
    assert ms is not None and fix_wire.timestamp(ms) == "20240627-11:17:25.223"
    assert fix_wire.parse_timestamp("20240627-11:17:25") == ms - 223
    assert fix_wire.timestamp_us(ms * 1000 + 5) == "20240627-11:17:25.223005"
    assert fix_wire.parse_timestamp("yesterday") is None


def test_timestamps_agree_with_the_standard_library_across_days_and_years() -> None:
    """The codec reads and writes UTCTIMESTAMP by hand (remembering the day and the second);
    it must say what datetime says, across days, a leap day and year ends."""
    from datetime import UTC, datetime, timedelta

    start = datetime(2023, 12, 31, 23, 59, 58, tzinfo=UTC)
    for step in range(0, 3 * 366 * 86_400, 86_400 * 7 + 3_601_013):
        at = start + timedelta(seconds=step // 1000, milliseconds=step % 1000)
        ms = int(at.timestamp() * 1000)
        text = at.strftime("%Y%m%d-%H:%M:%S.") + f"{ms % 1000:03d}"
        assert fix_wire.timestamp(ms) == text
        assert fix_wire.parse_timestamp(text) == ms
    assert fix_wire.parse_timestamp("20240229-23:59:59.999") == 1709251199999


@pytest.mark.parametrize(
    "text",
    ["20250229-04:00:00", "20251307-04:00:00", "20240229-24:00:00", "20240229-23:60:00",
     "20240229-23:59:60", "2024022x-23:59:59", "20240229 23:59:59", "20240229-23:59:59.12",
     "20240229-23:59:5\uff15", "\uff1220240229-23:59:59"[1:] + "0", ""],
)  # fmt: skip
def test_what_is_no_timestamp_is_none(text: str) -> None:
    assert fix_wire.parse_timestamp(text) is None
