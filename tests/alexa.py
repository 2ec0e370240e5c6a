"""Test support: Alexa request envelopes and a conversation driver for the skill core.

Not a test module. Tests import it as ``import alexa`` (pytest puts ``tests/`` on the
path because the folder has no ``__init__.py``).
"""

from __future__ import annotations

import html
import itertools
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from skill.catalog import default_catalog
from skill.core import IN_SESSION_REQUEST_TYPES
from skill.pacing import PACES

APPLICATION_ID = "amzn1.ask.skill.00000000-0000-0000-0000-000000000000"
USER_ID = "amzn1.ask.account.TESTUSER"
_ids = itertools.count(1)


def slot(name: str, value: str | None = None, resolved_id: str | None = None) -> dict:
    """A slot as Alexa sends it: with an ER_SUCCESS_MATCH block when the value resolved."""
    data: dict[str, Any] = {"name": name, "confirmationStatus": "NONE"}
    if value is not None:
        data["value"] = value
    if resolved_id is not None:
        data["resolutions"] = {
            "resolutionsPerAuthority": [
                {
                    "authority": f"amzn1.er-authority.echo-sdk.{APPLICATION_ID}.X",
                    "status": {"code": "ER_SUCCESS_MATCH"},
                    "values": [{"value": {"name": value, "id": resolved_id}}],
                }
            ]
        }
    elif value is not None:
        data["resolutions"] = {
            "resolutionsPerAuthority": [
                {
                    "authority": f"amzn1.er-authority.echo-sdk.{APPLICATION_ID}.X",
                    "status": {"code": "ER_SUCCESS_NO_MATCH"},
                }
            ]
        }
    return data


def envelope(
    request_type: str = "LaunchRequest",
    *,
    intent: str | None = None,
    slots: Mapping[str, dict] | None = None,
    attributes: Mapping[str, Any] | None = None,
    new: bool = False,
    locale: str = "en-US",
    user_id: str = USER_ID,
    application_id: str = APPLICATION_ID,
    timestamp: datetime | None = None,
    extra_request: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    stamp = (timestamp or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    request: dict[str, Any] = {
        "type": "IntentRequest" if intent else request_type,
        "requestId": f"amzn1.echo-api.request.{next(_ids)}",
        "timestamp": stamp,
        "locale": locale,
    }
    if intent:
        request["intent"] = {
            "name": intent,
            "confirmationStatus": "NONE",
            "slots": dict(slots or {}),
        }
    if request["type"] == "SessionEndedRequest":
        request["reason"] = "USER_INITIATED"
    request.update(extra_request or {})
    application = {"applicationId": application_id}
    user = {"userId": user_id}
    envelope: dict[str, Any] = {
        "version": "1.0",
        "session": {
            "new": new,
            "sessionId": "amzn1.echo-api.session.test",
            "application": application,
            "user": user,
            "attributes": dict(attributes or {}),
        },
        "context": {
            "System": {
                "application": application,
                "user": user,
                "device": {"deviceId": "amzn1.ask.device.TEST", "supportedInterfaces": {}},
                "apiEndpoint": "https://api.amazonalexa.com",
            }
        },
        "request": request,
    }
    if request["type"] not in IN_SESSION_REQUEST_TYPES:
        del envelope["session"]  # skill events and exception reports come without one
    return envelope


_TAGS = re.compile(r"<[^>]+>")


def plain(ssml: str) -> str:
    """The words of an SSML string, for 'the speech says X' assertions."""
    return " ".join(html.unescape(_TAGS.sub(" ", ssml)).split())


def speech_of(response: Mapping[str, Any]) -> str:
    return response["response"].get("outputSpeech", {}).get("ssml", "")


def turn_request(turn: Mapping[str, Any], attributes: Mapping[str, Any], new: bool) -> dict:
    """The envelope for one turn of a conversation table."""
    slots = {name: slot(name, value) for name, value in turn.get("slots", {}).items()}
    for name, (value, resolved) in turn.get("resolved", {}).items():
        slots[name] = slot(name, value, resolved)
    return envelope(
        turn.get("request", "IntentRequest"),
        intent=turn.get("intent"),
        slots=slots,
        attributes=turn.get("attributes", attributes),
        new=new,
        locale=turn.get("locale", "en-US"),
    )


# --- the exhaustive sweep: every request kind in every state ---------------------------
def sweep_states() -> list[dict]:
    """Session attributes for every workout, step, pace and pause/finish flag, and none."""
    catalog = default_catalog()
    states: list[dict] = [{}]
    for workout, pace in itertools.product([*catalog.exercises, *catalog.routines], PACES):
        for step in range(len(catalog.plan(workout).steps)):
            for paused, finished in ((False, False), (True, False), (False, True)):
                states.append(
                    {
                        "v": 1,
                        "pace": pace,
                        "safety_said": True,
                        "workout": {
                            "id": workout,
                            "step": step,
                            "paused": paused,
                            "finished": finished,
                        },
                        "offer": {"id": workout, "step": step},
                    }
                )
    return states


def _ask(intent: str, **slots: str) -> dict:
    return {"intent": intent, "slots": {k: slot(k, v) for k, v in slots.items()}}


def sweep_requests() -> list[tuple[str, dict]]:
    """One of every kind of request, as ``envelope()`` keyword arguments, with a label."""
    builtins = ["Next", "Previous", "Repeat", "StartOver", "Pause", "Resume", "Help", "Stop"]
    builtins += ["Cancel", "Fallback", "NavigateHome", "Yes", "No"]
    return [
        ("launch", {"request_type": "LaunchRequest"}),
        ("start", _ask("StartWorkoutIntent", exercise="donkey kicks")),
        ("start?", _ask("StartWorkoutIntent")),
        ("start!", _ask("StartWorkoutIntent", exercise="yoga")),
        ("knees", _ask("ProtectKneesIntent")),
        ("explain", _ask("ExplainIntent", topic="glute medius")),
        ("explain?", _ask("ExplainIntent")),
        ("explain!", _ask("ExplainIntent", topic="tax")),
        ("list", _ask("ListExercisesIntent")),
        ("progress", _ask("ProgressIntent")),
        ("pace", _ask("SetPaceIntent", pace="faster")),
        ("pace!", _ask("SetPaceIntent", pace="sideways")),
        *[(name, _ask(f"AMAZON.{name}Intent")) for name in builtins],
    ]
