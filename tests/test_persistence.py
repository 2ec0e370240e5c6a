"""Persistence contract, run against both back ends: SQLite in a temporary directory and
DynamoDB through a real dynalite server on loopback (``npm ci --prefix tests/dynalite``).

Concurrency is tested with real processes, forked after the adapter was already used, as
gunicorn does with a preloaded app.
"""

from __future__ import annotations

import hashlib
import json
import logging
import multiprocessing
import os
import signal
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from ask_sdk_core.attributes_manager import AttributesManager
from ask_sdk_model import Context, RequestEnvelope, Session, User
from ask_sdk_model.interfaces.system import SystemState

from skill import settings
from skill.alexa.ids import user_key
from skill.storage import factory
from skill.storage.base import (
    FORMAT_VERSION,
    CorruptRecordError,
    NewerFormatError,
    PersistenceAdapter,
    StorageError,
)
from skill.storage.dynamodb import DynamoDBPersistenceAdapter, _number
from skill.storage.factory import create_persistence_adapter
from skill.storage.sqlite import SQLitePersistenceAdapter
from tests.support import alexa, servers

FAKE_CREDENTIALS = servers.FAKE_AWS_CREDENTIALS
# Forked children inherit the adapter as it was in the parent, like gunicorn workers.
FORK = multiprocessing.get_context("fork")

ALICE = "amzn1.ask.account.ALICE-0123456789"
BOB = "amzn1.ask.account.BOB-9876543210"


def envelope(user_id: str | None, *, where: str = "context") -> RequestEnvelope:
    user = User(user_id=user_id)
    if where == "context":
        return RequestEnvelope(context=Context(system=SystemState(user=user)))
    return RequestEnvelope(session=Session(user=user))


def increment(attributes: dict[str, Any]) -> None:
    attributes["count"] = attributes.get("count", 0) + 1


# Back ends -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Backend:
    """One store under test, with a back door to its raw rows."""

    name: str
    sqlite_path: Path | None = None
    endpoint: str | None = None
    table: str | None = None

    def adapter(self, **options: Any) -> PersistenceAdapter:
        if self.name == "sqlite":
            return SQLitePersistenceAdapter(self.sqlite_path, **options)
        return DynamoDBPersistenceAdapter(
            self.table, "us-east-1", self.endpoint, True, credentials=FAKE_CREDENTIALS, **options
        )

    def raw_rows(self) -> dict[str, dict[str, Any]]:
        """Every stored row by key: data (text), format_version, revision."""
        if self.name == "sqlite":
            with sqlite3.connect(self.sqlite_path) as connection:
                rows = connection.execute(
                    "SELECT id, data, format_version, revision FROM user_attributes"
                ).fetchall()
            connection.close()
            return {
                key: {"data": data, "format_version": version, "revision": revision}
                for key, data, version, revision in rows
            }
        items = self._client().scan(TableName=self.table)["Items"]
        return {
            item["id"]["S"]: {
                "data": item["data"]["S"],
                "format_version": _number(item.get("format_version")),
                "revision": _number(item.get("revision")),
            }
            for item in items
        }

    def put_raw(
        self, user_id: str, data: str, format_version: object, revision: object = 7
    ) -> None:
        """Write a row behind the adapter's back (an older release, a newer one, a bug).

        A version or revision that is a str is stored as text (DynamoDB: an S attribute).
        """
        key = user_key(user_id)
        if self.name == "sqlite":
            self.adapter().get_attributes(envelope(user_id))  # creates the schema
            with sqlite3.connect(self.sqlite_path) as connection:
                connection.execute(
                    "INSERT OR REPLACE INTO user_attributes VALUES (?, ?, ?, ?, 'then')",
                    (key, data, 0 if format_version is None else format_version, revision),
                )
            connection.close()
            return
        self.adapter().get_attributes(envelope(user_id))  # creates the table

        def attribute(value: object) -> dict[str, str]:
            return {"S": value} if isinstance(value, str) else {"N": str(value)}

        item = {"id": {"S": key}, "data": {"S": data}}
        if format_version is not None:  # format 0 rows predate versions and revisions
            item["format_version"] = attribute(format_version)
            item["revision"] = attribute(revision)
        self._client().put_item(TableName=self.table, Item=item)

    def _client(self) -> Any:
        import boto3

        return boto3.session.Session(**FAKE_CREDENTIALS).client(
            "dynamodb", region_name="us-east-1", endpoint_url=self.endpoint
        )


