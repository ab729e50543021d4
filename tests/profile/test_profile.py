"""tradeguard.toml: where it is found, what it holds, and every mistake named with its line."""

from __future__ import annotations

import base64
import secrets
import textwrap
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from tradeguard.errors import ConfigError, CredentialsError
from tradeguard.model import Symbol
from tradeguard.profile import profiles
from tradeguard.profile.locate import LineIndex

DESIGN_SAMPLE = """\
[profiles.default]
venue = "binance"
env = "sim"                      # sim | testnet | live-small | live
mode = "trade"                   # trade | read-only
symbols = ["BTC/USDT"]
journal = "sqlite:///~/.local/share/tradeguard/default.db"   # or postgresql://...

[profiles.default.credentials]   # not needed for env = "sim"
source = "env"                   # env | keyring | file
api_key = "BINANCE_API_KEY"
secret = "BINANCE_API_SECRET"

[profiles.default.limits]
max_order_notional = "100"
max_position = { "BTC/USDT" = "0.05" }
max_open_orders = 10
max_orders_per_minute = 30
price_band_pct = "2"
daily_loss = "50"
drawdown_from_peak = "100"

[profiles.default.alerts]
webhook = "https://hooks.example.invalid/T000/B000"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "tradeguard.toml"
    path.write_text(textwrap.dedent(text))
    return path


def load(tmp_path: Path, text: str, name: str = "default") -> profiles.Profile:
    return profiles.load(name, config=write(tmp_path, text), env={}, cwd=tmp_path)


def error(tmp_path: Path, text: str, kind: type[Exception] = ConfigError) -> str:
    with pytest.raises(kind) as caught:
        load(tmp_path, text)
    return str(caught.value)


# ── finding the file ─────────────────────────────────────────────────────────────────────────


def test_no_file_at_all_is_the_builtin_default_on_the_simulator(tmp_path: Path) -> None:
    env = {"XDG_CONFIG_HOME": str(tmp_path / "xdg")}
    chosen = profiles.load(env=env, cwd=tmp_path)
    assert chosen.name == "default" and chosen.env == "sim" and chosen.venue == "binance"
    assert chosen.mode == "trade" and chosen.credentials is None and chosen.source is None
    assert chosen.journal.startswith("sqlite:///") and chosen.journal.endswith("default.db")
    assert chosen.caps == chosen.stage_caps["sim"]
    assert chosen.ip_whitelist_required_for_live is True


def test_no_file_and_another_profile_name_says_how_to_create_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"no profile 'paper'.*\[profiles.paper\]"):
        profiles.load("paper", env={"XDG_CONFIG_HOME": str(tmp_path)}, cwd=tmp_path)


def test_the_file_is_found_in_order_config_env_cwd_xdg(tmp_path: Path) -> None:
    def make(where: Path, env: str) -> Path:
        where.mkdir(parents=True, exist_ok=True)
        path = where / "tradeguard.toml"
        path.write_text(f'[profiles.default]\nenv = "{env}"\n')
        return path

    xdg = tmp_path / "xdg"
    make(xdg / "tradeguard", "testnet")
    env = {"XDG_CONFIG_HOME": str(xdg)}
    cwd = tmp_path / "work"
    cwd.mkdir()
    assert profiles.load(env=env, cwd=cwd).env == "testnet"
    make(cwd, "sim")
    assert profiles.load(env=env, cwd=cwd).source == cwd / "tradeguard.toml"
    named = make(tmp_path / "named", "testnet")
    assert profiles.load(env={**env, "TRADEGUARD_CONFIG": str(named)}, cwd=cwd).source == named
    given_path = make(tmp_path / "given", "sim")
    chosen = profiles.load(config=given_path, env={"TRADEGUARD_CONFIG": str(named)}, cwd=cwd)
    assert chosen.source == given_path


@pytest.mark.parametrize("how", ["config", "env"])
def test_a_named_file_that_is_missing_is_an_error(tmp_path: Path, how: str) -> None:
    missing = tmp_path / "nope.toml"
    kwargs: dict[str, object] = (
        {"config": missing} if how == "config" else {"env": {"TRADEGUARD_CONFIG": str(missing)}}
    )
    with pytest.raises(ConfigError, match="no such file"):
        profiles.load(cwd=tmp_path, **kwargs)  # type: ignore[arg-type]


def test_profile_name_from_the_environment(tmp_path: Path) -> None:
    path = write(tmp_path, '[profiles.a]\nenv = "sim"\n[profiles.b]\nenv = "testnet"\n')
    assert profiles.load(config=path, env={"TRADEGUARD_PROFILE": "b"}).name == "b"
    with pytest.raises(ConfigError, match=r"no profile 'c' \(it has: a, b\)"):
        profiles.load("c", config=path, env={})


# ── what a profile holds ─────────────────────────────────────────────────────────────────────


def test_the_design_sample_loads(tmp_path: Path) -> None:
    chosen = load(tmp_path, DESIGN_SAMPLE)
    assert chosen.symbols == (Symbol("BTC", "USDT"),)
    assert chosen.limits.max_order_notional == Decimal("100")
    assert chosen.limits.position_cap(Symbol("BTC", "USDT")) == Decimal("0.05")
    assert chosen.limits.position_cap(Symbol("ETH", "USDT")) is None
    assert chosen.limits.max_open_orders == 10 and chosen.limits.price_band_pct == Decimal(2)
    assert chosen.alerts.webhook == "https://hooks.example.invalid/T000/B000"
    assert chosen.credentials is not None
    assert (
        chosen.credentials.secret == "BINANCE_API_SECRET"
        and chosen.credentials.profile == "default"
    )
    assert chosen.journal == "sqlite://" + str(Path.home() / ".local/share/tradeguard/default.db")
    assert chosen.cancel_on_exit and chosen.key_age_warn_days == 180
    assert chosen.reconcile_every_s == 300.0
    assert chosen.market_stale_after_s == 30.0
    assert chosen.key_age_refuse_days == 365


def test_every_setting_has_a_safe_default(tmp_path: Path) -> None:
    chosen = load(tmp_path, "[profiles.default]\n")
    assert chosen == profiles.Profile(name="default", source=chosen.source)
    limits = chosen.limits
    assert all(
        isinstance(v, Decimal) and v > 0
        for v in (limits.max_order_notional, limits.max_position_notional, limits.daily_loss,
                  limits.drawdown_from_peak, limits.price_band_pct)
    )  # fmt: skip
    assert chosen.stage_caps["live-small"].max_order_notional == Decimal(20)
    assert chosen.stage_caps["live-small"].daily_notional == Decimal(200)
    assert chosen.stage_caps["live"].max_order_notional == limits.max_order_notional


def test_relative_sqlite_journal_is_next_to_the_file_and_postgres_is_kept(tmp_path: Path) -> None:
    chosen = load(tmp_path, '[profiles.default]\njournal = "sqlite://data/j.db"\n')
    assert chosen.journal == f"sqlite://{tmp_path}/data/j.db"
    url = "postgresql://tg@db.example.invalid/tradeguard"
    assert load(tmp_path, f'[profiles.default]\njournal = "{url}"\n').journal == url


def test_stage_caps_may_tighten_live_small(tmp_path: Path) -> None:
    chosen = load(
        tmp_path,
        """
        [profiles.default.stages.live-small]
        max_order_notional = "5"
        daily_notional = 50
        """,
    )
    assert chosen.stage_caps["live-small"].max_order_notional == Decimal(5)
    assert chosen.stage_caps["live-small"].daily_notional == Decimal(50)


def test_alert_command_and_okx_passphrase(tmp_path: Path) -> None:
    chosen = load(
        tmp_path,
        """
        [profiles.default]
        venue = "okx"
        env = "testnet"
        [profiles.default.credentials]
        api_key = "OKX_API_KEY"
        secret = "OKX_API_SECRET"
        passphrase = "OKX_PASSPHRASE"
        [profiles.default.alerts]
        command = "notify-send 'trade guard'"
        min_interval_s = 5
        """,
    )
    assert chosen.alerts.command == ("notify-send", "trade guard")
    assert chosen.credentials is not None and chosen.credentials.passphrase == "OKX_PASSPHRASE"


def test_require_credentials_says_how_to_add_them(tmp_path: Path) -> None:
    chosen = load(tmp_path, '[profiles.default]\nenv = "testnet"\n')
    with pytest.raises(CredentialsError, match=r"no credentials.*\[profiles.default.credentials\]"):
        chosen.require_credentials()


# ── mistakes: file, line and fix ─────────────────────────────────────────────────────────────


def test_an_unknown_key_names_its_line_and_the_likely_fix(tmp_path: Path) -> None:
    message = error(
        tmp_path,
        """\
        [profiles.default]
        env = "sim"

        [profiles.default.limits]
        max_order_notional = "100"
        max_oder_per_minute = 30
        """,
    )
    assert f"{tmp_path / 'tradeguard.toml'}:6:" in message
    assert "max_oder_per_minute: unknown setting" in message
    assert "did you mean 'max_orders_per_minute'" in message


@pytest.mark.parametrize(
    ("body", "line", "needle"),
    [
        ('env = "production"', 2, "use one of: sim, testnet, live-small, live"),
        ('mode = "readonly"', 2, "read-only"),
        ("cancel_on_exit = 1", 2, "true or false"),
        ('reconcile_every_s = "5m"', 2, "number of seconds"),
        ("reconcile_every_s = 2", 2, "under 10 s"),
        ('market_stale_after_s = "30s"', 2, "number of seconds"),
        ("market_stale_after_s = 0.2", 2, "write market_stale_after_s = 30"),
        ("market_stale_after_s = 7200", 2, "over an hour"),
        ('symbols = ["BTCUSDT"]', 2, 'like "BTC/USDT"'),
        ('symbols = ["BTC/USDT", "btc/usdt"]', 2, "listed twice"),
        ("ip_whitelist_required_for_live = false", 2, "cannot be turned off"),
        ("key_age_warn_days = 400", 2, "smaller than key_age_refuse_days"),
        ('journal = "/var/tg.db"', 2, "sqlite:///"),
        ('journal_durability = "fsync"', 2, "use one of: crash, power-loss"),
        ('env = "live"\nbase_url = "http://api.example.invalid"', 3, "live needs https"),
        (
            "[profiles.default.limits]\nmax_order_notional = 100.5",
            3,
            'quote it: max_order_notional = "100.5"',
        ),
        ('[profiles.default.limits]\nmax_order_notional = "lots"', 3, "not a number"),
        ('[profiles.default.limits]\ndaily_loss = "-5"', 3, "above 0"),
        ("[profiles.default.limits]\nmax_open_orders = 0", 3, "1 or more"),
        ('[profiles.default.limits]\nmax_position = { "ETH/USDT" = "1" }', 3, "not in symbols"),
        ('[profiles.default.limits]\nmax_position = { "BTC/USDT" = 0.5 }', 3, "float"),
        ('[profiles.default.stages.live-small]\nmax_order_notional = "500"', 3, "capped at 100"),
        ('[profiles.default.stages.testnet]\ndaily_notional = "1"', 3, "below max_order_notional"),
        ('[profiles.default.stages.paper]\nmax_order_notional = "1"', 2, "unknown setting"),
        ('[profiles.default.alerts]\nwebhook = "http://hooks.example.invalid/x"', 3, "https"),
        ("[profiles.default.alerts]\ncommand = []", 3, "is empty"),
    ],
)
def test_each_mistake_is_one_line_with_the_line_number(
    tmp_path: Path, body: str, line: int, needle: str
) -> None:
    message = error(tmp_path, "[profiles.default]\n" + body + "\n")
    assert f"tradeguard.toml:{line}:" in message
    assert needle in message
    assert "\n" not in message


def test_invalid_toml_names_the_line(tmp_path: Path) -> None:
    assert "line 2" in error(tmp_path, '[profiles.default]\nenv = "sim\n')


def test_credentials_for_other_venues(tmp_path: Path) -> None:
    head = '[profiles.default]\nvenue = "okx"\nenv = "testnet"\n[profiles.default.credentials]\n'
    keys = 'api_key = "OKX_KEY"\nsecret = "OKX_SECRET"\n'
    assert "okx needs a passphrase" in error(tmp_path, head + keys)
    bybit = head.replace("okx", "bybit")
    message = error(tmp_path, bybit + keys + 'passphrase = "P"\n')
    assert "tradeguard.toml:7:" in message and "bybit has no passphrase" in message
    message = error(tmp_path, bybit + 'api_key = "K"\nprivate_key = "PK"\n')
    assert "signs with a secret" in message
    assert "exactly one of secret" in error(tmp_path, bybit + 'api_key = "K"\n')


# ── secrets in the file ──────────────────────────────────────────────────────────────────────

PLANTED = [
    secrets.token_hex(32),
    secrets.token_hex(16).upper(),
    base64.b64encode(secrets.token_bytes(64)).decode(),
    "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A",  # tradeguard: allow
    "6f1b2c3d-4e5f-6789-abcd-ef0123456789",
]


@pytest.mark.parametrize("value", PLANTED)
@pytest.mark.parametrize("key", ["secret", "api_key", "passphrase"])
def test_a_secret_under_credentials_is_refused_naming_the_line(
    tmp_path: Path, key: str, value: str
) -> None:
    names = {"api_key": "BINANCE_API_KEY", "secret": "BINANCE_API_SECRET"}
    names[key] = value
    body = "\n".join(f'{k} = "{v}"' for k, v in names.items())
    message = error(
        tmp_path,
        f'[profiles.default]\nenv = "testnet"\n\n[profiles.default.credentials]\n{body}\n',
        CredentialsError,
    )
    line = 5 + list(names).index(key)
    assert f"tradeguard.toml:{line}:" in message and "looks like a secret" in message
    assert "rotate" in message
    assert value not in message and value[:8] not in message


def test_a_pem_block_anywhere_is_refused_at_its_first_line(tmp_path: Path) -> None:
    body = '[profiles.default]\nnote = """\n-----BEGIN PRIVATE KEY-----\nMC4CAQAw\n-----END'
    message = error(tmp_path, body + ' PRIVATE KEY-----\n"""\n', CredentialsError)
    assert "tradeguard.toml:3:" in message and "MC4CAQAw" not in message


