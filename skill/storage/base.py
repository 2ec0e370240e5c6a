"""Per-user persistent attributes behind ask-sdk-core's persistence interface.

Two back ends share one storage format and one error contract:

* :class:`SQLitePersistenceAdapter` for a single host, safe with several gunicorn worker
  processes (and threads) writing at once;
* :class:`DynamoDBPersistenceAdapter` for Lambda or several hosts.

Storage format (both back ends)
    One row/item per user (an Alexa account, which a household shares), keyed by
    ``user_key(user_id)``: the SHA-256 hex digest of the Alexa user id. Since format 2
    the payload is ``{"account": {...}, "persons": {person_key: {...}}}``, so every
    person's data lives in the account's one row: reading or updating one person is the
    same atomic read-modify-write, and forgetting the account is one delete. The raw
    ids are personal data; they are never stored and never logged (logs carry at most
    the first 12 hex digits of the key). Columns/attributes: ``id`` (the
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
    out of time, ...) surfaces as :class:`StorageError`, so the skill can say it could not
    save this time and carry on.

Damaged rows
    A row that cannot be read as stored (truncated JSON, ``null``, a list or a string
    where an object belongs, a ``format_version`` such as ``'two'``, ``-1`` or ``2.5``)
    is healed, not refused: what can be read is kept (an object payload with a nonsense
    version is read as the format its shape shows; anything else is an empty record),
    the row is rewritten in the current format by the first read or update that meets
    it, and that rewrite is logged once. A row whose migration fails is different: that
    is this code's fault, not the row's, so it raises :class:`CorruptRecordError` and is
    left for a fixed release.

Time
    A request gives all its store calls one budget (:func:`time_budget`): an adapter
    starts an attempt (a DynamoDB call, a wait for SQLite's write lock) only while the
    budget still holds the attempt's worst case, and otherwise raises :class:`OutOfTime`.
"""

from __future__ import annotations

import json
import logging
import time
from abc import ABCMeta, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter

from skill.alexa.ids import key_tag, user_id_of, user_key

if TYPE_CHECKING:
    from ask_sdk_model import RequestEnvelope

logger = logging.getLogger("skill.persistence")

Attributes = dict[str, Any]
Mutation = Callable[[Attributes], Attributes | None]
Migration = Callable[[Attributes], Attributes]

# The payload format this code writes.
FORMAT_VERSION = 2


def _from_format_0(attributes: Attributes) -> Attributes:
    """Format 0 is any row written before payloads were versioned: the same JSON object.

    Nothing changes in its shape; the step exists so that the chain starts at 0 and the
    next format change only has to add ``MIGRATIONS[1]``.
    """
    return dict(attributes)


def _from_format_1(attributes: Attributes) -> Attributes:
    """Format 2 keeps a household on one row: the account's record, and one per person.

    A format-1 row is the account's record (written before voice profiles counted), so
    it becomes ``account``; nobody has a person record yet.
    """
    return {ACCOUNT: dict(attributes), PERSONS: {}}


# Format 2's two parts: the record of whoever speaks without a voice profile, and the
# records of recognised persons, keyed by ``person_key``.
ACCOUNT, PERSONS = "account", "persons"

# {from_version: function turning a payload of that version into version + 1}.
MIGRATIONS: Mapping[int, Migration] = {0: _from_format_0, 1: _from_format_1}


class StorageError(Exception):
    """The store could not do its job this time; the skill should carry on without it."""


class CorruptRecordError(StorageError):
    """A user's stored row cannot be migrated by this code (see "Damaged rows")."""


class OutOfTime(StorageError):
    """The request's store budget cannot hold another attempt."""


class NewerFormatError(StorageError):
    """A user's row was written by a newer release; this code neither reads nor overwrites it."""


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


# The monotonic time by which the current request's store calls must be done, if any.
_deadline: ContextVar[float | None] = ContextVar("step_coach_store_deadline", default=None)


@contextmanager
def time_budget(seconds: float) -> Iterator[None]:
    """Every store call made inside shares ``seconds``, retries and lock waits included."""
    token = _deadline.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        _deadline.reset(token)


def time_left() -> float | None:
    """Seconds left of the current budget (None outside one)."""
    deadline = _deadline.get()
    return None if deadline is None else deadline - time.monotonic()


def check_time(key: str, needed: float, what: str) -> float | None:
    """The budget left, if it holds ``needed`` seconds more; otherwise raise OutOfTime."""
    left = time_left()
    if left is not None and left < needed:
        logger.warning(
            "user %s: %s skipped, %.2f s of the store budget left", key_tag(key), what, left
        )
        raise OutOfTime(f"no time left for {what} ({max(left, 0):.2f} s)")
    return left


class StoredRow(NamedTuple):
    """A row as read back, before decoding."""

    data: object
    format_version: object
    revision: object  # an int; anything else only in a damaged row


