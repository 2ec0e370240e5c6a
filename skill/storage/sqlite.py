"""Per-user attributes in one SQLite file: one host, several worker processes."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from skill.alexa.ids import key_tag
from skill.storage.base import (
    FORMAT_VERSION,
    MIGRATIONS,
    Attributes,
    Decoded,
    Migration,
    Mutation,
    NewerFormatError,
    PersistenceAdapter,
    StorageError,
    StoredRow,
    check_time,
    logger,
    now_iso,
)

if TYPE_CHECKING:
    pass

_SQLITE_SCHEMA = """
CREATE TABLE IF NOT EXISTS user_attributes (
    id TEXT PRIMARY KEY,                -- user_key(): SHA-256 hex of the user id
    data TEXT NOT NULL,                 -- the attributes, a JSON object
    format_version INTEGER NOT NULL,    -- payload format, see MIGRATIONS
    revision INTEGER NOT NULL,          -- +1 on every write
    updated_at TEXT NOT NULL            -- ISO 8601, UTC
) WITHOUT ROWID
"""

_SQLITE_UPSERT = """
INSERT INTO user_attributes (id, data, format_version, revision, updated_at)
VALUES (:id, :data, :version, 1, :now)
ON CONFLICT (id) DO UPDATE SET
    data = excluded.data,
    format_version = excluded.format_version,
    revision = user_attributes.revision + 1,
    updated_at = excluded.updated_at
"""
# A blind write never replaces a newer release's row. (An update has read and decoded the
# row in the same transaction, so it needs no guard and can heal a damaged version.)
_NEWER_GUARD = """
WHERE NOT (typeof(user_attributes.format_version) IN ('integer', 'real')
           AND user_attributes.format_version > excluded.format_version)
