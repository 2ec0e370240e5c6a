"""Who a request is from, and how that is written down without writing the id itself.

An Alexa user id is personal data: storage keys it by its SHA-256, and logs carry at
most the first :data:`TAG_LENGTH` hex digits of that key.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ask_sdk_model import RequestEnvelope

# Hex digits of a user key that logs may show: enough to correlate lines, not to identify.
TAG_LENGTH = 12


def user_key(user_id: str) -> str:
    """The storage key for a user: SHA-256 hex of the Alexa user id, never the id itself.

    Also the way to find a user's row for a data-subject request: hash their id.
    """
    return hashlib.sha256(user_id.encode("utf-8")).hexdigest()


def person_key(user_id: str, person_id: str) -> str:
    """The key of a person (an Alexa voice profile) within an account: SHA-256 hex of both
    ids, so the same person has unrelated keys in different accounts.
    """
    return hashlib.sha256(f"{user_id}\n{person_id}".encode()).hexdigest()


def person_id_of(request_envelope: RequestEnvelope) -> str | None:
    """The recognised speaker's ``context.System.person.personId``, if Alexa sent one."""
    system = getattr(getattr(request_envelope, "context", None), "system", None)
    person_id = getattr(getattr(system, "person", None), "person_id", None)
    return person_id if isinstance(person_id, str) and person_id else None


def key_tag(key: str) -> str:
    """Enough of a user key to correlate log lines, not enough to be a user identifier."""
    return key[:TAG_LENGTH]


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
