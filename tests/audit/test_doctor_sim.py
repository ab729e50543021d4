"""Doctor against the simulator's built-in keys: each mistake is named, with its fix.

The simulator serves Binance's apiRestrictions for the calling key, so each built-in key
(trade-only, withdraw-enabled, read-only, no-ip-restriction, old) exercises one rule.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import aiohttp

from tradeguard.doctor.checks import Check, DoctorOptions, run_checks, worst
from tradeguard.keys.audit import Level
from tradeguard.keys.credentials import CredentialsSpec
from tradeguard.sim.remote import SimRemote

from .conftest import DOCTOR_ROWS, FakeProfile, Starter, listed


def rows(checks: list[Check]) -> dict[str, Check]:
    return {c.name: c for c in checks}


async def doctor(
    profile: FakeProfile, options: DoctorOptions, **change: object
) -> dict[str, Check]:
    return rows(await run_checks(profile, dataclasses.replace(options, **change)))  # type: ignore[arg-type]


async def test_trade_only_passes(profile: FakeProfile, options: DoctorOptions) -> None:
    checks = await run_checks(profile, options)
    names = [c.name for c in checks]
    assert names == DOCTOR_ROWS
    failing = [c for c in checks if c.level is not Level.PASS]
    assert [c.name for c in failing] == ["clock.ntp"]  # not queried: unverified
    by = rows(checks)
    assert by["credentials"].detail.startswith("the simulator's built-in key 'trade-only' (")
    assert by["key.access"].detail == "Binance accepts the key from this IP for reading and trading"
    assert by["key.ip_whitelist"].detail == "the key is IP-restricted; this host is on it"
    assert by["key.age"].detail.startswith("the key is 7 days old (created ")
    assert by["journal"].detail.endswith("writable, 0 records, chain verified")


async def test_withdraw_enabled_is_refused(profile: FakeProfile, options: DoctorOptions) -> None:
    by = await doctor(profile, options, sim_key="withdraw-enabled")
    assert by["key.withdraw"] == Check(
        "key.withdraw",
        Level.FAIL,
        "this API key can withdraw funds: refused",
        "create a new key with withdrawals disabled (trading only), then `tradeguard keys "
        "rotate`; delete this one at the exchange",
    )


async def test_old_key_is_refused(profile: FakeProfile, options: DoctorOptions) -> None:
    by = await doctor(profile, options, sim_key="old")
    assert by["key.age"].level is Level.FAIL
    assert by["key.age"].detail.startswith("this key is 420 days old (created ")
    assert by["key.age"].detail.endswith("); keys older than 365 days are refused")


async def test_no_ip_restriction_allowed_in_sim(
    profile: FakeProfile, options: DoctorOptions
) -> None:
    by = await doctor(profile, options, sim_key="no-ip-restriction")
    assert by["key.ip_whitelist"].level is Level.WARN
    assert by["key.ip_whitelist"].detail == (
        "this API key has no IP whitelist (allowed on sim; live rungs refuse it)"
    )
    assert worst(list(by.values())) is Level.WARN


async def test_no_ip_restriction_refused_live(
    profile: FakeProfile, options: DoctorOptions, start_sim: Starter
) -> None:
    running = await start_sim()
    key = listed(running, "no-ip-restriction")
    live = dataclasses.replace(
        profile,
        env="live",
        credentials=CredentialsSpec(
            profile="default", source="env", api_key="BINANCE_API_KEY", secret="BINANCE_API_SECRET"
        ),
    )
    env = {"BINANCE_API_KEY": key["api_key"], "BINANCE_API_SECRET": key["secret"]}
    by = await doctor(live, options, env=env, base_url=running.base_url)
    assert by["credentials"].level is Level.PASS
    assert by["credentials"].detail.startswith(
        "environment: api_key from BINANCE_API_KEY, secret from BINANCE_API_SECRET (key "
    )
    assert key["secret"] not in repr(by)
    assert by["key.ip_whitelist"] == Check(
        "key.ip_whitelist",
        Level.FAIL,
        "this API key has no IP whitelist, and env 'live' needs one: refused",
        "restrict the key to this host's public IP in the exchange's API key settings",
    )


async def test_read_only_profile_with_trading_key_is_flagged(
    profile: FakeProfile, options: DoctorOptions
) -> None:
    read_only = dataclasses.replace(profile, mode="read-only")
    by = await doctor(read_only, options)
    assert by["key.mode"].level is Level.WARN
    assert by["key.mode"].detail == (
        "the profile is read-only but this key can trade: tradeguard refuses every order on "
        "this profile"
    )
    fine = await doctor(read_only, options, sim_key="read-only")
    assert fine["key.mode"].detail == "read-only profile, read-only key"
    assert fine["key.access"].detail == "Binance accepts the key from this IP for reading"


async def test_no_credentials_on_live(profile: FakeProfile, options: DoctorOptions) -> None:
    live = dataclasses.replace(profile, env="live")
    by = await doctor(live, options, base_url="http://127.0.0.1:9")
    assert by["credentials"] == Check(
        "credentials",
        Level.FAIL,
        "profile default has no credentials, and env 'live' needs them",
        '[profiles.default.credentials] with source = "env", api_key = "BINANCE_API_KEY", '
        'secret = "BINANCE_API_SECRET", then export both'.join(["add ", ""]),
    )
    assert "key.withdraw" not in by


async def test_unset_environment_variable(profile: FakeProfile, options: DoctorOptions) -> None:
    spec = CredentialsSpec(profile="default", source="env", api_key="TG_KEY", secret="TG_SECRET")
    live = dataclasses.replace(profile, env="live", credentials=spec)
    by = await doctor(live, options, base_url="http://127.0.0.1:9")
    assert by["credentials"].level is Level.FAIL
    assert by["credentials"].detail == (
        "profile default: environment variable TG_KEY (api_key) is not set"
    )
    assert by["credentials"].fix.startswith("export TG_KEY=... before starting tradeguard")


async def test_skewed_clock(
    profile: FakeProfile, options: DoctorOptions, start_sim: Starter
) -> None:
    running = await start_sim()
    async with aiohttp.ClientSession() as session:
        await SimRemote(running.control_url, session).clock(offset_ms=30_000)
    by = await doctor(profile, options, sim=running)
    clock = by["clock.exchange"]
    assert clock.level is Level.FAIL
    assert clock.detail.startswith("this host's clock is 30.")
    assert clock.detail.endswith(" s behind the exchange (allowed: 5.0 s)")
    assert clock.fix.startswith("sync the host with NTP")
    assert by["key.access"].level is Level.PASS  # the rest still runs, on the exchange's time


async def test_unreachable_exchange(profile: FakeProfile, options: DoctorOptions) -> None:
    spec = CredentialsSpec(profile="default", source="env", api_key="TG_KEY", secret="TG_SECRET")
    keyed = dataclasses.replace(profile, credentials=spec)
    env = {"TG_KEY": "k" * 64, "TG_SECRET": "s" * 64}
    by = await doctor(keyed, options, env=env, base_url="http://127.0.0.1:9")
    assert by["clock.exchange"].level is Level.FAIL
    assert by["clock.exchange"].detail.startswith("the exchange at http://127.0.0.1:9 did not")
    assert by["key.access"] == Check(
        "key.access",
        Level.UNVERIFIED,
        "the key's permissions were not checked (the exchange did not answer)",
        "fix the failed checks above, then run `tradeguard doctor` again",
    )
    assert "key.withdraw" not in by


async def test_journal_that_cannot_be_opened(
    profile: FakeProfile, options: DoctorOptions, tmp_path: Path
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    bad = dataclasses.replace(profile, journal=str(blocker / "sub" / "j.db"))
    by = await doctor(bad, options)
    assert by["journal"].level is Level.FAIL
    assert by["journal"].detail.startswith("cannot open the journal: ")


async def test_connect_audit_refuses_and_passes(
    profile: FakeProfile, options: DoctorOptions, start_sim: Starter, tmp_path: Path
) -> None:
    import pytest

    from tradeguard.doctor.checks import connect_audit
    from tradeguard.errors import KeyAuditFailed
    from tradeguard.keys.credentials import ApiCredentials, Secret
    from tradeguard.net.hoststate import HostState
    from tradeguard.venues.binance.client import BinanceTransport

    running = await start_sim()

    def transport(name: str) -> BinanceTransport:
        key = listed(running, name)
        creds = ApiCredentials(key["api_key"], Secret(key["secret"]))
        return BinanceTransport(
            running.base_url, creds, host_state=HostState("sim", tmp_path / "hosts")
        )

    live = dataclasses.replace(profile, env="live")
    async with transport("trade-only") as ok:
        facts = await connect_audit(live, ok, options)
        assert {f.level for f in facts.findings} == {Level.PASS}
    async with transport("withdraw-enabled") as bad:
        with pytest.raises(KeyAuditFailed) as caught:
            await connect_audit(live, bad, options)
        assert caught.value.findings[0].startswith("this API key can withdraw funds: refused;")
    async with transport("read-only") as cannot_trade:
        with pytest.raises(KeyAuditFailed) as caught:
            await connect_audit(live, cannot_trade, options)
        assert "lacks the spot trading permission" in caught.value.findings[0]


async def test_key_record_holds_no_key(
    profile: FakeProfile, options: DoctorOptions, start_sim: Starter
) -> None:
    running = await start_sim()
    await run_checks(profile, dataclasses.replace(options, sim=running))
    key = listed(running, "trade-only")
    stored = (options.state_root() / "keys.json").read_text()
    assert key["api_key"] not in stored and key["secret"] not in stored
    assert key["api_key"][:6] in stored  # the short prefix, for people
    assert oct((options.state_root() / "keys.json").stat().st_mode & 0o777) == "0o600"
