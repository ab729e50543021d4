"""README's "The journal: what survives what", through the CLI with wrong input: a journal that
cannot be reached or found is one line that says what to do, never psycopg's several (what the
journal keeps and survives is tested in tests/journal and tests/session)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from click.testing import CliRunner

from tradeguard.cli.app import main


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name in ("TRADEGUARD_CONFIG", "TRADEGUARD_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    for name in ("CONFIG", "DATA", "STATE"):
        monkeypatch.setenv(f"XDG_{name}_HOME", str(tmp_path / name.lower()))
    return tmp_path


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _said(*args: str) -> str:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code != 0 and isinstance(result.exception, SystemExit), result.output
    return str(result.output.strip())


@pytest.mark.parametrize("command", [["journal", "verify"], ["journal", "at", "now"]])
def test_an_unreachable_postgresql_journal_is_one_line(home: Path, command: list[str]) -> None:
    pytest.importorskip("psycopg")
    url = f"postgresql://nobody@127.0.0.1:{_closed_port()}/journal"
    text = _said(*command, "--journal", url)
    assert len(text.splitlines()) == 1, text
    assert "cannot reach the journal" in text and "check the server and the URL" in text


def test_a_missing_journal_file_is_one_line(home: Path) -> None:
    text = _said("journal", "verify", "--journal", str(home / "none.db"))
    assert len(text.splitlines()) == 1 and "no journal at" in text


def test_a_bot_on_an_unreachable_postgresql_journal_is_refused_in_one_line(home: Path) -> None:
    pytest.importorskip("psycopg")
    url = f"postgresql://nobody@127.0.0.1:{_closed_port()}/journal"
    (home / "tradeguard.toml").write_text(
        f'[profiles.default]\nenv = "sim"\njournal = "{url}"\n', encoding="utf-8"
    )
    (home / "bot.py").write_text("async def main(tg):\n    pass\n", encoding="utf-8")
    lines = _said("run", "bot.py").splitlines()
    assert "cannot reach the journal" in lines[-1] and "check the server" in lines[-1]
    assert not [ln for ln in lines if ln.startswith(("\t", " ")) or "Traceback" in ln]


async def test_each_simulator_run_starts_flat_while_the_kill_switch_stays(home: Path) -> None:
    """ "The embedded simulator is a new, empty exchange every run; the journal marks that, so
    positions and orders start fresh while the kill switch and the rung stay." """
    import tradeguard
    from tradeguard.session import kill_switch

    async with tradeguard.connect(None) as tg:
        bought = await tg.market_buy("BTC/USDT", qty="0.001")
        await tg.wait_for(bought.client_order_id, timeout_s=20)
        assert tg.position("BTC/USDT").qty > 0  # (less the fee in BTC)
        rung = tg.guard.caps
    kill_switch.main(None, None, reset=False, reason="by hand")
    async with tradeguard.connect(None) as tg:
        assert tg.halted.is_set() and tg.ledger.kill_switch.latched  # the latch stayed
        assert tg.position("BTC/USDT").qty == 0 and tg.open_orders() == []  # a new exchange
        assert tg.guard.caps == rung


def test_other_events_are_group_committed_at_2048_or_within_0_2_s(tmp_path: Path) -> None:
    """ "other events are group-committed within 0.2 s (or 2048 events)", on the defaults."""
    from tests.journal.factories import clock_event
    from tradeguard.journal import open_journal
    from tradeguard.net.clock import FakeClock

    clock = FakeClock()
    store = open_journal(tmp_path / "j.db", profile="t", clock=clock)
    try:
        for k in range(2047):
            store.append(clock_event(k))
        assert store.waiting == 2047 and store.committed_seq == 0
        store.append(clock_event(2047))  # the 2048th: handed over to be committed
        assert store.wait_committed() == 2048
        store.append(clock_event(2048))
        clock.advance(0.19)
        assert not store.flush_due() and store.waiting == 1
        clock.advance(0.02)  # now over 0.2 s old: the owner's timer commits it
        store.flush_due()
        assert store.wait_committed() == 2049
    finally:
        store.close()


def test_the_dashboard_on_an_unreachable_postgresql_journal_is_one_line(home: Path) -> None:
    pytest.importorskip("psycopg")
    url = f"postgresql://nobody@127.0.0.1:{_closed_port()}/journal"
    (home / "tradeguard.toml").write_text(
        f'[profiles.default]\nenv = "sim"\njournal = "{url}"\n', encoding="utf-8"
    )
    text = _said("dashboard", "--port", "0")
    assert len(text.splitlines()) == 1, text
    assert "cannot reach the journal" in text and "check the server and the URL" in text
