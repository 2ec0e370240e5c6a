"""Per-user persistent attributes behind ask-sdk-core's persistence interface.

Two back ends share one storage format and one error contract:

* :class:`SQLitePersistenceAdapter` for a single host, safe with several gunicorn worker
  processes (and threads) writing at once;
* :class:`DynamoDBPersistenceAdapter` for Lambda or several hosts.

Storage format (both back ends)
    One row/item per user, keyed by ``user_key(user_id)``: the SHA-256 hex digest of the
    Alexa user id. The raw id is personal data; it is never stored and never logged (logs
    carry at most the first 12 hex digits of the key). Columns/attributes: ``id`` (the
    key), ``data`` (the attributes as a JSON object, text), ``format_version`` (int, see
    below), ``revision`` (int, +1 on every write; DynamoDB's optimistic concurrency uses
    it) and ``updated_at`` (ISO 8601, UTC).

Versioning
    ``FORMAT_VERSION`` is the format this code writes. On load, ``MIGRATIONS[v]`` turns a
    format-``v`` payload into format ``v + 1`` until it is current; a row without a
    version is format 0. Migration happens in memory only; the next write stores the
    current format. Data written by a *newer* release (``format_version`` above ours, as
    after a rollback) is never clobbered: loading it raises :class:`NewerFormatError`, and
    every write checks the stored version in the same atomic step and refuses with the
    same error. Only :meth:`delete_attributes` ("forget me") ignores the version.

Errors
    Every failure of the store (locked too long, disk I/O error, unreachable, throttled,
    corrupt row, ...) surfaces as :class:`StorageError`, so the skill can say it could not
    save this time and carry on. A row whose JSON is corrupt raises
    :class:`CorruptRecordError` on read and is left untouched by
    :meth:`~PersistenceAdapter.update_attributes` (which must read it first); the blind
    :meth:`~PersistenceAdapter.save_attributes` replaces it, which is how the skill starts
    that user afresh after telling them.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import random
import sqlite3
import threading
import time
from abc import ABCMeta, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter

from skill import config
from skill.paths import DATA_DIR

if TYPE_CHECKING:
    from ask_sdk_model import RequestEnvelope

logger = logging.getLogger("skill.persistence")

Attributes = dict[str, Any]
Mutation = Callable[[Attributes], Attributes | None]
Migration = Callable[[Attributes], Attributes]

# The payload format this code writes.
FORMAT_VERSION = 1


def _from_format_0(attributes: Attributes) -> Attributes:
    """Format 0 is any row written before payloads were versioned: the same JSON object.

    Nothing changes in its shape; the step exists so that the chain starts at 0 and the
    next format change only has to add ``MIGRATIONS[1]``.
    """
    return dict(attributes)


# {from_version: function turning a payload of that version into version + 1}.
MIGRATIONS: Mapping[int, Migration] = {0: _from_format_0}

DEFAULT_SQLITE_FILE = "step_coach.sqlite3"
DEFAULT_DYNAMODB_TABLE = "step_coach_users"
DEFAULT_DYNAMODB_REGION = "us-east-1"


class StorageError(Exception):
    """The store could not do its job this time; the skill should carry on without it."""


class CorruptRecordError(StorageError):
    """A user's stored row cannot be decoded (bad JSON, not an object, bad version)."""


class NewerFormatError(StorageError):
    """A user's row was written by a newer release; this code neither reads nor overwrites it."""


def user_key(user_id: str) -> str:
    """The storage key for a user: SHA-256 hex of the Alexa user id, never the id itself.

    Also the way to find a user's row for a data-subject request: hash their id.
    """
    return hashlib.sha256(user_id.encode("utf-8")).hexdigest()


def user_id_of(request_envelope: RequestEnvelope) -> str | None:
    """The Alexa user id, from ``context.System.user`` or else ``session.user``."""
    for holder in (
        getattr(getattr(request_envelope, "context", None), "system", None),
        getattr(request_envelope, "session", None),
    ):
        user_id = getattr(getattr(holder, "user", None), "user_id", None)
        if isinstance(user_id, str) and user_id:
            return user_id
    return None


def _tag(key: str) -> str:
    """Enough of a key to correlate log lines, not enough to be a user identifier."""
    return key[:12]


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


