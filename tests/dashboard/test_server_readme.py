"""README's "Dashboard" section, sentence by sentence, and where each promise is tested:

- 127.0.0.1:8470 by default: below; read from the journal, `run --web` beside the bot:
  test_server_cli.py::test_run_web_serves_the_bots_page_while_it_runs; `./scripts/demo --web`
  passes --web to `tradeguard run`: below; the page up after the bot until Ctrl-C:
  test_server_cli.py::test_run_web_at_a_terminal_keeps_the_page_up_after_the_bot_until_ctrl_c.
- the panels: below (the page has each), and with the real view
  test_browser_real_view.py (positions and their basis, fills, orders, limits).
- SSE keyed by seq, resumed exactly once: test_server.py::test_events_are_keyed_by_seq_and_
  resume_after_last_event_id_exactly_once, test_browser.py::test_a_cut_stream_resumes_from_the_
  last_event_exactly_once.
- nothing from the internet: test_browser.py (the page fixture fails on any other request),
  test_server.py::test_vendored_uplot_is_the_recorded_release.
- the kill button, a confirmation, no reset: test_browser.py::test_fills_from_a_running_bot_
  appear_and_the_kill_button_stops_it, test_server.py::test_the_kill_button_latches_through_
  tradeguard_kill, ::test_no_reset_route.
- several profiles, PostgreSQL: test_server.py::test_several_profiles_one_page_each,
  ::test_two_bots_on_one_postgresql_journal_one_page_each.
- /metrics: test_server.py::test_metrics_use_prometheus_content_type.
- --host and --token: test_server_cli.py::test_another_address_without_a_token_is_refused_in_
  one_line, test_server.py::test_with_a_token_every_request_needs_it.
"""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from tradeguard.cli.app import main
from tradeguard.dashboard.serve import DEFAULT_PORT, WebOptions

ROOT = Path(__file__).resolve().parents[2]


def _section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## Dashboard") :]
    return section[: section.index("\n## ", 4)]


def test_the_default_address_is_the_one_the_readme_gives() -> None:
    options = WebOptions()
    assert f"{options.host}:{options.port}" in _section()
    help_text = CliRunner().invoke(main, ["dashboard", "--help"]).output
    assert "127.0.0.1" in help_text and str(DEFAULT_PORT) in help_text
    assert "--web" in CliRunner().invoke(main, ["run", "--help"]).output


def test_the_demo_passes_web_to_tradeguard_run() -> None:
    demo = (ROOT / "scripts" / "demo").read_text()
    assert 'tradeguard run examples/grid_bot.py "$@"' in demo and "--web" in demo


def test_every_panel_the_readme_names_is_on_the_page() -> None:
    import tradeguard.dashboard

    page = (Path(tradeguard.dashboard.__file__).parent / "static" / "index.html").read_text()
    for panel in ("positions", "balances", "open_orders", "fills", "pnl", "limits", "held",
                  "alerts", "ladder", "chain", "kill"):  # fmt: skip
        assert f'id="{panel}"' in page, panel
    section = _section()
    for said in ("realized and unrealized PnL", "fees included", "balances against the limits",
                 "open orders", "recent fills", "PnL\\ncurve", "bans and pauses", "ladder rung",
                 "journal's chain"):  # fmt: skip
        assert said.replace("\\n", "\n") in section, said