def test_a_secret_in_an_unknown_key_is_refused_as_a_secret(tmp_path: Path) -> None:
    value = secrets.token_urlsafe(32)
    message = error(tmp_path, f'[profiles.default]\napi_secret = "{value}"\n', CredentialsError)
    assert "tradeguard.toml:2:" in message and value not in message


def test_a_database_password_in_the_journal_url_is_refused(tmp_path: Path) -> None:
    text = '[profiles.default]\njournal = "postgresql://tg:hunter2hunter2@db/tg"\n'
    message = error(tmp_path, text, CredentialsError)
    assert "tradeguard.toml:2:" in message and "hunter2" not in message


def test_a_value_that_is_not_a_variable_name_is_refused_without_showing_it(
    tmp_path: Path,
) -> None:
    text = '[profiles.default.credentials]\napi_key = "K"\nsecret = "my pass phrase!"\n'
    message = error(tmp_path, text, CredentialsError)
    assert "tradeguard.toml:3:" in message and "pass phrase" not in message
    text = text.replace('"K"', '"K"\nsource = "keyring"')
    message = error(tmp_path, text, CredentialsError)
    assert "keyring entry name" in message and "pass phrase" not in message


def test_a_wrong_type_under_credentials_does_not_show_the_value(tmp_path: Path) -> None:
    text = '[profiles.default.credentials]\napi_key = "K"\nsecret = 123456789123456789\n'
    message = error(tmp_path, text)
    assert "tradeguard.toml:3:" in message and "123456789" not in message


