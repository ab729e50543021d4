from __future__ import annotations

import json
import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from tradeguard import events as ev
from tradeguard.cli import main
from tradeguard.journal import open_journal
from tradeguard.journal.export import iso_ms
from tradeguard.model import Balance
from tradeguard.model import OrderStatus as S

from . import pgcluster, workload
from .factories import T0, fill, intent, update

ZERO8 = Decimal("0.00000000")


@pytest.fixture
def journal(tmp_path: Path) -> Path:
    path = tmp_path / "j.db"
    with open_journal(path) as store:
        for event in workload.session(300, seed=1):
            store.append(event)
        store.append(intent("open-1", qty="2", at_ms=T0 + 10**7))
        store.append(update(S.NEW, "open-1", order_id=77, at_ms=T0 + 10**7 + 1))
        store.append(fill(1, "0.5", coid=None, order_id=77, at_ms=T0 + 10**7 + 2))
        store.append(ev.KillSwitchSet(at_ms=T0 + 10**7 + 3, profile="t", reason="loss limit"))
    return path


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["journal", *args])
    assert not isinstance(result.exception, Exception) or isinstance(
        result.exception, SystemExit
    ), result.exception
    return result.exit_code, result.stdout, result.stderr


def test_tail(journal: Path) -> None:
    code, out, _ = run("tail", "-n", "3", "--journal", str(journal))
    lines = out.splitlines()
    assert code == 0 and len(lines) == 3
    assert lines[-1].split()[0] == "304" and "KillSwitchSet" in lines[-1]
    assert "reason=loss limit" in lines[-1]