@pytest.fixture(params=["sqlite", "dynamodb"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    if request.param == "sqlite":
        return Backend("sqlite", sqlite_path=tmp_path / "store.sqlite3")
    endpoint = request.getfixturevalue("dynalite")
    return Backend("dynamodb", endpoint=endpoint, table=f"step_coach_{uuid.uuid4().hex}")


@pytest.fixture
def store(backend: Backend) -> Iterator[PersistenceAdapter]:
    adapter = backend.adapter()
    yield adapter
    adapter.close()


@pytest.fixture
def sqlite_backend(tmp_path: Path) -> Backend:
    return Backend("sqlite", sqlite_path=tmp_path / "store.sqlite3")


# The contract ------------------------------------------------------------------------------


def test_unknown_user_loads_empty(store: PersistenceAdapter) -> None:
    assert store.get_attributes(envelope(ALICE)) == {}


def test_save_load_round_trip(store: PersistenceAdapter) -> None:
    attributes = {
        "pace": "slow",
        "history": [{"id": "plank", "n": 1.5, "done": True, "note": None}],
        "name": "Zoë 🏋",
        "nested": {"a": [1, 2, {"b": "c"}]},
    }
    store.save_attributes(envelope(ALICE), attributes)
    assert store.get_attributes(envelope(ALICE)) == attributes
    store.save_attributes(envelope(ALICE), {"pace": "fast"})
    assert store.get_attributes(envelope(ALICE)) == {"pace": "fast"}


def test_context_and_session_user_are_the_same_user(store: PersistenceAdapter) -> None:
    store.save_attributes(envelope(ALICE, where="session"), {"from": "session"})
    assert store.get_attributes(envelope(ALICE)) == {"from": "session"}


def test_delete(store: PersistenceAdapter, backend: Backend) -> None:
    store.delete_attributes(envelope(ALICE))  # nothing there: no error
    store.save_attributes(envelope(ALICE), {"a": 1})
    store.delete_attributes(envelope(ALICE))
    assert store.get_attributes(envelope(ALICE)) == {}
    assert backend.raw_rows() == {}


def test_users_never_see_each_other(store: PersistenceAdapter) -> None:
    store.save_attributes(envelope(ALICE), {"who": "alice"})
    store.update_attributes(envelope(BOB), lambda attributes: {"who": "bob"})
    assert store.get_attributes(envelope(ALICE)) == {"who": "alice"}
    assert store.get_attributes(envelope(BOB)) == {"who": "bob"}
    store.delete_attributes(envelope(ALICE))
    assert store.get_attributes(envelope(BOB)) == {"who": "bob"}


def test_the_raw_user_id_is_never_stored(store: PersistenceAdapter, backend: Backend) -> None:
    store.save_attributes(envelope(ALICE), {"a": 1})
    store.update_attributes(envelope(BOB), increment)
    rows = backend.raw_rows()
    assert set(rows) == {
        hashlib.sha256(ALICE.encode()).hexdigest(),
        hashlib.sha256(BOB.encode()).hexdigest(),
    }
    assert ALICE not in json.dumps(rows)
    assert all(row["format_version"] == FORMAT_VERSION for row in rows.values())
    if backend.sqlite_path is not None:
        for file in backend.sqlite_path.parent.glob(backend.sqlite_path.name + "*"):
            assert ALICE.encode() not in file.read_bytes()


def test_a_request_without_a_user_is_a_storage_error(store: PersistenceAdapter) -> None:
    with pytest.raises(StorageError, match="no user id"):
        store.get_attributes(envelope(None))
    with pytest.raises(StorageError, match="no user id"):
        store.save_attributes(RequestEnvelope(), {})


def test_update_in_place_or_by_returning(store: PersistenceAdapter) -> None:
    assert store.update_attributes(envelope(ALICE), increment) == {"count": 1}
    assert store.update_attributes(envelope(ALICE), increment) == {"count": 2}
    replaced = store.update_attributes(envelope(ALICE), lambda old: {"was": old["count"]})
    assert replaced == {"was": 2}
    assert store.get_attributes(envelope(ALICE)) == {"was": 2}


def test_a_failing_mutation_writes_nothing(store: PersistenceAdapter) -> None:
    store.save_attributes(envelope(ALICE), {"count": 1})

    def explode(attributes: dict[str, Any]) -> None:
        attributes["count"] = 99
        raise KeyError("bug in the handler")

    with pytest.raises(KeyError, match="bug in the handler"):
        store.update_attributes(envelope(ALICE), explode)
    with pytest.raises(StorageError, match="dict or None"):
        store.update_attributes(envelope(ALICE), lambda attributes: ["not", "a", "dict"])
    assert store.get_attributes(envelope(ALICE)) == {"count": 1}


@pytest.mark.parametrize("attributes", [{"when": object()}, {"x": float("nan")}, ["a", "list"]])
def test_unstorable_attributes_are_a_storage_error(store: PersistenceAdapter, attributes) -> None:
    with pytest.raises(StorageError):
        store.save_attributes(envelope(ALICE), attributes)
    assert store.get_attributes(envelope(ALICE)) == {}


def test_works_behind_the_sdk_attributes_manager(store: PersistenceAdapter) -> None:
    manager = AttributesManager(envelope(ALICE), persistence_adapter=store)
    manager.persistent_attributes = {"pace": "fast"}
    manager.save_persistent_attributes()
    assert AttributesManager(envelope(ALICE), store).persistent_attributes == {"pace": "fast"}
    manager.delete_persistent_attributes()
    assert AttributesManager(envelope(ALICE), store).persistent_attributes == {}


# No lost updates ---------------------------------------------------------------------------


def _increment_many(adapter: PersistenceAdapter, user_id: str, times: int, start) -> None:
    start.wait()
    for _ in range(times):
        adapter.update_attributes(envelope(user_id), increment)


def test_concurrent_processes_lose_no_update(store: PersistenceAdapter) -> None:
    """4 processes x 25 read-modify-writes of one counter, forked from a used adapter."""
    store.update_attributes(envelope(ALICE), increment)  # opened before the fork
    start = FORK.Barrier(4)
    workers = [
        FORK.Process(target=_increment_many, args=(store, ALICE, 25, start)) for _ in range(4)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert [worker.exitcode for worker in workers] == [0, 0, 0, 0]
    assert store.get_attributes(envelope(ALICE)) == {"count": 101}


def _uses_its_own_connection(adapter: SQLitePersistenceAdapter, inherited: object) -> None:
    connection = adapter._connection()
    assert connection is not inherited
    assert adapter.update_attributes(envelope(ALICE), increment) == {"count": 2}


def test_a_forked_child_never_touches_the_parents_sqlite_connection(
    sqlite_backend: Backend,
) -> None:
    """SQLite forbids carrying a connection across fork(); the child must open its own."""
    store = sqlite_backend.adapter()
    store.update_attributes(envelope(ALICE), increment)
    parents = store._connection()
    child = FORK.Process(target=_uses_its_own_connection, args=(store, parents))
    child.start()
    child.join(timeout=30)
    assert child.exitcode == 0
    assert store._connection() is parents
    assert store.get_attributes(envelope(ALICE)) == {"count": 2}


def test_concurrent_threads_lose_no_update(store: PersistenceAdapter) -> None:
    start = threading.Barrier(4)
    with ThreadPoolExecutor(4) as pool:
        for future in [pool.submit(_increment_many, store, BOB, 25, start) for _ in range(4)]:
            future.result()
    assert store.get_attributes(envelope(BOB)) == {"count": 100}


# Formats: migration, newer data, corrupt data ----------------------------------------------


@pytest.mark.parametrize("version", [None, 1], ids=["format-0", "format-1"])
def test_an_old_row_becomes_the_accounts_record(
    store: PersistenceAdapter, backend: Backend, version: int | None
) -> None:
    """Rows from before persons (format 0 and 1) are the account's record in format 2."""
    backend.put_raw(ALICE, '{"pace": "slow"}', format_version=version)
    migrated = {"account": {"pace": "slow"}, "persons": {}}
    assert store.get_attributes(envelope(ALICE)) == migrated
    assert store.update_attributes(envelope(ALICE), increment) == {**migrated, "count": 1}
    assert backend.raw_rows()[user_key(ALICE)]["format_version"] == FORMAT_VERSION == 2


def test_a_format_1_record_keeps_working_for_the_account_and_a_person(backend: Backend) -> None:
    """A row written before persons: the account resumes it, a person starts afresh."""
    from skill.coach.step_coach import StepCoach

    old = {
        "pace": "slow",
        "resume": {
            "kind": "exercise",
            "id": "clamshell",
            "step": 1,
            "saved_at": "2026-11-24T07:00:00+00:00",
        },
        "history": [],
        "total_completed": 0,
    }
    backend.put_raw(ALICE, json.dumps(old), format_version=1)
    store = backend.adapter()
    coach = StepCoach(persistence_adapter=store)

    def launch(person_id: str | None = None) -> dict[str, Any]:
        request = alexa.envelope("LaunchRequest", new=True, user_id=ALICE, person_id=person_id)
        return coach.handle(request)

    person = launch("amzn1.ask.person.P")
    assert "Last time" not in alexa.plain(alexa.speech_of(person))
    assert person["sessionAttributes"]["pace"] == "slow"  # inherited
    account = launch()
    assert "step 2 of 3 of clamshells" in alexa.plain(alexa.speech_of(account))
    coach.handle(
        alexa.envelope(
            intent="AMAZON.NoIntent", user_id=ALICE, attributes=account["sessionAttributes"]
        )
    )  # forgets the place: a write, in format 2
    row = backend.raw_rows()[user_key(ALICE)]
    assert row["format_version"] == 2
    assert json.loads(row["data"])["account"]["resume"] is None
    assert json.loads(row["data"])["account"]["pace"] == "slow"
    store.close()


def test_migrations_run_in_order(backend: Backend) -> None:
    backend.put_raw(ALICE, '{"steps": ["v1"]}', format_version=1)
    chain = {
        1: lambda data: {"steps": [*data["steps"], "v2"]},
        2: lambda data: {"steps": [*data["steps"], "v3"]},
    }
    later = backend.adapter(format_version=3, migrations=chain)
    assert later.get_attributes(envelope(ALICE)) == {"steps": ["v1", "v2", "v3"]}
    later.save_attributes(envelope(ALICE), later.get_attributes(envelope(ALICE)))
    assert backend.raw_rows()[user_key(ALICE)]["format_version"] == 3


@pytest.mark.parametrize(
    "chain",
    [{}, {1: lambda data: data["missing"]}, {1: lambda data: ["not", "a", "dict"]}],
    ids=["no-migration", "migration-raises", "migration-returns-junk"],
)
def test_a_broken_migration_is_a_corrupt_record(backend: Backend, chain) -> None:
    backend.put_raw(ALICE, "{}", format_version=1)
    with pytest.raises(CorruptRecordError):
        backend.adapter(format_version=2, migrations=chain).get_attributes(envelope(ALICE))


def test_newer_data_is_neither_read_nor_clobbered(
    store: PersistenceAdapter, backend: Backend
) -> None:
    """The documented choice: NewerFormatError (a StorageError) on load and on every write."""
    newer = backend.adapter(format_version=FORMAT_VERSION + 1)
    newer.save_attributes(envelope(ALICE), {"shape": "from the future"})
    before = backend.raw_rows()
    with pytest.raises(NewerFormatError):
        store.get_attributes(envelope(ALICE))
    with pytest.raises(NewerFormatError):
        store.save_attributes(envelope(ALICE), {"shape": "old"})
    with pytest.raises(NewerFormatError):
        store.update_attributes(envelope(ALICE), increment)
    assert backend.raw_rows() == before
    assert newer.get_attributes(envelope(ALICE)) == {"shape": "from the future"}
    store.delete_attributes(envelope(ALICE))  # "forget me" still works
    assert backend.raw_rows() == {}


HOUSEHOLD = '{"account": {"pace": "slow"}, "persons": {}}'
KEPT = {"account": {"pace": "slow"}, "persons": {}}

# Rows as a bug, a crash or a hand edit may leave them, and what is read back from each.
DAMAGED_ROWS = {
    "truncated-json": ('{"account": {"pace": "sl', FORMAT_VERSION, {}),
    "null": ("null", FORMAT_VERSION, {}),
    "a-list": ("[1, 2]", FORMAT_VERSION, {}),
    "empty-list": ("[]", FORMAT_VERSION, {}),
    "a-string": ('"text"', FORMAT_VERSION, {}),
    "empty": ("", FORMAT_VERSION, {}),
    "version-two": (HOUSEHOLD, "two", KEPT),
    "version-minus-1": ('{"pace": "slow"}', -1, KEPT),
    "version-2.5": (HOUSEHOLD, 2.5, KEPT),
    "version-text-record": ('{"pace": "slow"}', "", KEPT),
}


@pytest.mark.parametrize(("data", "version", "kept"), DAMAGED_ROWS.values(), ids=DAMAGED_ROWS)
def test_a_damaged_row_keeps_what_can_be_read_and_heals_once(
    store: PersistenceAdapter,
    backend: Backend,
    caplog: pytest.LogCaptureFixture,
    data: str,
    version: object,
    kept: dict[str, Any],
) -> None:
    backend.put_raw(ALICE, data, format_version=version)
    caplog.set_level("INFO", logger="skill.persistence")
    assert store.get_attributes(envelope(ALICE)) == kept
    healed = [record for record in caplog.records if "damaged" in record.getMessage()]
    assert len(healed) == 1 and user_key(ALICE)[:12] in healed[0].getMessage()
    row = backend.raw_rows()[user_key(ALICE)]
    assert row["format_version"] == FORMAT_VERSION
    assert json.loads(row["data"]) == kept
    caplog.clear()
    # From then on the row is an ordinary one: read and saved without a word in the log.
    assert store.get_attributes(envelope(ALICE)) == kept
    assert store.update_attributes(envelope(ALICE), increment) == {**kept, "count": 1}
    store.save_attributes(envelope(ALICE), {**kept, "count": 5})
    assert store.get_attributes(envelope(ALICE)) == {**kept, "count": 5}
    assert not [record for record in caplog.records if record.levelno >= logging.WARNING]


@pytest.mark.parametrize("data", ["{not json", "null"])
def test_an_update_heals_a_damaged_row_it_meets_first(
    store: PersistenceAdapter, backend: Backend, data: str
) -> None:
    backend.put_raw(ALICE, data, format_version="two")
    assert store.update_attributes(envelope(ALICE), increment) == {"count": 1}
    assert store.get_attributes(envelope(ALICE)) == {"count": 1}


def test_a_damaged_revision_heals_too(store: PersistenceAdapter, backend: Backend) -> None:
    backend.put_raw(ALICE, HOUSEHOLD, format_version=FORMAT_VERSION, revision="seven")
    assert store.update_attributes(envelope(ALICE), increment) == {**KEPT, "count": 1}
    assert store.update_attributes(envelope(ALICE), increment) == {**KEPT, "count": 2}


def test_a_damaged_row_no_longer_locks_the_user_out_of_saving(backend: Backend) -> None:
    """Before: every request said "I couldn't save your progress" and launch greeted the
    user as new. Now the first request heals the row and says nothing about saving."""
    from skill.coach.step_coach import StepCoach

    backend.put_raw(
        ALICE, '{"pace": "slow", "history": [], "total_completed": 0}', format_version="two"
    )
    coach = StepCoach(persistence_adapter=backend.adapter())
    launch = coach.handle(alexa.envelope("LaunchRequest", new=True, user_id=ALICE))
    assert launch["sessionAttributes"]["pace"] == "slow"  # kept
    pace = coach.handle(
        alexa.envelope(
            intent="SetPaceIntent",
            slots={"pace": alexa.slot("pace", "faster", "fast")},
            user_id=ALICE,
            attributes=launch["sessionAttributes"],
        )
    )
    assert "couldn't save" not in alexa.plain(alexa.speech_of(pace))
    assert json.loads(backend.raw_rows()[user_key(ALICE)]["data"])["account"]["pace"] == "fast"


def test_logs_and_errors_never_name_the_user(
    store: PersistenceAdapter, backend: Backend, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG", logger="skill.persistence")
    backend.put_raw(ALICE, "{not json", format_version=FORMAT_VERSION)
    backend.put_raw(BOB, "{}", format_version=FORMAT_VERSION + 5)
    assert store.get_attributes(envelope(ALICE)) == {}  # healed, and logged
    with pytest.raises(StorageError) as caught:
        store.get_attributes(envelope(BOB))
    assert user_key(ALICE)[:12] in caplog.text
    assert user_key(BOB)[:12] in caplog.text
    for user in (ALICE, BOB):
        assert user not in caplog.text
        assert user not in str(caught.value)


# Failures: the store is down, locked, or not a store ---------------------------------------


def _assert_storage_errors(adapter: PersistenceAdapter) -> None:
    """Every operation fails with StorageError, promptly (loosely: well below Alexa's 8 s)."""
    for operation in (
        lambda: adapter.get_attributes(envelope(ALICE)),
        lambda: adapter.save_attributes(envelope(ALICE), {"a": 1}),
        lambda: adapter.update_attributes(envelope(ALICE), increment),
        lambda: adapter.delete_attributes(envelope(ALICE)),
    ):
        started = time.monotonic()
        with pytest.raises(StorageError):
            operation()
        assert time.monotonic() - started < 6


def test_unreachable_dynamodb_fails_fast() -> None:
    closed_port = servers.free_port()
    _assert_storage_errors(
        DynamoDBPersistenceAdapter(
            "step_coach_users",
            "us-east-1",
            f"http://127.0.0.1:{closed_port}",
            credentials=FAKE_CREDENTIALS,
        )
    )


def test_missing_dynamodb_table_is_a_storage_error(dynalite: str) -> None:
    _assert_storage_errors(
        DynamoDBPersistenceAdapter(
            "no_such_table", "us-east-1", dynalite, credentials=FAKE_CREDENTIALS
        )
    )


@pytest.mark.parametrize("where", ["missing-directory", "a-directory", "not-a-database"])
def test_unusable_sqlite_file_is_a_storage_error(tmp_path: Path, where: str) -> None:
    path = {
        "missing-directory": tmp_path / "no" / "such" / "dir" / "store.sqlite3",
        "a-directory": tmp_path,
        "not-a-database": tmp_path / "junk.sqlite3",
    }[where]
    if where == "not-a-database":
        path.write_bytes(os.urandom(8192))
    _assert_storage_errors(SQLitePersistenceAdapter(path))


def test_a_locked_sqlite_database_fails_writes_after_the_busy_timeout(
    sqlite_backend: Backend,
) -> None:
    store = sqlite_backend.adapter(busy_timeout=0.2)
    store.save_attributes(envelope(ALICE), {"count": 1})
    blocker = sqlite3.connect(sqlite_backend.sqlite_path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        for write in (
            lambda: store.save_attributes(envelope(ALICE), {"count": 2}),
            lambda: store.update_attributes(envelope(ALICE), increment),
        ):
            started = time.monotonic()
            with pytest.raises(StorageError, match="locked"):
                write()
            assert time.monotonic() - started < 3
        assert store.get_attributes(envelope(ALICE)) == {"count": 1}  # WAL: reads go on
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert store.update_attributes(envelope(ALICE), increment) == {"count": 2}


# Killed writers (SQLite) -----------------------------------------------------------------


def _hold_the_write_lock(path: Path, holding) -> None:
    def stall(attributes: dict[str, Any]) -> None:
        attributes["count"] = -1
        holding.set()
        time.sleep(60)

    SQLitePersistenceAdapter(path).update_attributes(envelope(ALICE), stall)


def test_a_writer_killed_holding_the_lock_loses_only_its_change(
    sqlite_backend: Backend,
) -> None:
    store = sqlite_backend.adapter(busy_timeout=5)
    store.save_attributes(envelope(ALICE), {"count": 1})
    holding = FORK.Event()
    writer = FORK.Process(target=_hold_the_write_lock, args=(sqlite_backend.sqlite_path, holding))
    writer.start()
    assert holding.wait(timeout=20)
    os.kill(writer.pid, signal.SIGKILL)
    writer.join()
    assert store.get_attributes(envelope(ALICE)) == {"count": 1}
    assert store.update_attributes(envelope(ALICE), increment) == {"count": 2}


def _write_big_rows_forever(path: Path, acknowledged) -> None:
    store = SQLitePersistenceAdapter(path, busy_timeout=5)
    padding = "x" * 300_000  # dozens of pages per write, so a kill can land mid-write
    while True:
        done = store.update_attributes(
            envelope(ALICE), lambda data: {"count": data.get("count", 0) + 1, "pad": padding}
        )
        acknowledged.value = done["count"]


def test_writers_killed_mid_write_never_corrupt_the_store(sqlite_backend: Backend) -> None:
    store = sqlite_backend.adapter(busy_timeout=5)
    # No lock: a writer killed while holding it would leave it held for good.
    acknowledged = FORK.Value("q", 0, lock=False)
    for delay in (0.05, 0.11, 0.17, 0.23, 0.29):
        writer = FORK.Process(
            target=_write_big_rows_forever, args=(sqlite_backend.sqlite_path, acknowledged)
        )
        writer.start()
        before = acknowledged.value
        deadline = time.monotonic() + 20
        while acknowledged.value < before + 2 and time.monotonic() < deadline:
            time.sleep(0.005)
        time.sleep(delay)
        assert writer.exitcode is None, "the writer failed on its own"
        os.kill(writer.pid, signal.SIGKILL)
        writer.join()
        stored = store.get_attributes(envelope(ALICE))["count"]
        # Committed but not yet acknowledged is the one change in flight; nothing else.
        assert acknowledged.value <= stored <= acknowledged.value + 1
        acknowledged.value = stored
    with sqlite3.connect(sqlite_backend.sqlite_path) as check:
        assert check.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    check.close()


# DynamoDB optimistic concurrency -----------------------------------------------------------


class Racing:
    """A mutation during which another writer gets in first, ``races`` times."""

    def __init__(self, other: PersistenceAdapter, races: int) -> None:
        self.other, self.races, self.calls = other, races, 0

    def __call__(self, attributes: dict[str, Any]) -> None:
        self.calls += 1
        if self.calls <= self.races:
            self.other.save_attributes(envelope(ALICE), {"count": 100 * self.calls})
        increment(attributes)


def test_dynamodb_update_retries_when_another_writer_wins(dynalite: str) -> None:
    backend = Backend("dynamodb", endpoint=dynalite, table=f"step_coach_{uuid.uuid4().hex}")
    store, other = backend.adapter(), backend.adapter()
    store.save_attributes(envelope(ALICE), {"count": 0})
    mutate = Racing(other, races=2)
    assert store.update_attributes(envelope(ALICE), mutate) == {"count": 201}
    assert mutate.calls == 3
    assert store.get_attributes(envelope(ALICE)) == {"count": 201}


def test_dynamodb_update_gives_up_after_bounded_conflicts(dynalite: str) -> None:
    backend = Backend("dynamodb", endpoint=dynalite, table=f"step_coach_{uuid.uuid4().hex}")
    store = backend.adapter(conflict_attempts=3)
    mutate = Racing(backend.adapter(), races=10)
    with pytest.raises(StorageError, match="concurrent"):
        store.update_attributes(envelope(ALICE), mutate)
    assert mutate.calls == 3
    assert store.get_attributes(envelope(ALICE)) == {"count": 300}


# Factory -----------------------------------------------------------------------------------


def test_factory_none() -> None:
    assert create_persistence_adapter({settings.STORE: "none"}) is None


def test_factory_sqlite_default_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(factory, "DATA_DIR", tmp_path / "var")
    adapter = create_persistence_adapter({})
    assert isinstance(adapter, SQLitePersistenceAdapter)
    assert adapter.path == tmp_path / "var" / "step_coach.sqlite3"
    adapter.save_attributes(envelope(ALICE), {"a": 1})
    assert adapter.path.exists()


def test_factory_survives_an_uncreatable_directory(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a directory")
    adapter = create_persistence_adapter({settings.DB: str(tmp_path / "file" / "db.sqlite3")})
    assert isinstance(adapter, SQLitePersistenceAdapter)
    with pytest.raises(StorageError):
        adapter.get_attributes(envelope(ALICE))


def test_factory_sqlite_explicit_path(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "db.sqlite3"
    adapter = create_persistence_adapter({settings.STORE: " SQLite ", settings.DB: str(path)})
    assert isinstance(adapter, SQLitePersistenceAdapter)
    assert adapter.path == path
    assert path.parent.is_dir()


def test_factory_dynamodb() -> None:
    adapter = create_persistence_adapter(
        {
            settings.STORE: "dynamodb",
            settings.DYNAMODB_TABLE: "coach",
            settings.DYNAMODB_REGION: "eu-west-1",
            settings.DYNAMODB_ENDPOINT: "http://127.0.0.1:9",
        }
    )
    assert isinstance(adapter, DynamoDBPersistenceAdapter)
    assert (adapter.table_name, adapter.region, adapter.endpoint_url) == (
        "coach",
        "eu-west-1",
        "http://127.0.0.1:9",
    )
    assert adapter.create_table is True
    made = create_persistence_adapter(
        {
            settings.STORE: "dynamodb",
            settings.DYNAMODB_ENDPOINT: "http://127.0.0.1:9",
            settings.DYNAMODB_CREATE_TABLE: "0",
        }
    )
    assert isinstance(made, DynamoDBPersistenceAdapter) and made.create_table is False
    default = create_persistence_adapter({settings.STORE: "dynamodb"})
    assert isinstance(default, DynamoDBPersistenceAdapter)
    assert (default.table_name, default.region, default.endpoint_url) == (
        "step_coach_users",
        "us-east-1",
        None,
    )
    assert default.create_table is False


def test_factory_rejects_unknown_stores() -> None:
    with pytest.raises(ValueError, match=f"{settings.STORE}='redis'.*sqlite"):
        create_persistence_adapter({settings.STORE: "redis"})
