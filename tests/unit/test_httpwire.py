"""The HTTP/1.1 response parser: every framing a REST server may use, split anywhere."""

from __future__ import annotations

import gzip
import zlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tradeguard.net.httpwire import MalformedResponse, Response, ResponseParser, request_bytes

BODY = b'{"orderId":1,"status":"FILLED"}'
PLAIN = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
    b"X-MBX-USED-WEIGHT-1M: 7\r\nContent-Length: " + str(len(BODY)).encode() + b"\r\n\r\n" + BODY
)
CHUNKED = (
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"5;ext=1\r\n"
    + BODY[:5]
    + b"\r\n"
    + f"{len(BODY) - 5:x}".encode()
    + b"\r\n"
    + BODY[5:]
    + b"\r\n"
    b"0\r\nX-Trailer: yes\r\n\r\n"
)


def parse_all(data: bytes, cuts: list[int]) -> list[Response]:
    parser = ResponseParser()
    out: list[Response] = []
    start = 0
    for cut in [*sorted(cuts), len(data)]:
        got = parser.feed(data[start:cut])
        start = cut
        while got is not None:
            out.append(got)
            got = parser.feed(b"")
    return out


@given(st.lists(st.integers(0, len(PLAIN) * 2 + len(CHUNKED)), max_size=8))
def test_responses_split_at_any_byte_parse_the_same(cuts: list[int]) -> None:
    data = PLAIN + CHUNKED + PLAIN
    responses = parse_all(data, [c for c in cuts if c <= len(data)])
    assert [r.body for r in responses] == [BODY, BODY, BODY]
    assert all(r.status == 200 and r.keep_alive for r in responses)


def test_header_names_are_lower_cased_and_repeats_joined() -> None:
    data = (
        b"HTTP/1.1 429 Too Many\r\nRetry-After: 3\r\nVia: a\r\nVIA: b\r\nContent-Length: 0\r\n\r\n"
    )
    response = ResponseParser().feed(data)
    assert response is not None
    assert response.status == 429
    assert response.headers["retry-after"] == "3"
    assert response.headers["via"] == "a, b"


def test_a_body_until_close_ends_at_eof_and_the_connection_is_not_kept() -> None:
    parser = ResponseParser()
    assert parser.feed(b"HTTP/1.1 502 Bad Gateway\r\n\r\n<html>bad gateway") is None
    assert parser.feed(b"</html>") is None
    response = parser.eof()
    assert response is not None
    assert response.body == b"<html>bad gateway</html>"
    assert not response.keep_alive


def test_connection_close_and_http_1_0_are_not_reused() -> None:
    closing = ResponseParser().feed(
        b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
    )
    old = ResponseParser().feed(b"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n")
    old_kept = ResponseParser().feed(
        b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n"
    )
    assert closing is not None and not closing.keep_alive
    assert old is not None and not old.keep_alive
    assert old_kept is not None and old_kept.keep_alive


def test_interim_100_continue_is_skipped() -> None:
    response = ResponseParser().feed(b"HTTP/1.1 100 Continue\r\n\r\n" + PLAIN)
    assert response is not None and response.status == 200 and response.body == BODY


@pytest.mark.parametrize(
    ("encoding", "packed"),
    [("gzip", gzip.compress(BODY)), ("deflate", zlib.compress(BODY)), ("identity", BODY)],
)
def test_compressed_bodies_are_inflated(encoding: str, packed: bytes) -> None:
    head = f"HTTP/1.1 200 OK\r\nContent-Encoding: {encoding}\r\nContent-Length: {len(packed)}"
    response = ResponseParser().feed(head.encode() + b"\r\n\r\n" + packed)
    assert response is not None and response.body == BODY


@pytest.mark.parametrize(
    "data",
    [
        b"SSH-2.0-OpenSSH\r\n\r\n",
        b"HTTP/1.1 abc OK\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: -4\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabX\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 3\r\n\r\nabc",
        b"HTTP/1.1 200 OK\r\nContent-Encoding: br\r\nContent-Length: 3\r\n\r\nabc",
        b"HTTP/1.1 200 OK\r\n" + b"X-Long: " + b"a" * 70_000,
    ],
)
def test_what_is_not_http_is_refused_not_guessed(data: bytes) -> None:
    with pytest.raises(MalformedResponse):
        ResponseParser().feed(data)


def test_a_connection_closed_mid_response_is_an_error_and_between_responses_is_not() -> None:
    parser = ResponseParser()
    assert parser.feed(PLAIN[:-3]) is None
    with pytest.raises(MalformedResponse, match="middle"):
        parser.eof()
    idle = ResponseParser()
    assert idle.feed(PLAIN) is not None
    assert idle.idle and idle.eof() is None


def test_bytes_beyond_a_response_are_kept_and_seen() -> None:
    parser = ResponseParser()
    assert parser.feed(PLAIN + b"HTTP/1.1") is not None
    assert not parser.idle


def test_request_bytes_carry_the_length_of_a_body() -> None:
    head = "Host: x\r\n"
    assert request_bytes("GET", "/api/v3/time", head, None) == (
        b"GET /api/v3/time HTTP/1.1\r\nHost: x\r\n\r\n"
    )
    assert request_bytes("POST", "/o", head, b"a=1") == (
        b"POST /o HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\na=1"
    )
