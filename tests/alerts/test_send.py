"""The I/O edge: POSTs to a local receiver on 127.0.0.1, and a command hook. No sleeps."""

from __future__ import annotations

import json
import socket
import sys
from pathlib import Path

import aiohttp
import pytest

from tradeguard.alerts.policy import Alert, AlertGate, AlertKind, Severity
from tradeguard.alerts.send import AlertSender, SendResult
from tradeguard.events import ErrorRaised

from .conftest import Receiver

T0 = 1_767_225_600_000
TOKEN = "AAHsecretTOKENvalue_xyz"
SLACK_TOKEN = "sEcReTtOkEnXyZ123"  # tradeguard: allow


def alert(key: str = "", message: str = "banned until 00:02Z") -> Alert:
    return Alert(AlertKind.BAN, Severity.CRITICAL, message, "default", T0, key=key)


def sender(
    url: str | None, session: aiohttp.ClientSession | None = None, **kw: object
) -> AlertSender:
    return AlertSender(url, session=session, timeout_s=2, retry_delay_s=0, **kw)  # type: ignore[arg-type]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_slack_discord_body(receiver: Receiver) -> None:
    url = f"{receiver.base}/services/T0AAAAAAA/B0BBBBBBB/{SLACK_TOKEN}"
    async with sender(url) as s:
        result = await s.send(alert())
    assert result == SendResult(ok=True, webhook_status=200, webhook_attempts=1)
    (req,) = receiver.requests
    text = "tradeguard [critical] default: banned until 00:02Z"
    assert req.body == {"text": text, "content": text, "username": "tradeguard"}
    assert req.path.endswith(SLACK_TOKEN)


async def test_telegram_body_chat_id_from_the_query(receiver: Receiver) -> None:
    url = f"{receiver.base}/bot123456:{TOKEN}/sendMessage?chat_id=-10042"
    async with sender(url) as s:
        assert (await s.send(alert())).ok
    (req,) = receiver.requests
    assert req.path == f"/bot123456:{TOKEN}/sendMessage" and req.query == {}
    assert req.body == {
        "chat_id": "-10042",
        "text": "tradeguard [critical] default: banned until 00:02Z",
        "disable_web_page_preview": True,
    }


async def test_telegram_chat_id_from_the_profile_setting(receiver: Receiver) -> None:
    url = f"{receiver.base}/bot123456:{TOKEN}/sendMessage"
    async with sender(url, telegram_chat_id="@desk") as s:
        assert (await s.send(alert())).ok
    assert receiver.requests[0].body["chat_id"] == "@desk"


async def test_telegram_without_chat_id_is_reported_not_sent(receiver: Receiver) -> None:
    url = f"{receiver.base}/bot123456:{TOKEN}/sendMessage"
    async with sender(url) as s:
        result = await s.send(alert())
    assert not result.ok and receiver.requests == []
    assert "chat id" in result.errors[0] and TOKEN not in result.errors[0]


async def test_a_500_is_retried_once_then_reported(receiver: Receiver) -> None:
    receiver.statuses = [500, 502]
    url = f"{receiver.base}/hook/{SLACK_TOKEN}"
    async with sender(url) as s:
        result = await s.send(alert())
    assert len(receiver.requests) == 2
    assert (result.ok, result.webhook_status, result.webhook_attempts) == (False, 502, 2)
    event = result.to_event(alert(), T0 + 5)
    assert isinstance(event, ErrorRaised)
    assert event.error == "AlertDeliveryFailed" and event.http_status == 502
    assert "HTTP 502" in event.message and "127.0.0.1" in event.message
    assert SLACK_TOKEN not in event.message and SLACK_TOKEN not in repr(result)


async def test_a_500_then_200_is_delivered(receiver: Receiver) -> None:
    receiver.statuses = [503]
    async with sender(f"{receiver.base}/hook/{SLACK_TOKEN}") as s:
        result = await s.send(alert())
    assert (result.ok, result.webhook_attempts, len(receiver.requests)) == (True, 2, 2)
    assert result.to_event(alert(), T0) is None


async def test_a_4xx_is_not_retried(receiver: Receiver) -> None:
    receiver.statuses = [400]
    async with sender(f"{receiver.base}/hook/{SLACK_TOKEN}") as s:
        result = await s.send(alert())
    assert (result.ok, result.webhook_attempts, len(receiver.requests)) == (False, 1, 1)
    assert "HTTP 400" in result.errors[0] and "no such hook" in result.errors[0]
    assert SLACK_TOKEN not in result.errors[0]  # the receiver echoed the path; scrubbed