@settings(max_examples=60, deadline=None)
@given(raw=st.binary(min_size=24, max_size=64), encoding=st.sampled_from(["hex", "b64", "b64url"]))
def test_any_encoded_random_key_is_refused(raw: bytes, encoding: str) -> None:
    # Key material is random; 24 zero bytes in base64 are "AAAA...", which is a valid
    # environment variable name and rightly read as one, so such degenerate draws are skipped.
    assume(len(set(raw)) >= 8)
    if encoding == "hex":
        value = raw.hex()
    elif encoding == "b64":
        value = base64.b64encode(raw).decode()
    else:
        value = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    text = f'[profiles.default.credentials]\napi_key = "K"\nsecret = "{value}"\n'
    with pytest.raises(CredentialsError) as caught:
        profiles.load(config=_scratch(text), env={})
    assert value not in str(caught.value) and "tradeguard.toml:3:" in str(caught.value)


@settings(max_examples=60, deadline=None)
@given(
    words=st.lists(
        st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=2, max_size=10),
        min_size=1,
        max_size=5,
    )
)
def test_ordinary_variable_names_are_accepted(words: list[str]) -> None:
    name = "_".join(words)
    text = f'[profiles.default.credentials]\napi_key = "{name}_KEY"\nsecret = "{name}"\n'
    chosen = profiles.load(config=_scratch(text), env={})
    assert chosen.credentials is not None and chosen.credentials.secret == name


