"""The SNTP check against a fake NTP server on loopback (there is no internet here)."""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Iterator

import pytest

from tradeguard.doctor.checks import DoctorOptions, ntp_check
from tradeguard.keys.audit import Level
from tradeguard.net.clock import FakeClock

NTP_EPOCH_S = 2_208_988_800


def ntp_time(ms: int) -> tuple[int, int]:
    seconds, rest = divmod(ms, 1000)
    return seconds + NTP_EPOCH_S, rest * 2**32 // 1000


@pytest.fixture
def fake_ntp() -> Iterator[tuple[str, list[int]]]:
    """Answers each query with its own time: the host's fake clock plus `offset[0]` ms."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    offset = [0]
    clock_ms = 1_767_225_600_000

    def serve() -> None:
        while True:
            try:
                _, peer = sock.recvfrom(512)
            except OSError:
                return
            s, f = ntp_time(clock_ms + offset[0])
            reply = bytes([0x24]) + 31 * b"\0" + struct.pack("!4I", s, f, s, f)
            sock.sendto(reply, peer)

    threading.Thread(target=serve, daemon=True).start()
    yield f"127.0.0.1:{sock.getsockname()[1]}", offset
    sock.close()


async def test_ntp_in_step(fake_ntp: tuple[str, list[int]]) -> None:
    server, _ = fake_ntp
    check = await ntp_check(DoctorOptions(clock=FakeClock(), ntp_server=server))
    assert check.level is Level.PASS
    assert check.detail.startswith("host clock 0 ms ")


async def test_ntp_far_off_fails(fake_ntp: tuple[str, list[int]]) -> None:
    server, offset = fake_ntp
    offset[0] = 9_000
    check = await ntp_check(DoctorOptions(clock=FakeClock(), ntp_server=server))
    assert (check.level, check.detail) == (Level.FAIL, "host clock 9000 ms behind NTP")
    offset[0] = -2_000
    check = await ntp_check(DoctorOptions(clock=FakeClock(), ntp_server=server))
    assert (check.level, check.detail) == (Level.WARN, "host clock 2000 ms ahead of NTP")


async def test_ntp_silent_is_unverified() -> None:
    quiet = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    quiet.bind(("127.0.0.1", 0))
    try:
        server = f"127.0.0.1:{quiet.getsockname()[1]}"
        check = await ntp_check(DoctorOptions(ntp_server=server, ntp_timeout_s=0.2))
    finally:
        quiet.close()
    assert check.level is Level.UNVERIFIED
    assert check.detail.startswith(f"NTP server {server} did not answer")
