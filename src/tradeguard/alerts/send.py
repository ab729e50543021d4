"""Sending alerts: a webhook POST and/or a command to run. The I/O edge of `alerts.policy`.

`AlertSender.send(alert)` never raises (except cancellation): an alert that cannot be delivered
must not stop trading. It returns a `SendResult`; when `ok` is False the caller journals
`result.to_event(...)` (an `ErrorRaised`).

- Webhook: one JSON POST with a short timeout, one retry on a 5xx or a connection error, no
  redirects followed (a redirect could carry the body to another host). A Telegram Bot API
  sendMessage URL gets Telegram's body, with the chat id from the URL's `chat_id` query parameter
  or `telegram_chat_id`; any other URL gets the body Slack and Discord both accept.
- Command: run without a shell, the alert's JSON on stdin, `TRADEGUARD_ALERT_*` variables in its
  environment, killed after the timeout. Its environment is a short allow-list, not this
  process's: the API secret may live in an environment variable and the hook has no need of it.

The webhook URL carries a token: errors and reprs show its scheme and host only (`redact_url`;
`scrub` takes every piece of it out of any text), and the command's arguments are never printed
(they may carry a token too). The body and URL helpers at the bottom are pure.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
from collections.abc import Coroutine, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import aiohttp

from tradeguard.alerts.policy import Alert
from tradeguard.events import ErrorRaised

ENV_PASSTHROUGH = ("PATH", "HOME", "LANG", "LC_ALL", "TZ", "USER", "SYSTEMROOT", "TMPDIR")
ERROR_NAME = "AlertDeliveryFailed"
_TELEGRAM_PATH = re.compile(r"/bot[0-9]+:[A-Za-z0-9_-]+/sendMessage/?")


@dataclass(frozen=True, slots=True)
class SendResult:
    ok: bool  # every configured hook delivered (True, too, when none is configured)
    webhook_status: int | None = None  # the last HTTP status, None if no answer or no webhook
    webhook_attempts: int = 0
    command_rc: int | None = None  # the command's exit code, None if not run or killed
    errors: tuple[str, ...] = field(default=())  # redacted, one per failed hook

    def to_event(self, alert: Alert, at_ms: int) -> ErrorRaised | None:
        """The journal record of a failed delivery, or None if it was delivered."""
        if self.ok:
            return None
        return ErrorRaised(
            at_ms=at_ms,
            profile=alert.profile,
            error=ERROR_NAME,
            message=f"alert {alert.kind.value} not delivered: " + "; ".join(self.errors),
            http_status=self.webhook_status,
        )


@dataclass(frozen=True, slots=True)
class _HookResult:
    ok: bool
    error: str | None = None
    status: int | None = None
    attempts: int = 0
    rc: int | None = None


class AlertSender:
    """Delivers alerts to the profile's hooks. Close it (`aclose` or `async with`) if it made
    its own aiohttp session."""

    def __init__(
        self,
        webhook_url: str | None,
        command: Sequence[str] | None = None,
        session: aiohttp.ClientSession | None = None,
        timeout_s: float = 5.0,
        *,
        telegram_chat_id: str | None = None,
        retry_delay_s: float = 1.0,
        env_passthrough: Sequence[str] = ENV_PASSTHROUGH,
    ) -> None:
        self._url = webhook_url or None
        self._secrets = url_secrets(webhook_url) if webhook_url else []
        self._command = tuple(command) if command else ()
        self._session = session
        self._own_session = session is None
        self._timeout_s = timeout_s
        self._retry_delay_s = retry_delay_s
        self._env_passthrough = tuple(env_passthrough)
        self._chat_id: str | None = None
        self._post_url = self._url
        self._telegram = bool(self._url and is_telegram(self._url))
        if self._url and self._telegram:
            self._post_url, self._chat_id = telegram_target(self._url, telegram_chat_id)

    def __repr__(self) -> str:
        webhook = redact_url(self._url) if self._url else None
        command = os.path.basename(self._command[0]) if self._command else None
        return f"AlertSender(webhook={webhook!r}, command={command!r}, timeout_s={self._timeout_s})"

    async def __aenter__(self) -> AlertSender:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._own_session and self._session is not None:
            await self._session.close()
            self._session = None

    async def send(self, alert: Alert) -> SendResult:
        """Deliver `alert` to every configured hook, concurrently. Never raises."""
        jobs = []
        if self._url:
            jobs.append(self._guarded(self._post(alert), "webhook"))
        if self._command:
            jobs.append(self._guarded(self._run(alert), "command"))
        results = await asyncio.gather(*jobs)
        webhook = results[0] if self._url else None
        command = results[-1] if self._command else None
        return SendResult(
            ok=all(r.ok for r in results),
            webhook_status=webhook.status if webhook else None,
            webhook_attempts=webhook.attempts if webhook else 0,
            command_rc=command.rc if command else None,
            errors=tuple(r.error for r in results if r.error),
        )

    async def _guarded(self, job: Coroutine[Any, Any, _HookResult], what: str) -> _HookResult:
        try:
            return await job
        except Exception as exc:  # a bug here must not reach the trading path either
            return _HookResult(False, f"{what}: {self._scrub(f'{type(exc).__name__}: {exc}')}")

    # ── webhook ──────────────────────────────────────────────────────────────────────────────

    async def _post(self, alert: Alert) -> _HookResult:
        url, post_url = self._url or "", self._post_url or ""
        where = redact_url(url)
        if where == "<invalid url>" or not url.lower().startswith(("http://", "https://")):
            return _HookResult(False, f"webhook {where}: not an http(s) URL")
        if self._telegram and self._chat_id is None:
            return _HookResult(
                False,
                f"webhook {where}: a Telegram sendMessage URL needs a chat id "
                "(add ?chat_id=... to the URL or set telegram_chat_id in the profile)",
            )
        body = webhook_body(alert, telegram_chat_id=self._chat_id if self._telegram else None)
        session = self._client()
        timeout = aiohttp.ClientTimeout(total=self._timeout_s)
        status: int | None = None
        problem = ""
        for attempt in (1, 2):
            if attempt == 2 and self._retry_delay_s > 0:
                await asyncio.sleep(self._retry_delay_s)
            try:
                async with session.post(
                    post_url, json=body, timeout=timeout, allow_redirects=False
                ) as response:
                    status = response.status
                    detail = (await response.text(errors="replace"))[:200]
            except (aiohttp.ClientConnectionError, TimeoutError) as exc:
                status, problem = None, _describe(exc)
                continue  # no trustworthy answer: retry once
            except (aiohttp.ClientError, ValueError) as exc:
                status, problem = None, _describe(exc)
                break  # a bad URL or request: the same again fails the same way
            if 200 <= status < 300:
                return _HookResult(True, status=status, attempts=attempt)
            problem = f"HTTP {status}" + (f" {detail.strip()!r}" if detail.strip() else "")
            if status < 500:
                break  # the receiver refused this body; sending it again changes nothing
        return _HookResult(
            False, f"webhook {where}: {self._scrub(problem)}", status=status, attempts=attempt
        )

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        return self._session

    def _scrub(self, text: str) -> str:
        return scrub(text, self._secrets)

    # ── command ──────────────────────────────────────────────────────────────────────────────

    async def _run(self, alert: Alert) -> _HookResult:
        name = os.path.basename(self._command[0])
        env = {k: v for k in self._env_passthrough if (v := os.environ.get(k)) is not None}
        env.update(
            TRADEGUARD_ALERT_KIND=alert.kind.value,
            TRADEGUARD_ALERT_SEVERITY=alert.severity.value,
            TRADEGUARD_ALERT_PROFILE=alert.profile,
            TRADEGUARD_ALERT_KEY=alert.dedup_key,
            TRADEGUARD_ALERT_AT_MS=str(alert.at_ms),
            TRADEGUARD_ALERT_SUPPRESSED=str(alert.suppressed),
            TRADEGUARD_ALERT_TEXT=alert.text(),
        )
        try:
            proc = await asyncio.create_subprocess_exec(
                *self._command,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE,
                env=env,
            )
        except OSError as exc:
            return _HookResult(False, f"command {name}: cannot start ({exc.strerror or exc})")
        try:
            async with asyncio.timeout(self._timeout_s):  # not wait_for: it can swallow a cancel
                _, stderr = await proc.communicate(alert.to_json())
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()
            return _HookResult(False, f"command {name}: killed after {self._timeout_s:g} s")
        if proc.returncode != 0:
            tail = stderr.decode(errors="replace").strip()[-200:]
            return _HookResult(
                False,
                f"command {name}: exit code {proc.returncode}" + (f": {tail}" if tail else ""),
                rc=proc.returncode,
            )
        return _HookResult(True, rc=0)


def _describe(exc: BaseException) -> str:
    """A connection failure in words, without the URL that some aiohttp errors carry."""
    if isinstance(exc, TimeoutError):
        return "timed out"
    if isinstance(exc, aiohttp.ClientConnectorError):
        return f"cannot connect ({exc.os_error.strerror or type(exc.os_error).__name__})"
    if isinstance(exc, aiohttp.InvalidURL):
        return "invalid URL"
    return type(exc).__name__


# ── webhook bodies and URLs (pure) ────────────────────────────────────────────────────────────────


def redact_url(url: str) -> str:
    """Scheme and host only: a webhook URL's path or query carries its token."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:
        return "<invalid url>"
    if not parts.scheme or not host:
        return "<invalid url>"
    return f"{parts.scheme}://{host}/…"


