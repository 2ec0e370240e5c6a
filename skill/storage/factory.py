"""The store the configuration asks for."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

from skill import settings
from skill.settings import DATA_DIR, ConfigurationError
from skill.storage.base import PersistenceAdapter, logger

DEFAULT_SQLITE_FILE = "step_coach.sqlite3"
DEFAULT_DYNAMODB_TABLE = "step_coach_users"
DEFAULT_DYNAMODB_REGION = "us-east-1"
# What botocore accepts as a region name.
_REGION = re.compile(r"[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?")


def _endpoint(environ: Mapping[str, str]) -> str | None:
    """The DynamoDB endpoint URL, checked now rather than by every request's store call."""
    endpoint = environ.get(settings.DYNAMODB_ENDPOINT, "").strip() or None
    if endpoint is None:
        return None
    try:
        parts = urlsplit(endpoint)
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(
            f"{settings.DYNAMODB_ENDPOINT}={endpoint[:100]!r} is not a URL; "
            "use http(s)://host:port, or leave it unset for AWS"
        )
    return endpoint


def create_persistence_adapter(
    environ: Mapping[str, str] = os.environ,
) -> PersistenceAdapter | None:
    """The adapter the configuration asks for, or None for ``STORE=none``.

    Nothing is opened here: a store that is down at start-up must not stop the skill
    from answering, it only makes saving fail later (as StorageError). A setting the
    store cannot work with at all (an unknown store, an endpoint that is no URL) is a
    :class:`~skill.settings.ConfigurationError` now, once, rather than a failure per
    request. For ``dynamodb``
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

        endpoint = _endpoint(environ)
        region = environ.get(settings.DYNAMODB_REGION, "").strip() or DEFAULT_DYNAMODB_REGION
        if not _REGION.fullmatch(region):
            raise ConfigurationError(
                f"{settings.DYNAMODB_REGION}={region[:100]!r} is not an AWS region name"
            )
        return DynamoDBPersistenceAdapter(
            table_name=environ.get(settings.DYNAMODB_TABLE) or DEFAULT_DYNAMODB_TABLE,
            region=region,
            endpoint_url=endpoint,
            create_table=endpoint is not None
            and environ.get(settings.DYNAMODB_CREATE_TABLE, "1").strip() != "0",
        )
    raise ConfigurationError(
        f"{settings.STORE}={environ.get(settings.STORE, '')[:100]!r} is not a known store; "
        "use 'sqlite', 'dynamodb' or 'none'"
    )