class Decoded(NamedTuple):
    """A row's attributes in the current format, and why it needs rewriting, if it does."""

    attributes: Attributes
    damage: str | None


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
        """The user's attributes, migrated to the current format; ``{}`` for a new user.

        A damaged row is healed here (see the module doc), so it is logged once.
        """
        key = self._key(request_envelope)
        row = self._read(key)
        if row is None:
            return {}
        decoded = self._decode(key, row)
        if decoded.damage is None:
            return decoded.attributes
        try:
            return self._update(key, lambda attributes: None)
        except StorageError:
            logger.warning("user %s: the damaged row is rewritten on a later save", key_tag(key))
            return decoded.attributes

    def save_attributes(self, request_envelope: RequestEnvelope, attributes: Attributes) -> None:
        """Store ``attributes`` for the user, last writer wins (see ``update_attributes``)."""
        key = self._key(request_envelope)
        self._write(key, self._encode(key, attributes))

    def delete_attributes(self, request_envelope: RequestEnvelope) -> None:
        """Forget the user entirely, whatever format their row is in."""
        self._delete(self._key(request_envelope))

    # Beyond the interface ---------------------------------------------------------------

    def update_attributes(self, request_envelope: RequestEnvelope, mutate: Mutation) -> Attributes:
        """Atomically read the user's attributes, apply ``mutate`` and store the result.

        ``mutate`` gets the current attributes (``{}`` for a new user) and either changes
        them in place and returns ``None`` or returns a new dict. Concurrent updates of the
        same user never lose each other's change. ``mutate`` may be called more than once
        (DynamoDB retries on a conflict), so it must not have other side effects. An
        exception from ``mutate`` is re-raised unchanged and nothing is written. Returns
        the attributes as stored.
        """
        return self._update(self._key(request_envelope), mutate)

    def prime(self) -> None:
        """Build now what the first request would (a client, its configuration), with no call
        to the store, so a server or a Lambda snapshot starts with it. Nothing by default.
        """

    def renew(self) -> None:
        """After a Lambda snapshot restore: replace what must not be shared between the
        instances restored from one snapshot (connections, credentials). Nothing by default.
        """

    def close(self) -> None:
        """Release this thread's resources; the adapter reconnects if used again."""

    # Shared machinery -------------------------------------------------------------------

    @abstractmethod
    def _update(self, key: str, mutate: Mutation) -> Attributes:
        """``update_attributes`` by key; reports a healed row with :meth:`_healed`."""

    @abstractmethod
    def _read(self, key: str) -> StoredRow | None: ...

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
            logger.error("attributes for user %s are not JSON: %s", key_tag(key), error)
            raise StorageError(f"attributes are not JSON-serialisable: {error}") from error

    def _decode(self, key: str, row: StoredRow) -> Decoded:
        version = 0 if row.format_version is None else row.format_version
        damage = None
        if not isinstance(version, int) or isinstance(version, bool) or version < 0:
            damage = f"bad format_version {str(version)[:40]!r}"
        elif version > self.format_version:
            logger.warning(
                "user %s has format %d, newer than this code's %d; leaving it alone",
                key_tag(key),
                version,
                self.format_version,
            )
            raise NewerFormatError(
                f"stored format {version} is newer than this release understands "
                f"({self.format_version})"
            )
        try:
            attributes = json.loads(row.data) if isinstance(row.data, str) else None
        except (ValueError, RecursionError):
            attributes = None
        if not isinstance(attributes, dict):
            return Decoded({}, damage or "the payload is not a JSON object")
        if damage is not None:  # a readable payload with a nonsense version: go by its shape
            version = self._format_of_shape(attributes)
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
        return Decoded(attributes, damage)

    def _format_of_shape(self, attributes: Attributes) -> int:
        """Format 2 holds only an account and persons; formats 0 and 1 are one record."""
        household = bool(attributes) and set(attributes) <= {ACCOUNT, PERSONS}
        return min(self.format_version, FORMAT_VERSION if household else 1)

    @staticmethod
    def _healed(key: str, damage: str | None) -> None:
        if damage is not None:
            logger.error(
                "stored attributes of user %s were damaged (%s): kept what could be read "
                "and rewrote the row",
                key_tag(key),
                damage,
            )

    def _mutated(self, key: str, attributes: Attributes, mutate: Mutation) -> Attributes:
        result = mutate(attributes)
        new = attributes if result is None else result
        if not isinstance(new, dict):
            raise StorageError(f"mutate must return a dict or None, not {type(new).__name__}")
        return new

    @staticmethod
    def _corrupt(key: str, reason: str) -> CorruptRecordError:
        logger.error("stored attributes of user %s are unreadable: %s", key_tag(key), reason)
        return CorruptRecordError(f"stored attributes are unreadable: {reason}")