def test_tail_shows_decimals_as_people_write_them(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    with open_journal(path) as store:
        store.append(intent("a"))
        store.append(update(S.NEW, "a", z="0.00000000"))  # as the exchange sends a zero
        store.append(
            ev.BalanceChanged(
                at_ms=T0 + 2, profile="t", balances=(Balance("BTC", Decimal("0E-8"), ZERO8),)
            )
        )
    code, out, _ = run("tail", "-n", "2", "--journal", str(path))
    assert code == 0 and "E-" not in out
    assert "executed_qty=0.00000000" in out and '"free":"0.00000000"' in out


def test_tail_follow_prints_new_records_until_interrupted(
    journal: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = []

    def fake_sleep(seconds: float) -> None:
        calls.append(seconds)
        if len(calls) == 1:
            with open_journal(journal) as store:
                store.append(ev.KillSwitchReset(at_ms=T0 + 10**8, profile="t"))
            return
        raise KeyboardInterrupt

    monkeypatch.setattr("time.sleep", fake_sleep)
    code, out, _ = run("tail", "-n", "1", "--follow", "--journal", str(journal))
    assert code == 0
    assert [line.split()[2] for line in out.splitlines()] == ["KillSwitchSet", "KillSwitchReset"]


def test_show_an_orders_whole_life_including_fills_found_by_exchange_id(journal: Path) -> None:
    code, out, _ = run("show", "--order", "open-1", "--journal", str(journal))
    assert code == 0
    assert "OrderIntended" in out and "OrderUpdated" in out and "OrderFilled" in out
    assert "PARTIALLY_FILLED" in out and "0.5" in out


def test_at_a_moment_shows_open_orders_positions_and_the_kill_switch(journal: Path) -> None:
    code, out, _ = run("at", iso_ms(T0 + 10**7 + 5), "--journal", str(journal))
    assert code == 0
    assert "record 304 of 304" in out
    assert "open-1" in out and "LATCHED" in out and "loss limit" in out
    assert "BTCUSDT" in out and "USDT" in out
    code, out, _ = run("at", str(T0 + 10**7 + 2), "--journal", str(journal))
    assert code == 0 and "record 303 of 304" in out and "LATCHED" not in out


@pytest.mark.parametrize("moment", ["yesterday", "2026-13-45T00:00:00Z", ""])
def test_at_a_bad_time_is_one_line_and_exit_2(journal: Path, moment: str) -> None:
    code, out, err = run("at", moment, "--journal", str(journal))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "cannot read the time" in err and "Traceback" not in err


def test_a_missing_journal_is_one_line_and_exit_2_and_is_not_created(tmp_path: Path) -> None:
    for args in (
        ["tail"],
        ["verify"],
        ["at", "2026-11-20T10:00:00Z"],
        ["show", "--order", "x"],
        ["export"],
    ):
        code, _, err = run(*args, "--journal", str(tmp_path / "missing.db"))
        assert code == 2 and err.count("\n") == 1 and "no journal at" in err
    assert not (tmp_path / "missing.db").exists()


def test_default_journal_path_follows_the_profile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    with open_journal(None, profile="bot") as store:
        store.append(intent())
    code, out, _ = run("tail", "--profile", "bot")
    assert code == 0 and "OrderIntended" in out
    code, _, err = run("tail", "--profile", "other")
    assert code == 2 and str(tmp_path / "tradeguard" / "other.db") in err


def test_show_an_unknown_order(journal: Path) -> None:
    code, _, err = run("show", "--order", "nope", "--journal", str(journal))
    assert code == 2 and "no order 'nope'" in err


def test_verify_ok_then_tampered(journal: Path) -> None:
    code, out, _ = run("verify", "--journal", str(journal))
    assert code == 0 and "304 records, chain intact" in out
    head = out.split("head ")[1].split()[0]
    with sqlite3.connect(journal) as conn:
        (original,) = conn.execute("SELECT body FROM journal WHERE seq = 120").fetchone()
        conn.execute("UPDATE journal SET body = body || x'00' WHERE seq = 120")  # now TEXT
    code, out, err = run("verify", "--journal", str(journal))
    assert code == 1
    assert "record 120: its hash does not match" in err
    assert "fails verification at record 120" in err and "backup" in err
    with sqlite3.connect(journal) as conn:
        conn.execute("UPDATE journal SET body = ? WHERE seq = 120", (original,))
        conn.execute("DELETE FROM journal WHERE seq = 304")
    code, _, _ = run("verify", "--journal", str(journal))
    assert code == 0
    code, _, err = run("verify", "--head", head, "--journal", str(journal))
    assert code == 1 and "record 304: missing" in err
    code, _, err = run("verify", "--head", "nonsense:zz", "--journal", str(journal))
    assert code == 2 and "SEQ:HASH" in err


def test_a_corrupt_file_is_one_line_and_exit_1(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    path.write_bytes(b"garbage" * 1000)
    code, _, err = run("at", "2026-11-20T10:00:00Z", "--journal", str(path))
    assert code == 1 and err.count("\n") == 1 and "journal corrupt at record 0" in err


def test_export_jsonl_and_csv(journal: Path, tmp_path: Path) -> None:
    code, out, _ = run("export", "--journal", str(journal))
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and len(rows) == 304
    assert rows[0]["seq"] == 1 and rows[0]["event"]["event"] == "ProfileLoaded"
    filled = [r for r in rows if r["kind"] == "OrderFilled"]
    assert isinstance(filled[0]["event"]["price"], str)
    target = tmp_path / "out.csv"
    code, _, _ = run("export", "--format", "csv", "-o", str(target), "--journal", str(journal))
    lines = target.read_text().splitlines()
    assert code == 0 and lines[0].startswith("seq,at,at_ms,kind") and len(lines) == 305


def test_the_cli_reads_a_postgresql_journal(pg: pgcluster.Cluster | None) -> None:
    if pg is None:
        pytest.skip(pgcluster.HOW_TO_ENABLE)
    with open_journal(pg.dsn, profile="cli") as store:
        for event in workload.session(50, seed=8):
            store.append(event)
    code, out, _ = run("verify", "--journal", pg.dsn, "--profile", "cli")
    assert code == 0 and "50 records" in out and "profile cli" in out
