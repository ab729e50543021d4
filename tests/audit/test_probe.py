"""The -2015 classifier, pure: probe steps and the local record → the cause a user reads."""

from __future__ import annotations

from tradeguard.keys.audit import Level
from tradeguard.keys.probe import Cause, KeyMemory, Probes, Step, diagnose, step_from

OK, REFUSED = Step.OK, Step.REFUSED


def test_step_from_codes() -> None:
    assert step_from(-2015, 401) is Step.REFUSED
    assert step_from(-2014, 401) is Step.KEY_FORMAT
    assert step_from(-1022, 400) is Step.BAD_SIGNATURE
    assert step_from(-1021, 400) is Step.CLOCK
    assert step_from(None, 404) is Step.NOT_FOUND
    assert step_from(-1013, 400) is Step.REJECTED
    assert step_from(-1000, 500) is Step.ERROR


def test_all_accepted() -> None:
    d = diagnose(Probes(OK, OK, OK, OK), KeyMemory(), needs_trade=True)
    assert (d.cause, d.level) == (Cause.OK, Level.PASS)
    assert d.message == "Binance accepts the key from this IP for reading and trading"


def test_missing_trade_permission() -> None:
    d = diagnose(Probes(OK, OK, OK, REFUSED), KeyMemory(), needs_trade=True)
    assert d.cause is Cause.NO_TRADE_PERMISSION and d.certain


def test_missing_read_permission() -> None:
    d = diagnose(Probes(OK, REFUSED, REFUSED, OK), KeyMemory(), needs_trade=True)
    assert d.cause is Cause.NO_READ_PERMISSION and d.certain


def test_key_or_ip_by_the_local_record() -> None:
    refused = Probes(OK, REFUSED, REFUSED, REFUSED)
    assert diagnose(refused, KeyMemory(), needs_trade=True).cause is Cause.BAD_KEY_OR_IP
    was_restricted = KeyMemory(worked_before=True, ip_restricted=True)
    assert diagnose(refused, was_restricted, needs_trade=True).cause is Cause.IP_NOT_WHITELISTED
    unrestricted = KeyMemory(worked_before=True, ip_restricted=False)
    d = diagnose(refused, unrestricted, needs_trade=True)
    assert (d.cause, d.certain) == (Cause.BAD_KEY, True)


def test_signature_and_format_and_reachability() -> None:
    sig = diagnose(Probes(OK, Step.BAD_SIGNATURE), KeyMemory(), needs_trade=False)
    assert sig.cause is Cause.BAD_SECRET
    fmt = diagnose(Probes(OK, Step.KEY_FORMAT), KeyMemory(), needs_trade=False)
    assert fmt.cause is Cause.BAD_KEY
    down = diagnose(Probes(Step.UNREACHABLE), KeyMemory(), needs_trade=False)
    assert down.cause is Cause.UNREACHABLE


def test_testnet_without_sapi_still_diagnoses() -> None:
    d = diagnose(Probes(OK, OK, Step.NOT_FOUND, Step.REJECTED), KeyMemory(), needs_trade=True)
    assert d.cause is Cause.OK
