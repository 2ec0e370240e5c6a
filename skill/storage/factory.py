"""The store the configuration asks for."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from skill import settings
from skill.settings import DATA_DIR
from skill.storage.base import PersistenceAdapter, logger

DEFAULT_SQLITE_FILE = "step_coach.sqlite3"
DEFAULT_DYNAMODB_TABLE = "step_coach_users"
DEFAULT_DYNAMODB_REGION = "us-east-1"


def create_persistence_adapter(
    environ: Mapping[str, str] = os.environ,
) -> PersistenceAdapter | None:
    """The adapter the configuration asks for, or None for ``STORE=none``.

    Nothing is opened here: a store that is down at start-up must not stop the skill
    from answering, it only makes saving fail later (as StorageError). For ``dynamodb``
    with an explicit endpoint (dynalite, DynamoDB Local) the table is created on first
    use (unless ``STEP_COACH_DYNAMODB_CREATE_TABLE=0``); on AWS it is provisioned with the
    deployment, so no CreateTable permission is needed.
    """
    store = environ.get(settings.STORE, "sqlite").strip().lower() or "sqlite"
    if store == "none":
        return None
    if store == "sqlite":
        from skill.storage.sqlite import SQLitePersistenceAdapter  # not imported on Lambda

        path = Path(environ.get(settings.DB) or DATA_DIR / DEFAULT_SQLITE_FILE)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:  # e.g. a read-only file system: saving will fail later
            logger.warning("cannot create the directory for %s: %s", path, error)
        return SQLitePersistenceAdapter(path)
    if store == "dynamodb":
        from skill.storage.dynamodb import DynamoDBPersistenceAdapter

        endpoint = environ.get(settings.DYNAMODB_ENDPOINT) or None
        return DynamoDBPersistenceAdapter(
            table_name=environ.get(settings.DYNAMODB_TABLE) or DEFAULT_DYNAMODB_TABLE,
            region=environ.get(settings.DYNAMODB_REGION) or DEFAULT_DYNAMODB_REGION,
            endpoint_url=endpoint,
            create_table=endpoint is not None
            and environ.get(settings.DYNAMODB_CREATE_TABLE, "1").strip() != "0",
        )
    raise ValueError(
        f"{settings.STORE}={environ.get(settings.STORE)!r} is not a known store; "
        "use 'sqlite', 'dynamodb' or 'none'"
    )
