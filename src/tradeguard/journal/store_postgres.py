"""The PostgreSQL journal: many bots and hosts writing to one database, one chain per profile.

    tradeguard_journal(profile, seq, at_ms, kind, client_order_id, body BYTEA, hash BYTEA,
                       PRIMARY KEY (profile, seq))
    tradeguard_journal_meta(key, value)          format; verified:<profile> (the checkpoint)

Needs psycopg 3 (`pip install 'tradeguard[postgres]'`), imported only when a postgresql://
journal is opened. Each commit runs in one transaction that first takes a transaction-level
advisory lock derived from the profile name, so appenders of one profile (on any host) take
turns and the chain stays whole, while other profiles write in parallel. The connection sets
synchronous_commit=off ("crash" durability: a commit survives the bot's crash, the server's
last commits may not survive its own) or on ("power-loss": COMMIT returns once the server has
flushed its WAL, as far as the server's fsync setting and disks allow).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from tradeguard.errors import ConfigError, JournalCorrupt, StateError
from tradeguard.journal.chain import GENESIS, Row
from tradeguard.journal.codec import VERSION
from tradeguard.journal.store import JournalStore, Pending

if TYPE_CHECKING:
    import psycopg

FORMAT = "1"
_FETCH = 20_000
_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS tradeguard_journal (
        profile TEXT NOT NULL,
        seq BIGINT NOT NULL,
        at_ms BIGINT NOT NULL,
        kind TEXT NOT NULL,
        client_order_id TEXT,
        body BYTEA NOT NULL,
        hash BYTEA NOT NULL,
        PRIMARY KEY (profile, seq))""",
    """CREATE INDEX IF NOT EXISTS tradeguard_journal_by_order
        ON tradeguard_journal (profile, client_order_id) WHERE client_order_id IS NOT NULL""",
    """CREATE TABLE IF NOT EXISTS tradeguard_journal_meta (
        key TEXT PRIMARY KEY, value TEXT NOT NULL)""",
)
_HEAD = "SELECT seq, hash FROM tradeguard_journal WHERE profile = %s ORDER BY seq DESC LIMIT 1"
_COLUMNS = "seq, at_ms, kind, client_order_id, body, hash"
# built from constants only (no input): the version byte is checked and cut off by the server
_VERSIONED = f"CASE WHEN get_byte(body, 0) = {VERSION:d} THEN substring(body FROM 2) END"
_PAYLOADS = f"SELECT seq, {_VERSIONED} FROM tradeguard_journal WHERE profile = %s AND seq >= %s ORDER BY seq"  # noqa: S608, E501
_SCHEMA_LOCK = 0x7467_6A6F_7572_6E6C  # "tgjournl": serialises CREATE TABLE IF NOT EXISTS