_SCRATCH: list[Path] = []


def _scratch(text: str) -> Path:
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="tg-profile-"))
    path = folder / "tradeguard.toml"
    path.write_text(text)
    _SCRATCH.append(folder)
    return path


@pytest.fixture(autouse=True, scope="module")
def _clean_scratch() -> object:
    import shutil

    yield None
    for folder in _SCRATCH:
        shutil.rmtree(folder, ignore_errors=True)


# ── the line locator ─────────────────────────────────────────────────────────────────────────


def test_line_index_finds_headers_dotted_keys_and_inline_tables() -> None:
    text = textwrap.dedent(
        """\
        # comment
        [profiles.default]
        env = "sim"
        limits.max_open_orders = 3
        note = '''
        fake = 1
        '''

        [profiles."other one".limits]
        max_position = {
          "BTC/USDT" = "1" }
        """
    )
    index = LineIndex(text)
    assert index.line(("profiles", "default")) == 2
    assert index.line(("profiles", "default", "env")) == 3
    assert index.line(("profiles", "default", "limits", "max_open_orders")) == 4
    assert index.line(("profiles", "default", "fake")) == 2  # inside a string: not a key
    assert index.line(("profiles", "other one", "limits")) == 9
    assert index.line(("profiles", "other one", "limits", "max_position", "BTC/USDT")) == 11
    assert index.line(("nowhere",)) is None


