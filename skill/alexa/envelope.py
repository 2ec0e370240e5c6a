"""The shape of an Alexa request envelope, checked before anything trusts it.

A malformed request must be the caller's 4xx, never our 500: every field the skill
relies on is checked here, without recursion, before the SDK's deserializer sees it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Request types the skill answers; anything else is refused as a bad request.
SUPPORTED_REQUEST_TYPES = frozenset(
    {
        "LaunchRequest",
        "IntentRequest",
        "SessionEndedRequest",
        "Alexa.Presentation.APL.UserEvent",
        "AlexaSkillEvent.SkillDisabled",
        "AlexaSkillEvent.SkillEnabled",
        "System.ExceptionEncountered",
    }
)


# Alexa sends these inside a session; skill events and exception reports come without one.
IN_SESSION_REQUEST_TYPES = frozenset(
    {"LaunchRequest", "IntentRequest", "SessionEndedRequest", "Alexa.Presentation.APL.UserEvent"}
)


class InvalidRequest(ValueError):
    """The body is not a well-formed Alexa request envelope; the reason is safe to show."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _require(mapping: Mapping[str, Any], key: str, kind: type, where: str) -> Any:
    value = mapping.get(key)
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise InvalidRequest(f"{where}.{key} must be a {kind.__name__}")
    return value


def _optional(mapping: Mapping[str, Any], key: str, kind: type, where: str) -> Any:
    if mapping.get(key) is None:
        return None
    return _require(mapping, key, kind, where)


# Alexa envelopes nest about six levels deep; session attributes add a few. Far deeper
# JSON is refused before anything recursive (the SDK's deserializer, json.dumps) sees it.
MAX_DEPTH = 32


def _too_deep(value: object, limit: int = MAX_DEPTH) -> bool:
    """Whether JSON data nests deeper than ``limit``, checked level by level, not recursively.

    Parsed JSON holds plain dicts and lists only, so exact type checks suffice.
    """
    level = [value] if type(value) is dict or type(value) is list else []
    for _ in range(limit):
        deeper = []
        for item in level:
            for child in item.values() if type(item) is dict else item:
                if type(child) is dict or type(child) is list:
                    deeper.append(child)
        if not deeper:
            return False
        level = deeper
    return any(level)


def validate_envelope(envelope: object) -> dict[str, Any]:
    """Check the fields the skill relies on; raise :class:`InvalidRequest` otherwise."""
    if not isinstance(envelope, dict):
        raise InvalidRequest("the body must be a JSON object")
    if _too_deep(envelope):
        raise InvalidRequest(f"the envelope nests deeper than {MAX_DEPTH} levels")
    _require(envelope, "version", str, "envelope")
    request = _require(envelope, "request", dict, "envelope")
    request_type = _require(request, "type", str, "request")
    if request_type not in SUPPORTED_REQUEST_TYPES:
        raise InvalidRequest(f"unsupported request type {request_type[:60]!r}")
    _require(request, "requestId", str, "request")
    _require(request, "timestamp", str, "request")
    _optional(request, "locale", str, "request")
    if request_type == "IntentRequest":
        intent = _require(request, "intent", dict, "request")
        _require(intent, "name", str, "request.intent")
        slots = _optional(intent, "slots", dict, "request.intent")
        for name, slot in (slots or {}).items():
            if not isinstance(slot, dict):
                raise InvalidRequest(f"request.intent.slots.{str(name)[:40]} must be an object")
            _optional(slot, "value", str, "slot")
            _optional(slot, "resolutions", dict, "slot")
    if request_type == "Alexa.Presentation.APL.UserEvent":
        _optional(request, "token", str, "request")
        _optional(request, "arguments", list, "request")
    session = _optional(envelope, "session", dict, "envelope")
    if session is not None:
        _optional(session, "new", bool, "session")
        _optional(session, "sessionId", str, "session")
        _optional(session, "attributes", dict, "session")
        _optional(session, "application", dict, "session")
        user = _optional(session, "user", dict, "session")
        if user is not None:
            _optional(user, "userId", str, "session.user")
    context = _optional(envelope, "context", dict, "envelope")
    if context is not None:
        system = _optional(context, "System", dict, "context")
        if system is not None:
            user = _optional(system, "user", dict, "context.System")
            if user is not None:
                _optional(user, "userId", str, "context.System.user")
            _optional(system, "application", dict, "context.System")
            person = _optional(system, "person", dict, "context.System")
            if person is not None:
                _optional(person, "personId", str, "context.System.person")
    if session is None and context is None:
        raise InvalidRequest("the envelope needs a session or a context")
    if session is None and request_type in IN_SESSION_REQUEST_TYPES:
        raise InvalidRequest(f"a {request_type} needs a session")
    return envelope
