"""`order_transport` in tradeguard.toml: "rest" by default, "ws" for Binance's WebSocket API,
anything else one line naming the valid ones."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tradeguard.errors import ConfigError
from tradeguard.profile import profiles


def load(tmp_path: Path, body: str) -> profiles.Profile:
    path = tmp_path / "tradeguard.toml"
    path.write_text(textwrap.dedent(body))
    return profiles.load("default", config=path, env={}, cwd=tmp_path)


def test_rest_by_default_and_ws_when_asked(tmp_path: Path) -> None:
    assert load(tmp_path, "[profiles.default]\n").order_transport == "rest"
    ws = load(tmp_path, '[profiles.default]\norder_transport = "ws"\n')
    assert ws.order_transport == "ws"


@pytest.mark.parametrize(
    ("line", "needle"),
    [
        ('order_transport = "websocket"', "use one of: rest, ws"),
        ("order_transport = 1", "use one of: rest, ws"),
        (
            'venue = "okx"\norder_transport = "ws"',
            "Binance's WebSocket API",
        ),
    ],
)
def test_a_wrong_value_is_one_line(tmp_path: Path, line: str, needle: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, f"[profiles.default]\n{line}\n")
    message = str(caught.value)
    assert "tradeguard.toml:" in message and "order_transport" in message
    assert needle in message
    assert "\n" not in message
