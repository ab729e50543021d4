"""docs/gateway.md's endpoint table names exactly the endpoints the gateway serves."""

from __future__ import annotations

import re
from pathlib import Path

from tradeguard.gateway.public import WEIGHTS
from tradeguard.gateway.routes import SIGNED, USER_DATA_STREAM

PAGE = Path(__file__).resolve().parents[2] / "docs" / "gateway.md"


def _rows() -> list[str]:
    text = PAGE.read_text(encoding="utf-8")
    table = text[text.index("## Endpoints") : text.index("## Errors")]
    return [row.split("|")[1] for row in table.splitlines() if row.startswith("| `")]


def test_the_signed_endpoints_in_the_table_are_the_handlers() -> None:
    said = set()
    for cell in _rows():
        for method, path in re.findall(
            r"`(GET|POST|DELETE) (/(?:api/v3|sapi/v1)/[A-Za-z0-9/]+)`", cell
        ):
            said.add((method, path))
    assert said - {("GET", "/api/v3/ping")} == set(SIGNED)


def test_the_listen_key_row_names_the_methods_served() -> None:
    [cell] = [c for c in _rows() if USER_DATA_STREAM in c]
    assert re.findall(r"`(GET|POST|PUT|DELETE)`", cell) == ["POST", "PUT", "DELETE"]


def test_the_public_endpoints_in_the_table_are_the_forwarded_ones() -> None:
    [cell] = [c for c in _rows() if "ping" in c]
    names = {"/api/v3/ping"} | {
        f"/api/v3/{n}" for n in re.findall(r"`([A-Za-z0-9/]+)`", cell) if not n.startswith("GET")
    }
    assert names == set(WEIGHTS)