def _lock_key(profile: str) -> int:
    digest = hashlib.sha256(b"tradeguard-journal:" + profile.encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _psycopg() -> Any:
    try:
        import psycopg
    except ImportError:
        raise ConfigError(
            "a PostgreSQL journal needs the psycopg package",
            hint="pip install 'tradeguard[postgres]'",
        ) from None
    return psycopg


UNREACHABLE_HINT = "check the server and the URL; nothing is sent while it is unreachable"


def unreachable(location: str, exc: Exception, hint: str) -> StateError:
    """The one line a journal server that cannot be reached is: psycopg's own words run over
    several lines (a tab-indented question), which a terminal would print as they are."""
    said = " ".join(str(exc).split())
    return StateError(f"cannot reach the journal {location}: {said}", hint=hint)


class PostgresJournal(JournalStore):
    def __init__(
        self, dsn: str, *, profile: str = "default", create: bool = True, **options: Any
    ) -> None:
        super().__init__(**options)
        self._pg = _psycopg()
        self.dsn = dsn
        self.profile = profile
        self._key = _lock_key(profile)
        self.location = f"{self._describe(dsn)} (profile {profile})"
        self._conn: psycopg.Connection[Any] | None = None
        conn = self._connection()
        try:
            if create:
                with conn.transaction():
                    conn.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
                    for statement in _SCHEMA:
                        conn.execute(statement)
                    conn.execute("INSERT INTO tradeguard_journal_meta VALUES ('format', %s) "
                                 "ON CONFLICT DO NOTHING", (FORMAT,))  # fmt: skip
            row = conn.execute(
                "SELECT value FROM tradeguard_journal_meta WHERE key = 'format'"
            ).fetchone()
        except self._pg.errors.UndefinedTable:
            raise ConfigError(
                f"no tradeguard journal in {self.location}",
                hint="check the URL, or let tradeguard create it by running a bot once",
            ) from None
        except self._pg.Error as exc:
            self.close_quietly()
            raise StateError(f"cannot open the journal {self.location}: {exc}") from None
        if row is None or row[0] != FORMAT:
            raise JournalCorrupt(
                0, f"{self.location} holds journal format {row and row[0]}; this reads {FORMAT}"
            )

    @staticmethod
    def _describe(dsn: str) -> str:
        try:
            from psycopg.conninfo import conninfo_to_dict

            info = conninfo_to_dict(dsn)
        except Exception:
            return "the PostgreSQL journal"
        host = info.get("host", "localhost")
        port = f":{info['port']}" if info.get("port") else ""
        return f"postgresql://{info.get('user', '')}@{host}{port}/{info.get('dbname', '')}"

    def _connection(self) -> psycopg.Connection[Any]:
        conn = self._conn
        if conn is None or conn.closed or conn.broken:
            try:
                conn = self._pg.connect(self.dsn, autocommit=True)
            except self._pg.Error as exc:
                raise unreachable(self.location, exc, UNREACHABLE_HINT) from None
            wait = "on" if self.durability == "power-loss" else "off"
            conn.execute(f"SET synchronous_commit = {wait}")
            self._conn = conn
        return conn

    # ── writing ──────────────────────────────────────────────────────────────────────────────

    def _commit(self, pending: list[Pending]) -> int:
        conn = self._connection()
        profile = self.profile
        try:
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (self._key,))
                row = conn.execute(_HEAD, (profile,)).fetchone()
                head_seq, head_hash = (row[0], bytes(row[1])) if row else (0, GENESIS)
                rows = self._chain(head_seq, head_hash, pending)
                if rows is None:  # an earlier attempt did commit; its reply was lost
                    return int(head_seq)
                with conn.cursor().copy(
                    "COPY tradeguard_journal (profile, seq, at_ms, kind, client_order_id, "
                    "body, hash) FROM STDIN"
                ) as copy:
                    for r in rows:
                        copy.write_row((profile, *r))
        except self._pg.Error as exc:
            raise StateError(
                f"cannot write the journal {self.location}: {exc}",
                hint="nothing was sent after this failure; the events stay waiting for a retry",
            ) from None
        return rows[-1][0]

    # ── reading ──────────────────────────────────────────────────────────────────────────────

    @property
    def _read_errors(self) -> tuple[type[Exception], ...]:  # type: ignore[override]
        return (self._pg.Error,)

    def _read_failed(self, exc: Exception, last_seq: int) -> StateError:
        return StateError(
            f"cannot read the journal {self.location} after record {last_seq}: {exc}",
            hint="check the server; nothing in the journal was skipped",
        )

    def _cursor(self, sql: str, args: tuple[Any, ...]) -> Iterator[Any]:
        # Each read has its own connection and snapshot, so reads may nest and never see a
        # half-written batch; a server-side cursor keeps memory flat over a million rows.
        conn = self._pg.connect(self.dsn)
        try:
            with conn.cursor(name="tradeguard_read", binary=True) as cursor:
                cursor.itersize = _FETCH
                cursor.execute(sql, args)
                yield from cursor
        finally:
            conn.close()

    def _payload_cursor(self, from_seq: int) -> Iterable[tuple[int, bytes | None]]:
        return self._cursor(_PAYLOADS, (self.profile, from_seq))

    def _rows(
        self,
        from_seq: int,
        client_order_id: str | None,
        unattributed_fills: bool = False,
        kinds: tuple[str, ...] = (),
    ) -> Iterator[Row]:
        sql = f"SELECT {_COLUMNS} FROM tradeguard_journal WHERE profile = %s AND seq >= %s"  # noqa: S608
        args: tuple[Any, ...] = (self.profile, from_seq)
        if client_order_id is not None:
            sql += " AND client_order_id = %s"
            args += (client_order_id,)
        if unattributed_fills:
            sql += " AND kind = 'OrderFilled' AND client_order_id IS NULL"
        if kinds:
            sql += " AND kind = ANY(%s)"
            args += (list(kinds),)
        last = from_seq - 1
        try:
            for row in self._cursor(sql + " ORDER BY seq", args):
                last = row[0]
                yield (row[0], row[1], row[2], row[3], bytes(row[4]), bytes(row[5]))
        except self._pg.Error as exc:
            raise self._read_failed(exc, last) from None

    def _body(self, seq: int) -> bytes:
        row = (
            self._connection()
            .execute(
                "SELECT body FROM tradeguard_journal WHERE profile = %s AND seq = %s",
                (self.profile, seq),
            )
            .fetchone()
        )
        return b"" if row is None else bytes(row[0])

    def _get_meta(self, key: str) -> str | None:
        row = (
            self._connection()
            .execute(
                "SELECT value FROM tradeguard_journal_meta WHERE key = %s",
                (f"{key}:{self.profile}",),
            )
            .fetchone()
        )
        return None if row is None else str(row[0])

    def _set_meta(self, key: str, value: str) -> None:
        # one table for every profile's chain: the key names the profile
        self._connection().execute(
            "INSERT INTO tradeguard_journal_meta VALUES (%s, %s) "
            "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
            (f"{key}:{self.profile}", value),
        )

    def _head(self) -> tuple[int, bytes] | None:
        row = self._connection().execute(_HEAD, (self.profile,)).fetchone()
        return None if row is None else (int(row[0]), bytes(row[1]))

    def close_quietly(self) -> None:
        if self._conn is not None and not self._conn.closed:
            self._conn.close()

    def _close(self) -> None:
        self.close_quietly()