"""

# A write is not started with less of the request's budget left than this.
_MIN_LOCK_WAIT = 0.05

# Connections inherited across fork(): never used or closed in the child (closing one there
# can drop the parent's locks), only kept alive so garbage collection leaves them alone.
_INHERITED_CONNECTIONS: list[sqlite3.Connection] = []


class SQLitePersistenceAdapter(PersistenceAdapter):
    """Attributes in one SQLite file, for one host with several worker processes.

    WAL mode lets readers proceed while one process writes; every write runs in a
    ``BEGIN IMMEDIATE`` transaction, so a writer waits up to ``busy_timeout`` (or what is
    left of the request's store budget, if less) for the lock and then fails with
    StorageError instead of hanging the request. A process killed
    mid-transaction loses only its own uncommitted change: SQLite's journal rolls it back
    on the next open. ``synchronous=NORMAL`` is durable against process crashes; a power
    cut may lose the last commits but never corrupts the file.

    Each thread of each process gets its own connection, opened lazily, so the adapter
    can be built before gunicorn forks: after a fork the child notices the new pid and
    opens fresh connections instead of touching the parent's.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        busy_timeout: float = 2.0,
        format_version: int = FORMAT_VERSION,
        migrations: Mapping[int, Migration] = MIGRATIONS,
    ) -> None:
        super().__init__(format_version=format_version, migrations=migrations)
        self.path = Path(path)
        self.busy_timeout = busy_timeout
        self._local = threading.local()

    def __repr__(self) -> str:
        return f"SQLitePersistenceAdapter({str(self.path)!r})"

    def _update(self, key: str, mutate: Mutation) -> Attributes:
        with self._storage_errors(key), self._transaction(key) as connection:
            row = self._select(connection, key)
            decoded = Decoded({}, None) if row is None else self._decode(key, row)
            new = self._mutated(key, decoded.attributes, mutate)
            self._upsert(connection, key, self._encode(key, new), guarded=False)
        self._healed(key, decoded.damage)
        return new

    def close(self) -> None:
        connection = self._own_connection()
        if connection is not None:
            self._local.connection = None
            connection.close()

    # Back-end primitives ----------------------------------------------------------------

    def _read(self, key: str) -> StoredRow | None:
        with self._storage_errors(key):
            return self._select(self._connection(), key)

    def _write(self, key: str, data: str) -> None:
        with self._storage_errors(key), self._transaction(key) as connection:
            self._upsert(connection, key, data)

    def _delete(self, key: str) -> None:
        with self._storage_errors(key), self._transaction(key) as connection:
            connection.execute("DELETE FROM user_attributes WHERE id = ?", (key,))

    @staticmethod
    def _select(connection: sqlite3.Connection, key: str) -> StoredRow | None:
        row = connection.execute(
            "SELECT data, format_version, revision FROM user_attributes WHERE id = ?", (key,)
        ).fetchone()
        return None if row is None else StoredRow(*row)

    def _upsert(
        self, connection: sqlite3.Connection, key: str, data: str, *, guarded: bool = True
    ) -> None:
        cursor = connection.execute(
            _SQLITE_UPSERT + _NEWER_GUARD if guarded else _SQLITE_UPSERT,
            {"id": key, "data": data, "version": self.format_version, "now": now_iso()},
        )
        if cursor.rowcount == 0:
            raise NewerFormatError("the stored row has a newer format; not overwriting it")

    # Connections and transactions ---------------------------------------------------------

    def _own_connection(self) -> sqlite3.Connection | None:
        """This thread's connection if it was opened by this very process."""
        connection = getattr(self._local, "connection", None)
        if connection is not None and self._local.pid != os.getpid():
            _INHERITED_CONNECTIONS.append(connection)
            self._local.connection = connection = None
        return connection

    def _connection(self) -> sqlite3.Connection:
        connection = self._own_connection()
        if connection is None:
            connection = self._open()
            self._local.connection, self._local.pid = connection, os.getpid()
        return connection

    def _open(self) -> sqlite3.Connection:
        # isolation_level=None: no implicit transactions; writes say BEGIN IMMEDIATE.
        connection = sqlite3.connect(
            self.path, timeout=self.busy_timeout, isolation_level=None, check_same_thread=False
        )
        try:
            connection.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")
            connection.execute("PRAGMA synchronous = NORMAL")
            self._prepare(connection)
        except BaseException:
            connection.close()
            raise
        return connection

    def _prepare(self, connection: sqlite3.Connection) -> None:
        """Switch the file to WAL and create the table, racing other first openers.

        Switching to WAL fails with "database is locked" at once, without waiting for the
        busy timeout, while another connection is doing the same; so retry here until the
        timeout. Once the file is in WAL mode (it stays so) only a cheap check remains.
        """
        deadline = time.monotonic() + self.busy_timeout
        while True:
            try:
                if connection.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                    mode = connection.execute("PRAGMA journal_mode = WAL").fetchone()[0]
                    if mode != "wal":
                        logger.warning("SQLite store %s cannot use WAL: %s", self.path, mode)
                connection.execute(_SQLITE_SCHEMA)
                return
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) or time.monotonic() >= deadline:
                    raise
                time.sleep(0.005)

    @contextmanager
    def _transaction(self, key: str) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` ... ``COMMIT``: the write lock up front, so the busy timeout
        applies (cut to what is left of the request's budget), and a rollback on any
        exception, including a failed COMMIT."""
        left = check_time(key, _MIN_LOCK_WAIT, "a write")
        wait = self.busy_timeout if left is None else min(self.busy_timeout, left)
        connection = self._connection()
        connection.execute(f"PRAGMA busy_timeout = {int(wait * 1000)}")
        connection.execute("BEGIN IMMEDIATE")
        try:
            yield connection
            connection.execute("COMMIT")
        except BaseException:
            if connection.in_transaction:
                try:
                    connection.execute("ROLLBACK")
                except sqlite3.Error:
                    logger.debug("rollback failed; SQLite had rolled back", exc_info=True)
            raise

    @contextmanager
    def _storage_errors(self, key: str) -> Iterator[None]:
        """sqlite3 errors become StorageError; a connection that may be broken is dropped."""
        try:
            yield
        except sqlite3.Error as error:
            logger.warning("SQLite failed for user %s: %s", key_tag(key), error)
            if not isinstance(error, sqlite3.OperationalError) or "locked" not in str(error):
                self.close()  # after an I/O or corruption error, start afresh next time
            raise StorageError(f"SQLite store {self.path.name}: {error}") from error
