"""`tradeguard promote`: the table, the StageSet it appends, exit codes, and the live sentence."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.console import Console

from tradeguard import events as ev
from tradeguard import stages
from tradeguard.cli.app import main
from tradeguard.cli.promote import run_promote
from tradeguard.journal import open_journal
from tradeguard.net.clock import SYSTEM
from tradeguard.profile import profiles

from .test_stages import clean_orders, loaded, stage

DAY = stages.DAY_MS


def setup(tmp_path: Path, env: str, events: list[ev.EventBase] | None) -> Path:
    journal = tmp_path / "journal.db"
    config = tmp_path / "tradeguard.toml"
    config.write_text(
        f'[profiles.p]\nenv = "{env}"\njournal = "sqlite://{journal}"\n'
        '[profiles.p.credentials]\napi_key = "K"\nsecret = "S"\n'
    )
    if events is not None:
        with open_journal(journal, profile="p") as store:
            store.append_many(events)
    return config


def history(now: int, rung: str = "testnet", n: int = 50) -> list[ev.EventBase]:
    start = now - 4 * DAY
    return [loaded(rung, start - 10), stage(rung, start - 5), *clean_orders(n, 3, start=start)]


def stage_sets(tmp_path: Path) -> list[ev.StageSet]:
    with open_journal(tmp_path / "journal.db", profile="p", create=False) as store:
        return [e for e in store.events() if isinstance(e, ev.StageSet)]


def invoke(config: Path, *args: str) -> tuple[int, str, str]:
    runner = CliRunner()
    argv = ["promote", "--profile", "p", "--config", str(config), *args]
    result = runner.invoke(main, argv, env={"COLUMNS": "200"})
    return result.exit_code, result.stdout, result.stderr


def test_promotion_allowed_prints_the_rules_and_appends_the_grant(tmp_path: Path) -> None:
    config = setup(tmp_path, "testnet", history(SYSTEM.wall_ms()))
    code, out, err = invoke(config)
    assert code == 0, err
    assert "clean fills on testnet" in out and "pass" in out and "fail" not in out
    assert 'Set env = "live-small"' in out and str(config) in out
    granted = stage_sets(tmp_path)[-1]
    assert granted.rung == "live-small" and granted.profile == "p"
    assert granted.max_order_notional == stages.LIVE_SMALL_CAPS.max_order_notional
    assert granted.max_daily_notional == stages.LIVE_SMALL_CAPS.daily_notional


def test_promotion_refused_exits_1_and_appends_nothing(tmp_path: Path) -> None:
    config = setup(tmp_path, "testnet", history(SYSTEM.wall_ms(), n=12))
    before = stage_sets(tmp_path)
    code, out, err = invoke(config)
    assert code == 1 and "fail" in out
    assert "p stays on testnet: clean fills on testnet: 12 (needs >= 50)" in err
    assert stage_sets(tmp_path) == before


def test_no_journal_is_no_record(tmp_path: Path) -> None:
    code, _, err = invoke(setup(tmp_path, "testnet", None))
    assert code == 1 and "no journal for profile p" in err and "run the bot on testnet" in err


def test_sim_to_testnet_creates_the_journal_if_needed(tmp_path: Path) -> None:
    code, out, _ = invoke(setup(tmp_path, "sim", None))
    assert code == 0 and 'Set env = "testnet"' in out
    assert [s.rung for s in stage_sets(tmp_path)] == ["testnet"]


def test_short_profile_option(tmp_path: Path) -> None:
    config = setup(tmp_path, "sim", None)
    result = CliRunner().invoke(main, ["promote", "-p", "p", "--config", str(config)])
    assert result.exit_code == 0 and 'Set env = "testnet"' in result.stdout, result.stderr


def test_a_bad_profile_exits_2_with_one_line(tmp_path: Path) -> None:
    config = tmp_path / "tradeguard.toml"
    config.write_text('[profiles.p]\nenv = "prod"\n')
    code, _, err = invoke(config)
    assert code == 2 and "tradeguard.toml:2:" in err and err.count("\n") == 1
    code, _, err = invoke(tmp_path / "missing.toml")
    assert code == 2


def test_entering_live_from_a_pipe_is_refused(tmp_path: Path) -> None:
    now = SYSTEM.wall_ms()
    events = [
        *history(now - 5 * DAY),
        stage("live-small", now - 5 * DAY),
        *history(now, "live-small"),
    ]
    config = setup(tmp_path, "live-small", events)
    runner = CliRunner()
    sentence = stages.acknowledgement_sentence("p")
    result = runner.invoke(
        main, ["promote", "--profile", "p", "--config", str(config)], input=sentence + "\n"
    )
    assert result.exit_code == 2
    assert "interactive terminal" in result.stderr
    assert [s.rung for s in stage_sets(tmp_path)][-1] == "live-small"


def _live_ready(tmp_path: Path, now: int) -> profiles.Profile:
    events = [
        *history(now - 5 * DAY),
        stage("live-small", now - 5 * DAY),
        *history(now, "live-small"),
    ]
    config = setup(tmp_path, "live-small", events)
    return profiles.load("p", config=config, env={})


def test_entering_live_with_the_sentence_typed(tmp_path: Path) -> None:
    now = 1_767_225_600_000
    chosen = _live_ready(tmp_path, now)
    prompts: list[str] = []

    def person(prompt: str) -> str:
        prompts.append(prompt)
        return stages.acknowledgement_sentence("p")

    out = io.StringIO()
    assert run_promote(chosen, now, Console(file=out, width=200), person) == 0
    assert prompts and "I accept the risk of live trading with p" in out.getvalue()
    assert stage_sets(tmp_path)[-1].rung == "live"


def test_entering_live_with_the_wrong_sentence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    now = 1_767_225_600_000
    chosen = _live_ready(tmp_path, now)
    code = run_promote(chosen, now, Console(file=io.StringIO()), lambda _: "yes")
    assert code == 2 and "does not match" in capsys.readouterr().err
    assert stage_sets(tmp_path)[-1].rung == "live-small"