@dataclass(frozen=True, slots=True)
class _StoredRow:
    """A row as read back, before decoding."""

    data: object
    format_version: object
    revision: int | None


class PersistenceAdapter(AbstractPersistenceAdapter, metaclass=ABCMeta):
    """What the skill relies on beyond ask-sdk's interface: one key scheme, one payload
    codec with migrations, ``update_attributes`` and :class:`StorageError`.
    """

    def __init__(
        self,
        *,
        format_version: int = FORMAT_VERSION,
        migrations: Mapping[int, Migration] = MIGRATIONS,
    ) -> None:
        # Injectable so tests can exercise a chain of migrations and newer formats.
        self.format_version = format_version
        self.migrations = migrations

    # ask-sdk-core interface -------------------------------------------------------------

    def get_attributes(self, request_envelope: RequestEnvelope) -> Attributes:
        """The user's attributes, migrated to the current format; ``{}`` for a new user."""
        key = self._key(request_envelope)
        row = self._read(key)
        return {} if row is None else self._decode(key, row)

    def save_attributes(self, request_envelope: RequestEnvelope, attributes: Attributes) -> None:
        """Store ``attributes`` for the user, last writer wins (see ``update_attributes``)."""
        key = self._key(request_envelope)
        self._write(key, self._encode(key, attributes))

    def delete_attributes(self, request_envelope: RequestEnvelope) -> None:
        """Forget the user entirely, whatever format their row is in."""
        self._delete(self._key(request_envelope))

    # Beyond the interface ---------------------------------------------------------------

    @abstractmethod
    def update_attributes(self, request_envelope: RequestEnvelope, mutate: Mutation) -> Attributes:
        """Atomically read the user's attributes, apply ``mutate`` and store the result.

        ``mutate`` gets the current attributes (``{}`` for a new user) and either changes
        them in place and returns ``None`` or returns a new dict. Concurrent updates of the
        same user never lose each other's change. ``mutate`` may be called more than once
        (DynamoDB retries on a conflict), so it must not have other side effects. An
        exception from ``mutate`` is re-raised unchanged and nothing is written. Returns
        the attributes as stored.
        """

    def close(self) -> None:
        """Release this thread's resources; the adapter reconnects if used again."""

    # Shared machinery -------------------------------------------------------------------

    @abstractmethod
    def _read(self, key: str) -> _StoredRow | None: ...

    @abstractmethod
    def _write(self, key: str, data: str) -> None:
        """Upsert unless the stored row is newer (then raise NewerFormatError)."""

    @abstractmethod
    def _delete(self, key: str) -> None: ...

    def _key(self, request_envelope: RequestEnvelope) -> str:
        user_id = user_id_of(request_envelope)
        if user_id is None:
            raise StorageError("the request carries no user id, so there is nobody to store")
        return user_key(user_id)

    def _encode(self, key: str, attributes: object) -> str:
        if not isinstance(attributes, Mapping):
            raise StorageError(f"attributes must be a mapping, not {type(attributes).__name__}")
        try:
            return json.dumps(
                attributes, ensure_ascii=False, allow_nan=False, separators=(",", ":")
            )
        except (TypeError, ValueError) as error:
            logger.error("attributes for user %s are not JSON: %s", _tag(key), error)
            raise StorageError(f"attributes are not JSON-serialisable: {error}") from error

    def _decode(self, key: str, row: _StoredRow) -> Attributes:
        version = 0 if row.format_version is None else row.format_version
        if not isinstance(version, int) or isinstance(version, bool) or version < 0:
            raise self._corrupt(key, f"bad format_version {version!r}")
        if version > self.format_version:
            logger.warning(
                "user %s has format %d, newer than this code's %d; leaving it alone",
                _tag(key),
                version,
                self.format_version,
            )
            raise NewerFormatError(
                f"stored format {version} is newer than this release understands "
                f"({self.format_version})"
            )
        try:
            attributes = json.loads(row.data) if isinstance(row.data, str) else None
        except ValueError as error:
            raise self._corrupt(key, f"invalid JSON ({error})") from error
        if not isinstance(attributes, dict):
            raise self._corrupt(key, "payload is not a JSON object")
        while version < self.format_version:
            migrate = self.migrations.get(version)
            if migrate is None:
                raise self._corrupt(key, f"no migration from format {version}")
            try:
                attributes = migrate(attributes)
            except Exception as error:
                raise self._corrupt(key, f"migration from format {version} failed") from error
            if not isinstance(attributes, dict):
                raise self._corrupt(key, f"migration from format {version} gave no object")
            version += 1
        return attributes

    def _mutated(self, key: str, attributes: Attributes, mutate: Mutation) -> Attributes:
        result = mutate(attributes)
        new = attributes if result is None else result
        if not isinstance(new, dict):
            raise StorageError(f"mutate must return a dict or None, not {type(new).__name__}")
        return new

    @staticmethod
    def _corrupt(key: str, reason: str) -> CorruptRecordError:
        logger.error("stored attributes of user %s are unreadable: %s", _tag(key), reason)
        return CorruptRecordError(f"stored attributes are unreadable: {reason}")


