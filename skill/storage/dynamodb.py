"""Per-user attributes in a DynamoDB table, for Lambda or several hosts."""

from __future__ import annotations

import os
import random
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

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

# Expression aliases: "data" is a DynamoDB reserved word, the others are aliased alike.
_NAMES = {"#d": "data", "#v": "format_version", "#r": "revision"}


class DynamoDBPersistenceAdapter(PersistenceAdapter):
    """Attributes in a DynamoDB table (partition key ``id``, a string), through botocore.

    One attempt of a call takes at most ``connect_timeout + read_timeout`` (0.5 + 1.0 s;
    DynamoDB answers in milliseconds). botocore retries nothing itself: a throttled,
    failing or unreachable call is retried here, up to ``max_attempts`` in all, and only
    while the request's store budget (:func:`~skill.storage.base.time_budget`) still holds
    a whole attempt. So a frozen or unreachable store costs a request at most that budget
    (3 s in :class:`~skill.coach.step_coach.StepCoach`; Alexa gives a skill 8), all its
    calls together, and then StorageError; outside a budget a call gives up after
    ``max_attempts`` attempts. ``update_attributes`` is optimistic: read with a consistent
    read, write with a condition on the ``revision`` read, and on a conflict start again,
    a bounded number of times. The client is made lazily per process, so building the
    adapter before a fork is safe; :meth:`prime` builds it ahead of the first request.
    """

    def __init__(
        self,
        table_name: str,
        region: str,
        endpoint_url: str | None = None,
        create_table: bool = False,
        *,
        connect_timeout: float = 0.5,
        read_timeout: float = 1.0,
        max_attempts: int = 3,
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
        # aws_access_key_id / aws_secret_access_key for a local server; None: botocore's chain.
        self._credentials = dict(credentials or {})
        self._client_state: tuple[int, Any] | None = None
        self._loader: Any = None  # botocore's loader, with the service model it has read
        self._table_ready_pid: int | None = None

    def __repr__(self) -> str:
        return f"DynamoDBPersistenceAdapter({self.table_name!r}, {self.region!r})"

    def _update(self, key: str, mutate: Mutation) -> Attributes:
        for attempt in range(self.conflict_attempts):
            row = self._read(key)
            decoded = Decoded({}, None) if row is None else self._decode(key, row)
            new = self._mutated(key, decoded.attributes, mutate)
            data = self._encode(key, new)
            if row is None or row.revision is None:
                # A new user (or a row from before revisions): nobody may have written since.
                revision = 1
                condition: dict[str, Any] = {
                    "ConditionExpression": "attribute_not_exists(#r)",
                    "ExpressionAttributeNames": {"#r": "revision"},
                }
            else:
                # A damaged revision (not a number) is matched as it was read, then restarts.
                read = row.revision
                revision = read + 1 if isinstance(read, int) else 1
                condition = {
                    "ConditionExpression": "#r = :read",
                    "ExpressionAttributeNames": {"#r": "revision"},
                    "ExpressionAttributeValues": {
                        ":read": {"N": str(read)} if isinstance(read, int) else read
                    },
                }
            try:
                self._call(key, "put_item", Item=self._item(key, data, revision), **condition)
            except _ConditionFailed:
                # Someone else wrote in between: back off a little (jittered) and redo.
                time.sleep(random.uniform(0, min(0.05, 0.004 * 2**attempt)))
                continue
            self._healed(key, decoded.damage)
            return new
        logger.warning(
            "user %s: gave up after %d write conflicts", key_tag(key), self.conflict_attempts
        )
        raise StorageError("too many concurrent updates of the same user; try again")

    def close(self) -> None:
        if self._client_state is not None and self._client_state[0] == os.getpid():
            self._client_state[1].close()
        self._client_state = None

    # Back-end primitives ----------------------------------------------------------------

    def _read(self, key: str) -> StoredRow | None:
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
        return StoredRow(
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
                # Only a newer release's (numeric) format is kept from a blind write.
                ConditionExpression=(
                    "attribute_not_exists(#v) OR NOT attribute_type(#v, :number) OR #v <= :version"
                ),
                ExpressionAttributeNames={**_NAMES, "#u": "updated_at"},
                ExpressionAttributeValues={
                    ":data": {"S": data},
                    ":version": {"N": str(self.format_version)},
                    ":number": {"S": "N"},
                    ":now": {"S": now_iso()},
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
            "updated_at": {"S": now_iso()},
        }

    # Client, table and errors -------------------------------------------------------------

    def _call(self, key: str, operation: str, **arguments: Any) -> dict[str, Any]:
        """One DynamoDB call, its attempts bounded as the class says; every failure but a
        failed condition becomes StorageError."""
        from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError
        from botocore.exceptions import ConnectionError as NoConnection

        attempt_seconds = self.connect_timeout + self.read_timeout
        for attempt in range(1, self.max_attempts + 1):
            check_time(key, attempt_seconds, f"DynamoDB {operation}")
            try:
                client = self._client()
                return getattr(client, operation)(TableName=self.table_name, **arguments)
            except ClientError as error:
                details = error.response.get("Error", {})
                code = details.get("Code", "")
                if code == "ConditionalCheckFailedException":
                    raise _ConditionFailed from error
                status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
                retry = code in _RETRYABLE_CODES or status >= 500
                reason = f"{code}: {details.get('Message', '')}"
                failure = StorageError(f"DynamoDB {operation} failed: {reason}")
            except BotoCoreError as error:
                retry = isinstance(error, HTTPClientError | NoConnection)  # timeouts, refusals
                reason = str(error)
                failure = StorageError(f"DynamoDB is unreachable: {error}")
            logger.warning(
                "DynamoDB %s failed for user %s (attempt %d): %s",
                operation,
                key_tag(key),
                attempt,
                reason,
            )
            if not retry or attempt == self.max_attempts:
                raise failure
            time.sleep(random.uniform(0, 0.025 * 2**attempt))  # jittered, a few tens of ms
        raise AssertionError("unreachable")

    def prime(self) -> None:
        """Build the client now, with no network call: botocore's import, DynamoDB's service
        model and endpoint rules, and each call the skill makes once, answered inside the
        client (its ``before-send`` event returns an empty item, so nothing is sent), which
        builds the operations' serializers, signing and parsers. The table itself is checked
        (where the adapter creates it) by the first request.
        """
        import encodings.idna  # noqa: F401  (urllib3 reads the host with it on first connecting)

        client = self._new_client()
        self._client_state = (os.getpid(), client)
        table_ready, self._table_ready_pid = self._table_ready_pid, os.getpid()  # not checked
        client.meta.events.register_first("before-send.dynamodb", _answered_inside)
        try:
            key = "step-coach-priming"
            self._read(key)
            self._call(key, "put_item", Item=self._item(key, "{}", 1))
            self._write(key, "{}")
            self._delete(key)
        finally:
            client.meta.events.unregister("before-send.dynamodb", _answered_inside)
            self._table_ready_pid = table_ready

    def renew(self) -> None:
        """A new client after a snapshot restore, primed again: no connection and no
        credentials shared with the other instances restored from the same snapshot. The
        service model stays loaded, so this costs a credential lookup and no parsing.
        """
        self.close()
        self.prime()

    def _client(self) -> Any:
        pid = os.getpid()
        if self._client_state is None or self._client_state[0] != pid:
            self._client_state = (pid, self._new_client())
        client = self._client_state[1]
        if self.create_table and self._table_ready_pid != pid:
            self._ensure_table(client)
            self._table_ready_pid = pid
        return client

    def _new_client(self) -> Any:
        # botocore's own session: the client is all this adapter uses, and boto3's resource
        # layer on top of it would be a tenth more of the import for nothing.
        import botocore.session
        from botocore.config import Config

        session = botocore.session.get_session()
        if self._loader is not None:  # the service model as already read, not read again
            session.register_component("data_loader", self._loader)
        self._loader = session.get_component("data_loader")
        if self._credentials:
            session.set_credentials(
                self._credentials["aws_access_key_id"], self._credentials["aws_secret_access_key"]
            )
        return session.create_client(
            "dynamodb",
            region_name=self.region,
            endpoint_url=self.endpoint_url,
            config=Config(
                connect_timeout=self.connect_timeout,
                read_timeout=self.read_timeout,
                retries={"mode": "standard", "total_max_attempts": 1},  # see _call
            ),
        )

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


class _EmptyBody:
    def stream(self) -> list[bytes]:
        return [b"{}"]


def _answered_inside(request: Any, **_: Any) -> Any:
    """botocore's ``before-send`` handler: the answer DynamoDB gives to a call with no item."""
    from botocore.awsrequest import AWSResponse

    return AWSResponse(request.url, 200, {}, _EmptyBody())


class _ConditionFailed(Exception):
    """A conditional write lost a race (or met a newer format); internal only."""


# Errors worth another attempt: throttling and DynamoDB's own transient failures.
_RETRYABLE_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
    }
)


def _number(attribute: Mapping[str, str] | None) -> object:
    """An integer attribute's value; a damaged one (a string, 2.5) is returned as it is."""
    if attribute is None:
        return None
    try:
        return int(attribute["N"])
    except (KeyError, TypeError, ValueError):
        return attribute