def test_journal_durability_is_crash_unless_power_loss_is_asked_for(tmp_path: Path) -> None:
    assert load(tmp_path, "[profiles.default]\n").journal_durability == "crash"
    asked = load(tmp_path, '[profiles.default]\njournal_durability = "power-loss"\n')
    assert asked.journal_durability == "power-loss"


# ── the market stream's stale window against the venue's heartbeat ──────────────────────────


def test_a_stale_window_kraken_s_heartbeat_cannot_fill_is_refused_with_the_smallest(
    tmp_path: Path,
) -> None:
    # Kraken's quiet subscription says it is alive only by its heartbeat, about once a second:
    # a window of 1.5 s would take a quiet stream for a dead one, and reconnect over and over
    head = '[profiles.default]\nvenue = "kraken"\nenv = "live"\n'
    message = error(tmp_path, head + "market_stale_after_s = 1.5\n")
    assert "tradeguard.toml:4:" in message and "market_stale_after_s" in message
    assert "kraken" in message and "heartbeat" in message
    assert "market_stale_after_s = 2" in message
    assert "\n" not in message
    assert load(tmp_path, head + "market_stale_after_s = 2\n").market_stale_after_s == 2.0


def test_a_venue_that_answers_our_ping_takes_any_window_from_one_second(tmp_path: Path) -> None:
    # Bybit and OKX answer the ping the stream sends three times a window: no floor of theirs
    for venue in ("bybit", "okx", "binance"):
        body = f'[profiles.default]\nvenue = "{venue}"\nenv = "live"\nmarket_stale_after_s = 1\n'
        assert load(tmp_path, body).market_stale_after_s == 1.0
