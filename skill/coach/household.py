"""A household on one Alexa account: whose progress record a request reads and writes.

When Alexa recognises the speaker's voice (``context.System.person``), the resume point,
history, streak, pace and sounds belong to that person; otherwise to the account, as
before voice profiles counted. All of them live in the account's one stored row (format
2 of :mod:`skill.storage.base`), so a person's update is the store's usual atomic
read-modify-write, and forgetting the account forgets everyone in it.

A person heard for the first time starts with the account's preferences (pace, sounds),
not its history or resume point. An Amazon Household has at most ten profiles, so at
most :data:`MAX_PERSONS` person records are kept, the least recently updated dropped
first: that bounds the row (about 11 x 200 history entries, well inside DynamoDB's
400 KB item limit).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from skill.storage.base import ACCOUNT, PERSONS

MAX_PERSONS = 10
# What a new person inherits from the account's record.
PREFERENCES = ("pace", "sounds")

Record = dict[str, Any]


def _part(payload: object, name: str) -> dict[str, Any]:
    part = payload.get(name) if isinstance(payload, dict) else None
    return part if isinstance(part, dict) else {}


def _inherited(account: Record) -> Record:
    return {key: account[key] for key in PREFERENCES if key in account}


def record_of(payload: object, person: str | None) -> object:
    """The stored record of ``person`` (None: the account) in an account's payload."""
    account = _part(payload, ACCOUNT)
    if person is None:
        return account
    persons = _part(payload, PERSONS)
    return persons[person] if person in persons else _inherited(account)


def with_record(payload: object, person: str | None, change: Callable[[object], Record]) -> Record:
    """The payload with ``change`` applied to the record of ``person`` (or the account)."""
    account = _part(payload, ACCOUNT)
    persons = dict(_part(payload, PERSONS))
    if person is None:
        return {ACCOUNT: change(account), PERSONS: persons}
    current = persons.pop(person) if person in persons else _inherited(account)
    persons[person] = change(current)  # last in order: the most recently updated
    while len(persons) > MAX_PERSONS:
        persons.pop(next(iter(persons)))
    return {ACCOUNT: account, PERSONS: persons}
