"""README's "Other exchanges" section: its table says what each ccxt venue's adapter declares
(testnet, features), and a Kraken profile on testnet is refused before anything is sent. The
rest of its sentences are tested where the code is: the ccxt install line
(tests/audit/test_ccxt_audit.py::test_doctor_without_ccxt_says_how_to_install_it), `env = "sim"`
on each dialect (tests/venues/ccxt/test_session.py), doctor and account per venue
(tests/audit/test_doctor_venues.py, tests/audit/test_account_cli.py), OKX's passphrase
(tests/profile/test_profile.py::test_alert_command_and_okx_passphrase), OKX's demo header
(tests/audit/test_ccxt_audit.py::test_okx_demo_sends_the_simulated_trading_header), refusal
before journaling (tests/venues/ccxt/test_session.py), the grid bot on each venue
(tests/docs/test_demo.py), market, limit, post-only and IOC on each venue
(tests/venues/ccxt/test_session.py, tests/venues/ccxt/test_order_options.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tradeguard.errors import ConfigError
from tradeguard.session.connect import connect
from tradeguard.venues.ccxt.adapters import adapter_for

README = Path(__file__).resolve().parents[2] / "README.md"


def _table() -> dict[str, list[str]]:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Other exchanges: Bybit, OKX, Kraken") :]
    section = section[: section.index("\n## ", 4)]
    rows = [ln for ln in section.splitlines() if ln.startswith("| ") and "---" not in ln]
    return {cells[0]: cells[1:] for cells in ([c.strip() for c in r.strip("|").split("|")]
                                             for r in rows[1:])}  # fmt: skip


@pytest.mark.parametrize("venue", ["bybit", "okx", "kraken"])
def test_the_table_says_what_each_adapter_declares(venue: str) -> None:
    testnet, features = _table()[venue]
    adapter = adapter_for(venue)
    assert testnet.startswith("none") is (not adapter.sandbox)
    said = set() if features == "none yet" else {f.strip(' `"') for f in features.split(",")}
    assert said == set(adapter.features)


async def test_a_kraken_profile_on_testnet_is_refused_before_anything_is_sent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("ccxt")
    for name in ("STATE", "DATA", "CONFIG"):
        monkeypatch.setenv(f"XDG_{name}_HOME", str(tmp_path / name.lower()))
    monkeypatch.setenv("KRAKEN_API_KEY", "k")
    monkeypatch.setenv("KRAKEN_API_SECRET", "c2VjcmV0")
    config = tmp_path / "tradeguard.toml"
    config.write_text(
        '[profiles.default]\nvenue = "kraken"\nenv = "testnet"\n\n'
        '[profiles.default.credentials]\nsource = "env"\n'
        'api_key = "KRAKEN_API_KEY"\nsecret = "KRAKEN_API_SECRET"\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="kraken has no testnet"):
        await connect("default", config=config)