# SQLite -------------------------------------------------------------------------------

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
WHERE user_attributes.format_version <= excluded.format_version
"""

# Connections inherited across fork(): never used or closed in the child (closing one there
# can drop the parent's locks), only kept alive so garbage collection leaves them alone.
_INHERITED_CONNECTIONS: list[sqlite3.Connection] = []


class SQLitePersistenceAdapter(PersistenceAdapter):
    """Attributes in one SQLite file, for one host with several worker processes.

    WAL mode lets readers proceed while one process writes; every write runs in a
    ``BEGIN IMMEDIATE`` transaction, so a writer waits up to ``busy_timeout`` for the lock
    and then fails with StorageError instead of hanging the request. A process killed
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

    def update_attributes(self, request_envelope: RequestEnvelope, mutate: Mutation) -> Attributes:
        key = self._key(request_envelope)
        with self._storage_errors(key), self._transaction() as connection:
            row = self._select(connection, key)
            attributes = {} if row is None else self._decode(key, row)
            new = self._mutated(key, attributes, mutate)
            self._upsert(connection, key, self._encode(key, new))
        return new

    def close(self) -> None:
        connection = self._own_connection()
        if connection is not None:
            self._local.connection = None
            connection.close()

    # Back-end primitives ----------------------------------------------------------------

    def _read(self, key: str) -> _StoredRow | None:
        with self._storage_errors(key):
            return self._select(self._connection(), key)

    def _write(self, key: str, data: str) -> None:
        with self._storage_errors(key), self._transaction() as connection:
            self._upsert(connection, key, data)

    def _delete(self, key: str) -> None:
        with self._storage_errors(key), self._transaction() as connection:
            connection.execute("DELETE FROM user_attributes WHERE id = ?", (key,))

    @staticmethod
    def _select(connection: sqlite3.Connection, key: str) -> _StoredRow | None:
        row = connection.execute(
            "SELECT data, format_version, revision FROM user_attributes WHERE id = ?", (key,)
        ).fetchone()
        return None if row is None else _StoredRow(*row)

    def _upsert(self, connection: sqlite3.Connection, key: str, data: str) -> None:
        cursor = connection.execute(
            _SQLITE_UPSERT,
            {"id": key, "data": data, "version": self.format_version, "now": _now_iso()},
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
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` ... ``COMMIT``: the write lock up front, so the busy timeout
        applies, and a rollback on any exception, including a failed COMMIT."""
        connection = self._connection()
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
            logger.warning("SQLite failed for user %s: %s", _tag(key), error)
            if not isinstance(error, sqlite3.OperationalError) or "locked" not in str(error):
                self.close()  # after an I/O or corruption error, start afresh next time
            raise StorageError(f"SQLite store {self.path.name}: {error}") from error


# DynamoDB ----------------------------------------------------------------------------

# Expression aliases: "data" is a DynamoDB reserved word, the others are aliased alike.
_NAMES = {"#d": "data", "#v": "format_version", "#r": "revision"}


class DynamoDBPersistenceAdapter(PersistenceAdapter):
    """Attributes in a DynamoDB table (partition key ``id``, a string), through boto3.

    Timeouts are short and retries few, so an unreachable or throttled store costs the
    request a couple of seconds at most (Alexa gives a skill 8) and then StorageError.
    ``update_attributes`` is optimistic: read with a consistent read, write with a
    condition on the ``revision`` read, and on a conflict start again, a bounded number
    of times. The boto3 client is made lazily per process, so building the adapter before
    a fork is safe.
    """

    def __init__(
        self,
        table_name: str,
        region: str,
        endpoint_url: str | None = None,
        create_table: bool = False,
        *,
        connect_timeout: float = 1.0,
        read_timeout: float = 2.0,
        max_attempts: int = 2,
        conflict_attempts: int = 30,
        credentials: Mapping[str, str] | None = None,
        format_version: int = FORMAT_VERSION,
        migrations: Mapping[int, Migration] = MIGRATIONS,
    ) -> None:
        super().__init__(format_version=format_version, migrations=migrations)
        self.table_name = table_name
        self.region = region
        self.endpoint_url = endpoint_url
        self.create_table = create_table
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.max_attempts = max_attempts
        self.conflict_attempts = conflict_attempts
        # aws_access_key_id / aws_secret_access_key for a local server; None: boto3's chain.
        self._credentials = dict(credentials or {})
        self._client_state: tuple[int, Any] | None = None
        self._table_ready_pid: int | None = None

    def __repr__(self) -> str:
        return f"DynamoDBPersistenceAdapter({self.table_name!r}, {self.region!r})"

    def update_attributes(self, request_envelope: RequestEnvelope, mutate: Mutation) -> Attributes:
        key = self._key(request_envelope)
        for attempt in range(self.conflict_attempts):
            row = self._read(key)
            attributes = {} if row is None else self._decode(key, row)
            new = self._mutated(key, attributes, mutate)
            data = self._encode(key, new)
            if row is None or row.revision is None:
                # A new user (or a row from before revisions): nobody may have written since.
                revision = 1
                condition: dict[str, Any] = {
                    "ConditionExpression": "attribute_not_exists(#r)",
                    "ExpressionAttributeNames": {"#r": "revision"},
                }
            else:
                revision = row.revision + 1
                condition = {
                    "ConditionExpression": "#r = :read",
                    "ExpressionAttributeNames": {"#r": "revision"},
                    "ExpressionAttributeValues": {":read": {"N": str(row.revision)}},
                }
            try:
                self._call(key, "put_item", Item=self._item(key, data, revision), **condition)
            except _ConditionFailed:
                # Someone else wrote in between: back off a little (jittered) and redo.
                time.sleep(random.uniform(0, min(0.05, 0.004 * 2**attempt)))
                continue
            return new
        logger.warning(
            "user %s: gave up after %d write conflicts", _tag(key), self.conflict_attempts
        )
        raise StorageError("too many concurrent updates of the same user; try again")

    def close(self) -> None:
        if self._client_state is not None and self._client_state[0] == os.getpid():
            self._client_state[1].close()
        self._client_state = None

    # Back-end primitives ----------------------------------------------------------------

    def _read(self, key: str) -> _StoredRow | None:
        response = self._call(
            key,
            "get_item",
            Key={"id": {"S": key}},
            ConsistentRead=True,
            ProjectionExpression="#d, #v, #r",
            ExpressionAttributeNames=_NAMES,
        )
        item = response.get("Item")
        if item is None:
            return None
        return _StoredRow(
            data=item.get("data", {}).get("S"),
            format_version=_number(item.get("format_version")),
            revision=_number(item.get("revision")),
        )

    def _write(self, key: str, data: str) -> None:
        # UpdateItem rather than PutItem so the revision goes up even on a blind write and a
        # concurrent update_attributes notices it.
        try:
            self._call(
                key,
                "update_item",
                Key={"id": {"S": key}},
                UpdateExpression="SET #d = :data, #v = :version, #u = :now ADD #r :one",
                ConditionExpression="attribute_not_exists(#v) OR #v <= :version",
                ExpressionAttributeNames={**_NAMES, "#u": "updated_at"},
                ExpressionAttributeValues={
                    ":data": {"S": data},
                    ":version": {"N": str(self.format_version)},
                    ":now": {"S": _now_iso()},
                    ":one": {"N": "1"},
                },
            )
        except _ConditionFailed as error:
            raise NewerFormatError(
                "the stored item has a newer format; not overwriting it"
            ) from error

    def _delete(self, key: str) -> None:
        self._call(key, "delete_item", Key={"id": {"S": key}})

    def _item(self, key: str, data: str, revision: int) -> dict[str, Any]:
        return {
            "id": {"S": key},
            "data": {"S": data},
            "format_version": {"N": str(self.format_version)},
            "revision": {"N": str(revision)},
            "updated_at": {"S": _now_iso()},
        }

    # Client, table and errors -------------------------------------------------------------

    def _call(self, key: str, operation: str, **arguments: Any) -> dict[str, Any]:
        """One DynamoDB call; every failure but a failed condition becomes StorageError."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            client = self._client()
            return getattr(client, operation)(TableName=self.table_name, **arguments)
        except ClientError as error:
            details = error.response.get("Error", {})
            code = details.get("Code", "")
            if code == "ConditionalCheckFailedException":
                raise _ConditionFailed from error
            reason = f"{code}: {details.get('Message', '')}"
            logger.warning("DynamoDB %s failed for user %s: %s", operation, _tag(key), reason)
            raise StorageError(f"DynamoDB {operation} failed: {reason}") from error
        except BotoCoreError as error:
            logger.warning("DynamoDB %s failed for user %s: %s", operation, _tag(key), error)
            raise StorageError(f"DynamoDB is unreachable: {error}") from error

    def _client(self) -> Any:
        pid = os.getpid()
        if self._client_state is None or self._client_state[0] != pid:
            import boto3
            from botocore.config import Config

            client = boto3.session.Session(**self._credentials).client(
                "dynamodb",
                region_name=self.region,
                endpoint_url=self.endpoint_url,
                config=Config(
                    connect_timeout=self.connect_timeout,
                    read_timeout=self.read_timeout,
                    retries={"mode": "standard", "max_attempts": self.max_attempts},
                ),
            )
            self._client_state = (pid, client)
        client = self._client_state[1]
        if self.create_table and self._table_ready_pid != pid:
            self._ensure_table(client)
            self._table_ready_pid = pid
        return client

    def _ensure_table(self, client: Any, timeout: float = 30.0) -> None:
        """Create the table if missing (local servers, first run) and wait until ACTIVE."""
        deadline = time.monotonic() + timeout
        try:
            client.create_table(
                TableName=self.table_name,
                AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                BillingMode="PAY_PER_REQUEST",
            )
            logger.info("created DynamoDB table %s", self.table_name)
        except client.exceptions.ResourceInUseException:
            pass  # it exists, or another process is creating it right now
        while client.describe_table(TableName=self.table_name)["Table"]["TableStatus"] != "ACTIVE":
            if time.monotonic() > deadline:
                raise StorageError(f"DynamoDB table {self.table_name} is not active")
            time.sleep(0.05)


class _ConditionFailed(Exception):
    """A conditional write lost a race (or met a newer format); internal only."""


def _number(attribute: Mapping[str, str] | None) -> int | None:
    try:
        return int(attribute["N"]) if attribute is not None else None
    except (KeyError, TypeError, ValueError):
        return None


# Factory -----------------------------------------------------------------------------


def create_persistence_adapter(
    environ: Mapping[str, str] = os.environ,
) -> PersistenceAdapter | None:
    """The adapter the configuration asks for, or None for ``STORE=none``.

    Nothing is opened here: a store that is down at start-up must not stop the skill
    from answering, it only makes saving fail later (as StorageError). For ``dynamodb``
    with an explicit endpoint (dynalite, DynamoDB Local) the table is created on first
    use; on AWS it is provisioned with the deployment, so no CreateTable permission is
    needed.
    """
    store = environ.get(config.STORE, "sqlite").strip().lower() or "sqlite"
    if store == "none":
        return None
    if store == "sqlite":
        path = Path(environ.get(config.DB) or DATA_DIR / DEFAULT_SQLITE_FILE)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:  # e.g. a read-only file system: saving will fail later
            logger.warning("cannot create the directory for %s: %s", path, error)
        return SQLitePersistenceAdapter(path)
    if store == "dynamodb":
        endpoint = environ.get(config.DYNAMODB_ENDPOINT) or None
        return DynamoDBPersistenceAdapter(
            table_name=environ.get(config.DYNAMODB_TABLE) or DEFAULT_DYNAMODB_TABLE,
            region=environ.get(config.DYNAMODB_REGION) or DEFAULT_DYNAMODB_REGION,
            endpoint_url=endpoint,
            create_table=endpoint is not None,
        )
    raise ValueError(
        f"{config.STORE}={environ.get(config.STORE)!r} is not a known store; "
        "use 'sqlite', 'dynamodb' or 'none'"
    )