async def test_connection_refused_retried_once_never_raises_never_leaks() -> None:
    url = f"http://127.0.0.1:{free_port()}/bot123456:{TOKEN}/sendMessage?chat_id=1"
    async with sender(url) as s:
        result = await s.send(alert())
        assert TOKEN not in repr(s) and "127.0.0.1" in repr(s)
    assert (result.ok, result.webhook_attempts, result.webhook_status) == (False, 2, None)
    assert "cannot connect" in result.errors[0]
    event = result.to_event(alert(), T0)
    assert event is not None
    for text in (*result.errors, repr(result), event.message, repr(event)):
        assert TOKEN not in text and "123456" not in text


async def test_a_bad_url_is_reported_without_its_token() -> None:
    url = f"https://[bad/bot123456:{TOKEN}/sendMessage"
    async with sender(url) as s:
        assert TOKEN not in repr(s)
        result = await s.send(alert())
    assert not result.ok
    assert all(TOKEN not in e for e in result.errors)


async def test_shared_session_is_left_open(receiver: Receiver) -> None:
    async with aiohttp.ClientSession() as session:
        s = sender(f"{receiver.base}/x/{SLACK_TOKEN}", session=session)
        assert (await s.send(alert())).ok
        await s.aclose()
        assert not session.closed


async def test_nothing_configured_is_ok() -> None:
    async with sender(None) as s:
        assert (await s.send(alert())) == SendResult(ok=True)


# ── command hook ─────────────────────────────────────────────────────────────────────────────

WRITE_STDIN = (
    "import json, os, sys; "
    "data = json.loads(sys.stdin.read()); "
    "data['env'] = {k: v for k, v in os.environ.items() if k.startswith('TRADEGUARD_') "
    "or k == 'BINANCE_API_SECRET'}; "
    "open(sys.argv[1], 'w').write(json.dumps(data))"
)


async def test_command_gets_the_json_and_env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BINANCE_API_SECRET", "must-not-reach-the-hook")
    out = tmp_path / "alert.json"
    hook = AlertSender(None, [sys.executable, "-c", WRITE_STDIN, str(out)], timeout_s=20)
    a = Alert(
        AlertKind.STREAM_LOST, Severity.WARNING, "stream user lost", "default", T0,
        key="stream_lost:user", suppressed=3, suppressed_kinds=(("stream_lost", 3),),
    )  # fmt: skip
    result = await hook.send(a)
    assert result == SendResult(ok=True, command_rc=0)
    got = json.loads(out.read_text())
    assert got["kind"] == "stream_lost" and got["severity"] == "warning"
    assert got["message"] == "stream user lost" and got["suppressed"] == 3
    assert got["text"] == a.text() and got["at"] == "2026-01-01T00:00:00Z"
    assert got["env"]["TRADEGUARD_ALERT_KIND"] == "stream_lost"
    assert got["env"]["TRADEGUARD_ALERT_SEVERITY"] == "warning"
    assert got["env"]["TRADEGUARD_ALERT_KEY"] == "stream_lost:user"
    assert got["env"]["TRADEGUARD_ALERT_SUPPRESSED"] == "3"
    assert "BINANCE_API_SECRET" not in got["env"]


async def test_command_failure_and_timeout_are_reported(tmp_path: Path) -> None:
    failing = AlertSender(None, [sys.executable, "-c", "import sys; sys.exit('no route')"])
    result = await failing.send(alert())
    assert (result.ok, result.command_rc) == (False, 1)
    assert "exit code 1: no route" in result.errors[0]

    hanging = AlertSender(
        None, [sys.executable, "-c", "import time; time.sleep(60)"], timeout_s=0.3
    )
    result = await hanging.send(alert())
    assert not result.ok and "killed after 0.3 s" in result.errors[0]

    missing = AlertSender(None, [str(tmp_path / "no-such-hook")])
    result = await missing.send(alert())
    assert not result.ok and "cannot start" in result.errors[0]


async def test_webhook_and_command_together(receiver: Receiver, tmp_path: Path) -> None:
    out = tmp_path / "a.json"
    both = AlertSender(f"{receiver.base}/h/{SLACK_TOKEN}", [sys.executable, "-c", WRITE_STDIN,
                       str(out)], timeout_s=20, retry_delay_s=0)  # fmt: skip
    async with both:
        result = await both.send(alert())
    assert (result.ok, result.webhook_status, result.command_rc) == (True, 200, 0)
    assert out.exists() and len(receiver.requests) == 1


# ── end to end: gate + sender ────────────────────────────────────────────────────────────────


async def test_a_flood_reaches_the_receiver_once_then_with_the_count(receiver: Receiver) -> None:
    gate = AlertGate()
    async with sender(f"{receiver.base}/h/{SLACK_TOKEN}") as s:
        for i in range(100):
            admitted = gate.admit(alert(), T0 + i * 1000)
            if admitted is not None:
                assert (await s.send(admitted)).ok
        later = gate.admit(alert(), T0 + 400_000)
        assert later is not None
        assert (await s.send(later)).ok
    assert len(receiver.requests) == 2
    assert "… and 99 more suppressed (ban 99)" in receiver.requests[1].body["text"]