def url_secrets(url: str) -> list[str]:
    """The pieces of `url` that must never be printed (longest first), for scrubbing text."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return [url] if url else []
    whole = {url, parts.path, parts.query, parts.netloc.rpartition("@")[0]}
    segments = [seg for seg in parts.path.split("/") if seg]
    segments += [p for seg in segments for p in seg.removeprefix("bot").split(":")]  # Telegram
    pieces = {seg for seg in segments if len(seg) >= 8}  # ids and tokens are long
    pieces.update(v for _, v in parse_qsl(parts.query) if len(v) >= 8)
    pieces -= {"services", "webhooks", "sendMessage"}
    pieces.update(p for p in whole if len(p) >= 2)
    return sorted(pieces, key=len, reverse=True)


def scrub(text: str, secrets: Iterable[str]) -> str:
    for piece in secrets:
        text = text.replace(piece, "…")
    return text


def is_telegram(url: str) -> bool:
    """A Telegram Bot API sendMessage URL, told by its path: https://api.telegram.org/bot<token>/
    sendMessage, or the same path on a self-hosted Bot API server."""
    try:
        path = urlsplit(url).path
    except ValueError:
        return False
    return _TELEGRAM_PATH.fullmatch(path) is not None


def telegram_target(url: str, chat_id: str | None) -> tuple[str, str | None]:
    """The URL to POST to (the chat_id query parameter taken out) and the chat id: the query's,
    else the profile's."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    from_query = next((v for k, v in query if k == "chat_id"), None)
    rest = urlencode([(k, v) for k, v in query if k != "chat_id"])
    clean = parts._replace(query=rest).geturl()
    return clean, from_query or chat_id


def webhook_body(alert: Alert, *, telegram_chat_id: str | None = None) -> dict[str, Any]:
    """The JSON body to POST. With a chat id: Telegram's sendMessage. Otherwise one body that
    Slack incoming webhooks (`text`) and Discord webhooks (`content`, `username`) both take;
    each ignores the other's key."""
    text = alert.text()
    if telegram_chat_id is not None:
        return {"chat_id": telegram_chat_id, "text": text, "disable_web_page_preview": True}
    return {"text": text, "content": text, "username": "tradeguard"}
