from __future__ import annotations

import csv
import io
import json
import sqlite3
from decimal import Decimal
from pathlib import Path

import msgspec
import pytest
from click.testing import CliRunner

from tradeguard import events as ev
from tradeguard.cli.app import main
from tradeguard.cli.journal import parse_time
from tradeguard.errors import ConfigError
from tradeguard.journal import codec, open_journal
from tradeguard.journal.export import CSV_COLUMNS, iso_ms
from tradeguard.model import Balance
from tradeguard.model import OrderStatus as S

from . import pgcluster, workload
from .factories import T0, fill, intent, update

ZERO8 = Decimal("0.00000000")


pytestmark = pytest.mark.usefixtures("isolated_home")


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


def _written_while_following(
    monkeypatch: pytest.MonkeyPatch, journal: Path, *events: ev.EventBase
) -> None:
    """`tail -f`'s first poll interval sees `events` written by another process; its second
    is a Ctrl-C."""
    polls = 0

    def fake_sleep(seconds: float) -> None:
        nonlocal polls
        polls += 1
        if polls > 1:
            raise KeyboardInterrupt
        with open_journal(journal) as store:
            for event in events:
                store.append(event)

    monkeypatch.setattr("time.sleep", fake_sleep)


def test_tail_follow_prints_new_records_until_interrupted(
    journal: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _written_while_following(
        monkeypatch, journal, ev.KillSwitchReset(at_ms=T0 + 10**8, profile="t")
    )
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


def test_at_on_an_altered_journal_warns_and_names_the_record(journal: Path) -> None:
    with sqlite3.connect(journal) as db:
        (body,) = db.execute("SELECT body FROM journal WHERE seq = 120").fetchone()
        event = codec.decode(bytes(body), 120)  # a hand edit that still decodes and folds
        edited = codec.encode(msgspec.structs.replace(event, profile="edited"))
        db.execute("UPDATE journal SET body = ? WHERE seq = 120", (edited,))
    code, out, err = run("at", "now", "--journal", str(journal))
    assert code == 0 and "record 304 of 304" in out  # the state, as the journal stands
    assert "warning" in err and "altered at record 120" in err
    assert "tradeguard journal verify" in err


def test_at_on_an_intact_journal_says_nothing_on_stderr(journal: Path) -> None:
    code, _, err = run("at", "now", "--journal", str(journal))
    assert code == 0 and err == ""


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


def test_default_journal_path_follows_the_profile(tmp_path: Path) -> None:
    (tmp_path / "tradeguard.toml").write_text("[profiles.bot]\n[profiles.other]\n")
    with open_journal(None, profile="bot") as store:
        store.append(intent())
    code, out, _ = run("tail", "--profile", "bot")
    assert code == 0 and "OrderIntended" in out
    code, _, err = run("tail", "--profile", "other")
    assert code == 2 and str(tmp_path / "data" / "tradeguard" / "other.db") in err
    code, _, err = run("tail", "-p", "nope")
    assert code == 2 and err.count("\n") == 1 and "no profile 'nope' (it has: bot, other)" in err


def profile_elsewhere(tmp_path: Path, journal: Path) -> Path:
    """A tradeguard.toml in its own folder whose profile keeps its journal away from the
    default path: what `tradeguard run -p bot --config ...` would write to."""
    elsewhere = tmp_path / "elsewhere" / "bot-journal.db"
    elsewhere.parent.mkdir()
    journal.rename(elsewhere)
    config = tmp_path / "conf" / "tradeguard.toml"
    config.parent.mkdir()
    config.write_text(f'[profiles.bot]\nenv = "sim"\njournal = "sqlite://{elsewhere}"\n')
    return config


@pytest.mark.parametrize("profile_flag", ["-p", "--profile"])
def test_every_subcommand_reads_the_journal_the_profile_names(
    journal: Path, tmp_path: Path, profile_flag: str
) -> None:
    config = profile_elsewhere(tmp_path, journal)
    where = [profile_flag, "bot", "--config", str(config)]
    code, out, err = run("verify", *where)
    assert code == 0 and "bot-journal.db: 304 records, chain intact" in out, err
    code, out, _ = run("tail", "-n", "1", *where)
    assert code == 0 and "KillSwitchSet" in out
    code, out, _ = run("show", "--order", "open-1", *where)
    assert code == 0 and "OrderFilled" in out
    code, out, _ = run("at", "now", *where)
    assert code == 0 and "record 304 of 304" in out and "LATCHED" in out
    code, out, _ = run("export", *where)
    assert code == 0 and len(out.splitlines()) == 304
    assert not (tmp_path / "data" / "tradeguard" / "bot.db").exists()


def test_the_profile_comes_from_the_environment_and_the_config_from_the_folder(
    journal: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = profile_elsewhere(tmp_path, journal)
    monkeypatch.chdir(config.parent)  # ./tradeguard.toml
    monkeypatch.setenv("TRADEGUARD_PROFILE", "bot")
    code, out, err = run("verify")
    assert code == 0 and "304 records" in out, err


def test_an_explicit_journal_wins_over_the_profiles(journal: Path, tmp_path: Path) -> None:
    config = profile_elsewhere(tmp_path, journal)
    other = tmp_path / "other.db"
    with open_journal(other) as store:
        store.append(intent())
    code, out, err = run("verify", "-p", "bot", "--config", str(config), "--journal", str(other))
    assert code == 0 and "other.db: 1 records" in out, err


def test_at_now_and_other_times(journal: Path) -> None:
    for moment in ("now", "now-1h", "2026-12-01", "2026-12-01T10:00", "1795000000000"):
        code, out, err = run("at", moment, "--journal", str(journal))
        assert code == 0 and "record" in out, (moment, err)
    code, out, _ = run("at", iso_ms(T0 - 1), "--journal", str(journal))
    assert code == 0 and "no record yet" in out


def test_parse_time_forms() -> None:
    now = 1_795_000_000_000
    assert parse_time("now", now) == now
    assert parse_time(" NOW ", now) == now
    assert parse_time("now-90s", now) == now - 90_000
    assert parse_time("now-15m", now) == now - 15 * 60_000
    assert parse_time("-2h", now) == now - 2 * 3_600_000
    assert parse_time("now-1d", now) == now - 86_400_000
    assert parse_time("2026-11-20", now) == parse_time("2026-11-20T00:00:00Z", now)
    assert parse_time("2026-11-20T10:00:00+01:00", now) == parse_time("2026-11-20T09:00Z", now)
    assert parse_time("1795000000123", now) == 1795000000123
    for bad in ("now-", "now-5y", "now+1h", "yesterday", "-h", "²", "9" * 20, "now-9999999d"):
        with pytest.raises(ConfigError) as refused:
            parse_time(bad, now)
        assert "now-1h" in (refused.value.hint or "") and "2026-11-20" in (refused.value.hint or "")


def test_a_time_in_seconds_is_refused_not_read_as_1970() -> None:
    # 1796679666 is a time in seconds (2026-12-07); read as milliseconds it is 1970-01-21,
    # where every journal is empty: a state "as of then" would be silently wrong
    now = 1_795_000_000_000
    with pytest.raises(ConfigError) as refused:
        parse_time("1796679666", now)
    assert "1970-01-21" in str(refused.value) and "seconds" in str(refused.value)
    assert "1796679666000" in (refused.value.hint or "")
    assert parse_time("0", now) == 0  # the epoch itself: "from the start"
    assert parse_time("100000000000", now) == 100_000_000_000  # 1973 in milliseconds


def test_journal_at_given_seconds_is_one_line(journal: Path) -> None:
    code, out, err = run("at", "1796679666", "--journal", str(journal))
    assert code == 2 and "seconds" in err and "Traceback" not in err + out


def test_tail_since_and_kind(journal: Path) -> None:
    since = iso_ms(T0 + 10**7)
    code, out, _ = run("tail", "--since", since, "--journal", str(journal))
    kinds = [line.split()[2] for line in out.splitlines()]
    assert code == 0 and kinds == ["OrderIntended", "OrderUpdated", "OrderFilled", "KillSwitchSet"]
    code, out, _ = run(
        "tail", "-n", "3", "--kind", "OrderFilled", "--kind", "killswitchset",
        "--journal", str(journal),
    )  # fmt: skip
    lines = out.splitlines()
    assert code == 0 and [line.split()[2] for line in lines] == [
        "OrderFilled", "OrderFilled", "KillSwitchSet"
    ]  # fmt: skip
    assert lines[-1].split()[0] == "304"
    code, out, _ = run("tail", "--kind", "OrderFilled", "--since", since, "--journal", str(journal))
    assert code == 0 and len(out.splitlines()) == 1 and "order_id=77" in out


def test_tail_follow_keeps_its_filters(journal: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _written_while_following(
        monkeypatch,
        journal,
        ev.KillSwitchReset(at_ms=T0 + 10**8, profile="t"),
        ev.KillSwitchSet(at_ms=T0 + 10**8 + 1, profile="t", reason="again"),
    )
    code, out, _ = run("tail", "-f", "--kind", "KillSwitchSet", "--journal", str(journal))
    assert code == 0
    assert [line.split()[0] for line in out.splitlines()] == ["304", "306"]


def test_an_unknown_kind_lists_the_kinds(journal: Path) -> None:
    for command in ("tail", "export"):
        code, out, err = run(command, "--kind", "Fill", "--journal", str(journal))
        assert code == 2 and out == "" and err.count("\n") == 1
        assert "unknown kind 'Fill'" in err and "OrderFilled" in err and "KillSwitchSet" in err


def test_a_bad_since_is_one_line(journal: Path) -> None:
    for command in ("tail", "export"):
        code, out, err = run(command, "--since", "last week", "--journal", str(journal))
        assert code == 2 and out == "" and err.count("\n") == 1 and "cannot read the time" in err


def test_export_filters(journal: Path) -> None:
    since = iso_ms(T0 + 10**7)
    code, out, _ = run(
        "export", "--since", since, "--kind", "OrderFilled", "--journal", str(journal)
    )
    (row,) = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and row["seq"] == 303 and row["event"]["order_id"] == 77
    code, out, _ = run("export", "--format", "csv", "--since", since, "--journal", str(journal))
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and [r["seq"] for r in rows] == ["301", "302", "303", "304"]


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
    assert code == 1 and err.count("\n") == 1 and f"{path} is not a tradeguard journal" in err


def test_a_file_that_is_not_a_journal_says_so_and_to_check_the_path(tmp_path: Path) -> None:
    # the usual cause is a wrong path (a bot file, a config): "restore from a backup" alone
    # would send that user astray
    path = tmp_path / "bot.py"
    path.write_text("async def main(tg):\n    pass\n" * 10)
    code, _, err = run("verify", "--journal", str(path))
    assert code == 1 and err.count("\n") == 1
    assert f"{path} is not a tradeguard journal" in err and "check the path" in err
    assert "corrupt at record" not in err and "run `tradeguard journal verify`" not in err


def test_export_jsonl_and_csv(journal: Path, tmp_path: Path) -> None:
    code, out, _ = run("export", "--journal", str(journal))
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and len(rows) == 304
    assert rows[0]["seq"] == 1 and rows[0]["event"]["event"] == "ProfileLoaded"
    filled = [r for r in rows if r["kind"] == "OrderFilled"]
    assert isinstance(filled[0]["event"]["price"], str)
    target = tmp_path / "out.csv"
    code, _, _ = run("export", "--format", "csv", "-o", str(target), "--journal", str(journal))
    rows = list(csv.DictReader(target.open(newline="")))
    assert code == 0 and len(rows) == 304
    assert list(rows[0]) == list(CSV_COLUMNS)
    assert rows[0]["time"] == iso_ms(T0) and rows[0]["kind"] == "ProfileLoaded"


def test_export_writes_decimals_in_plain_notation(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    with open_journal(path) as store:
        store.append(intent("a"))
        store.append(update(S.NEW, "a", z="0E-8"))  # a zero as the exchange may send it
    code, out, _ = run("export", "--journal", str(path))
    updated = json.loads(out.splitlines()[-1])["event"]
    assert code == 0 and updated["executed_qty"] == "0.00000000"
    code, out, _ = run("export", "--format", "csv", "--journal", str(path))
    assert code == 0 and "E-" not in out and ",0.00000000," in out


def test_the_cli_reads_a_postgresql_journal(pg: pgcluster.Cluster | None) -> None:
    if pg is None:
        pytest.skip(pgcluster.HOW_TO_ENABLE)
    with open_journal(pg.dsn, profile="cli") as store:
        for event in workload.session(50, seed=8):
            store.append(event)
    code, out, _ = run("verify", "--journal", pg.dsn, "--profile", "cli")
    assert code == 0 and "50 records" in out and "profile cli" in out


def test_at_shows_a_kill_reason_with_brackets_whole(tmp_path: Path) -> None:
    path = tmp_path / "k.db"
    with open_journal(path) as store:
        store.append(ev.KillSwitchSet(at_ms=T0, profile="t", reason="[ops] stop for the night"))
    code, out, _ = run("at", "now", "--journal", str(path))
    assert code == 0 and "[ops] stop for the night" in out
