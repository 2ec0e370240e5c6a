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
        "Alexa.Presentation.APL.RuntimeError",
    }
)

# Requests that take no speech in reply: Alexa refuses a response that speaks to them.
SILENT_REQUEST_TYPES = frozenset(
    {
        "SessionEndedRequest",
        "AlexaSkillEvent.SkillDisabled",
        "AlexaSkillEvent.SkillEnabled",
        "System.ExceptionEncountered",
        "Alexa.Presentation.APL.RuntimeError",
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

# Attributes the SDK's model classes keep for themselves. Its deserializer copies every
# key it does not know onto the model, so a JSON key of one of these names would replace
# them: "object_type" would change which handler a request goes to. Alexa never sends them.
RESERVED_KEYS = frozenset(
    {
        "object_type",
        "deserialized_types",
        "attribute_map",
        "supports_multiple_types",
        "discriminator_value_class_map",
        "json_discriminator_key",
    }
)


def is_text(value: str) -> bool:
    """Whether a string is encodable text: JSON's "\\ud800" escape makes a lone surrogate,
    which no UTF-8 encoder (hashing, SQLite, a log file) accepts."""
    if value.isascii():
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _scan(value: object, limit: int = MAX_DEPTH) -> str | None:
    """The first thing no Alexa envelope holds, or None: nesting deeper than ``limit``, a
    string that is not text, a reserved key. Level by level, not recursively.

    Parsed JSON holds plain dicts and lists only, so exact type checks suffice.
    """
    level = [value] if type(value) is dict or type(value) is list else []
    for depth in range(limit + 1):
        if depth == limit:  # only empty containers may be this deep
            return f"the envelope nests deeper than {limit} levels" if any(level) else None
        deeper = []
        for item in level:
            if type(item) is dict:
                for key, child in item.items():
                    if key in RESERVED_KEYS:
                        return f"the key {key!r} is reserved"
                    if not is_text(key):
                        return "a key is not valid text (a lone surrogate)"
                    if type(child) is dict or type(child) is list:
                        deeper.append(child)
                    elif type(child) is str and not is_text(child):
                        return "a string is not valid text (a lone surrogate)"
            else:
                for child in item:
                    if type(child) is dict or type(child) is list:
                        deeper.append(child)
                    elif type(child) is str and not is_text(child):
                        return "a string is not valid text (a lone surrogate)"
        if not deeper:
            return None
        level = deeper
    return None


def validate_envelope(envelope: object) -> dict[str, Any]:
    """Check the fields the skill relies on; raise :class:`InvalidRequest` otherwise."""
    if not isinstance(envelope, dict):
        raise InvalidRequest("the body must be a JSON object")
    problem = _scan(envelope)
    if problem is not None:
        raise InvalidRequest(problem)
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
    if request_type == "Alexa.Presentation.APL.RuntimeError":
        for error in _optional(request, "errors", list, "request") or []:
            if not isinstance(error, dict):
                raise InvalidRequest("request.errors must hold objects")
            _optional(error, "type", str, "request.errors[]")
            _optional(error, "message", str, "request.errors[]")
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
