"""Ctrl-C (SIGINT) or SIGTERM stops a serving command cleanly, with `run`'s and `gateway`'s
exit codes (130, 143): `tradeguard dashboard` exited 0 on Ctrl-C, as if nothing had stopped it,
and on SIGTERM died by the signal without closing its journal tails."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tradeguard.journal import open_journal


def _serving(tmp_path: Path, command: str, **env_extra: str) -> subprocess.Popen[str]:
    """`tradeguard COMMAND --port 0` started with its folders under `tmp_path` and no profile
    or config of the user's."""
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data"),
           "XDG_STATE_HOME": str(tmp_path / "state"), "XDG_CONFIG_HOME": str(tmp_path / "c"),
           **env_extra}  # fmt: skip
    env.pop("TRADEGUARD_CONFIG", None)
    env.pop("TRADEGUARD_PROFILE", None)
    return subprocess.Popen(
        [sys.executable, "-m", "tradeguard.cli.app", command, "--port", "0"],
        env=env, cwd=tmp_path, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_the_dashboard_stops_on_a_signal_with_its_exit_code(
    tmp_path: Path, sig: signal.Signals, code: int
) -> None:
    journal = tmp_path / "data" / "tradeguard" / "default.db"
    journal.parent.mkdir(parents=True)
    with open_journal(journal, profile="default"):
        pass
    served = _serving(tmp_path, "dashboard")
    try:
        assert served.stdout is not None
        assert served.stdout.readline().startswith("tradeguard dashboard on http://127.0.0.1:")
        served.send_signal(sig)
        out, err = served.communicate(timeout=30)
    finally:
        if served.poll() is None:
            served.kill()
            served.wait()
    assert served.returncode == code, out + err
    assert "Traceback" not in err, err


GATEWAY_KEY, GATEWAY_SECRET = "StopLines1", "stop-lines-secret"


def _signed(base_url: str, method: str, path: str, params: dict[str, str]) -> dict:  # type: ignore[type-arg]
    """A signed request to the gateway, as a bot in any language sends it."""
    import json
    import urllib.request
    from urllib.parse import urlencode

    from tradeguard.venues.binance import signing

    with urllib.request.urlopen(f"{base_url}/api/v3/time", timeout=30) as reply:
        now = json.loads(reply.read())["serverTime"]
    body = urlencode(params | {"timestamp": str(now)})
    body += "&signature=" + signing.hmac_sha256_hex(GATEWAY_SECRET, body)
    request = urllib.request.Request(
        f"{base_url}{path}", data=body.encode(), method=method,
        headers={"X-MBX-APIKEY": GATEWAY_KEY},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=30) as reply:
        return json.loads(reply.read())  # type: ignore[no-any-return]


def test_the_gateway_stopped_by_a_signal_says_what_it_cancelled(tmp_path: Path) -> None:
    """A trader who stops the gateway sees what became of the bot's open orders."""
    import json
    import urllib.request
    from decimal import Decimal

    served = _serving(
        tmp_path, "gateway",
        TRADEGUARD_GATEWAY_API_KEY=GATEWAY_KEY, TRADEGUARD_GATEWAY_SECRET=GATEWAY_SECRET,
    )  # fmt: skip
    try:
        assert served.stdout is not None
        banner = served.stdout.readline()
        base_url = banner.rsplit(" served at ", 1)[1].strip()
        while not served.stdout.readline().startswith("Ctrl-C"):
            pass
        with urllib.request.urlopen(f"{base_url}/api/v3/ticker/price?symbol=BTCUSDT") as r:
            last = Decimal(json.loads(r.read())["price"])
        placed = _signed(base_url, "POST", "/api/v3/order", {
            "symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC",
            "quantity": "0.001", "price": str((last * Decimal("0.98")).quantize(Decimal("0.01"))),
            "newClientOrderId": "restingOne",
        })  # fmt: skip
        assert placed["status"] == "NEW", placed
        served.send_signal(signal.SIGINT)
        out, err = served.communicate(timeout=60)
    finally:
        if served.poll() is None:
            served.kill()
            served.wait()
    assert served.returncode == 130, out + err
    lines = out.splitlines()
    at = lines.index("tradeguard gateway: stopped by SIGINT")
    assert lines[at + 1] == "  cancelled when the bot stopped: 1", lines[at:]
    assert lines[at + 2].startswith("    restingOne  BTCUSDT BUY 0.001 @ "), lines[at:]
