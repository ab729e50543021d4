"""The FIX host of a profile with `order_transport = "fix"`: `fix_url` (tcp+tls://host:port)
and `fix_ca_file` (a PEM certificate to trust for it, as a standalone `tradeguard sim`'s
throwaway one), `fix_drop_copy` (a drop-copy session cross-checking fills) and, beside a
fix_url, `fix_drop_copy_url` (drop copy's own host: Binance's is another host than order
entry's, and each refuses the other's Logon, -1184/-1185). Without a fix_url the hosts are
Binance's for the rung, or the embedded simulator's; a profile with its own base_url needs
fix_url (session/connect_fix.py says so at connect)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from tradeguard.profile.values import Checks, Path_

FIX_KEYS = ("fix_url", "fix_ca_file", "fix_drop_copy", "fix_drop_copy_url")
_URL_FIX = 'write fix_url = "tcp+tls://HOST:PORT" (a `tradeguard sim` prints its fix_url)'


class FixHost(NamedTuple):  # named as Profile's fields: Profile(**host._asdict())
    fix_url: str | None
    fix_ca_file: Path | None
    fix_drop_copy: bool
    fix_drop_copy_url: str | None


def fix_host(checks: Checks, path: Path_, body: dict[str, Any], env: str) -> FixHost:
    """The profile's fix_url, fix_ca_file and fix_drop_copy_url (None when not set) and
    fix_drop_copy; every bad value one line."""
    url, ca = body.get("fix_url"), body.get("fix_ca_file")
    drop_copy = checks.flag((*path, "fix_drop_copy"), body.get("fix_drop_copy", False))
    drop_copy_url = body.get("fix_drop_copy_url")
    keys = (
        ("fix_url", url),
        ("fix_ca_file", ca),
        ("fix_drop_copy", drop_copy or None),
        ("fix_drop_copy_url", drop_copy_url),
    )
    for key, value in keys:
        if value is not None and body.get("order_transport") != "fix":
            checks.fail(
                (*path, key),
                'is read only with order_transport = "fix"',
                'set order_transport = "fix", or delete this line',
            )
    drop_copy_url = _drop_copy_url(checks, path, drop_copy_url, url, drop_copy)
    if url is not None:
        url = _url(checks, (*path, "fix_url"), url)
        if env == "sim" and body.get("base_url") is None:
            checks.fail(
                (*path, "fix_url"),
                "is not used: the embedded simulator serves its own FIX acceptor",
                "delete this line, or set base_url to a standalone `tradeguard sim`'s",
            )
    if ca is None:
        return FixHost(url, None, drop_copy, drop_copy_url)
    where = (*path, "fix_ca_file")
    if url is None:
        checks.fail(where, "trusts a certificate for no fix_url", _URL_FIX)
    if env in ("live-small", "live"):
        checks.fail(
            where,
            f"{env} trades against Binance's own certificate",
            "delete this line (the system's trusted certificates check Binance's)",
        )
    return FixHost(url, _ca_file(checks, where, ca), drop_copy, drop_copy_url)


def _drop_copy_url(
    checks: Checks, path: Path_, value: object, url: object, drop_copy: bool
) -> str | None:
    """fix_drop_copy_url: drop copy's host beside fix_url, needed by fix_drop_copy there."""
    where = (*path, "fix_drop_copy_url")
    if value is None:
        if drop_copy and url is not None:
            checks.fail(
                (*path, "fix_drop_copy"),
                "needs fix_drop_copy_url beside fix_url (drop copy is a host of its own)",
                'write fix_drop_copy_url = "tcp+tls://HOST:PORT" (a `tradeguard sim` prints '
                "its fix_dc_url)",
            )
        return None
    if not drop_copy:
        checks.fail(where, "is read only with fix_drop_copy = true", "delete this line")
    if url is None:
        checks.fail(
            where,
            "names drop copy's host beside no fix_url",
            "delete this line (Binance's hosts follow the rung), or write fix_url",
        )
    return _url(checks, where, value)


def _url(checks: Checks, where: Path_, value: object) -> str:
    parts = urlsplit(value) if isinstance(value, str) else None
    try:
        port = parts.port if parts is not None else None
    except ValueError:
        port = None
    if parts is None or parts.scheme != "tcp+tls" or not parts.hostname or port is None:
        checks.fail(where, "is not a tcp+tls://host:port address", _URL_FIX)
    if parts.username is not None or parts.password is not None:
        checks.secret_found(where, "holds a user name or password")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        checks.fail(where, "is not a tcp+tls://host:port address (it has a path)", _URL_FIX)
    return f"tcp+tls://{parts.netloc}"


def _ca_file(checks: Checks, where: Path_, value: object) -> Path:
    fix = 'write fix_ca_file = "PATH" to a PEM file (a `tradeguard sim` prints fix_ca_pem)'
    if not isinstance(value, str) or not value.strip():
        checks.fail(where, "must be a file path", fix)
    file = Path(value).expanduser()
    file = file if file.is_absolute() else checks.source.parent / file
    try:
        text = file.read_text(encoding="ascii", errors="replace")
    except FileNotFoundError:
        checks.fail(where, f"no such file: {file}", fix)
    except OSError as exc:
        checks.fail(where, f"cannot read {file}: {exc.strerror}", fix)
    if "-----BEGIN CERTIFICATE-----" not in text:
        checks.fail(where, f"{file} holds no PEM certificate", fix)
    return file


def read_ca(profile_name: str, file: Path) -> str:
    """The PEM text of fix_ca_file at connect; a file gone since the profile was read is one
    line."""
    from tradeguard.errors import ConfigError

    try:
        return file.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"profile {profile_name}: fix_ca_file {file} cannot be read ({type(exc).__name__})",
            hint="write the simulator's fix_ca_pem to that file again, or fix the path",
        ) from None
