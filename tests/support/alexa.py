"""Test support: Alexa request envelopes and a conversation driver for the skill core.

Not a test module; tests and benchmarks import it as ``from tests.support import alexa``.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from skill.alexa import requests
from skill.alexa.envelope import IN_SESSION_REQUEST_TYPES
from skill.alexa.ssml import to_plain_text
from skill.coach.catalog import default_catalog
from skill.coach.pacing import PACES

APPLICATION_ID = "amzn1.ask.skill.00000000-0000-0000-0000-000000000000"
USER_ID = "amzn1.ask.account.TESTUSER"
DEVICE_ID = "amzn1.ask.device.TEST"
SESSION_ID = "amzn1.echo-api.session.test"
_ids = itertools.count(1)


def slot(name: str, value: str | None = None, resolved_id: str | None = None) -> dict:
    """A slot as Alexa sends it: with an ER_SUCCESS_MATCH block when the value resolved."""
    return requests.slot(name, value, resolved_id=resolved_id, application_id=APPLICATION_ID)


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
    screen: bool = False,
    person_id: str | None = None,
) -> dict[str, Any]:
    fields: dict[str, Any] = {"intent": requests.intent(intent, slots or {})} if intent else {}
    body = requests.request(
        "IntentRequest" if intent else request_type,
        locale=locale,
        now=timestamp,
        request_id=f"amzn1.echo-api.request.{next(_ids)}",
        **fields,
        **(extra_request or {}),
    )
    in_session = body["type"] in IN_SESSION_REQUEST_TYPES  # events come without a session
    return requests.envelope(
        body,
        requests.Identity(application_id, user_id, DEVICE_ID),
        session_id=SESSION_ID if in_session else None,
        new=new,
        attributes=attributes or {},
        screen=screen,
        person_id=person_id,
    )


def touch(
    arguments: list[Any],
    attributes: Mapping[str, Any],
    *,
    token: str | None = None,
    timestamp: datetime | None = None,
) -> dict[str, Any]:
    """A button press on an Echo Show; the request token is the screen's, as a device sends."""
    if token is None and arguments and isinstance(arguments, list) and len(arguments) > 1:
        token = arguments[1] if isinstance(arguments[1], str) else None
    body = requests.user_event(arguments, token, now=timestamp)
    return requests.envelope(
        body,
        requests.Identity(APPLICATION_ID, USER_ID, DEVICE_ID),
        session_id=SESSION_ID,
        attributes=attributes,
        screen=True,
    )


def on_screen(envelope: dict[str, Any]) -> dict[str, Any]:
    """The same request from an Echo Show: APL supported, and a viewport."""
    screen = requests.envelope(
        envelope["request"],
        requests.Identity(APPLICATION_ID, USER_ID, DEVICE_ID),
        session_id=None,
        screen=True,
    )["context"]
    return {**envelope, "context": {**envelope["context"], **screen}}


def plain(ssml: str) -> str:
    """The words of an SSML string, for 'the speech says X' assertions."""
    return to_plain_text(ssml)


def speech_of(response: Mapping[str, Any]) -> str:
    return response["response"].get("outputSpeech", {}).get("ssml", "")


def turn_request(
    turn: Mapping[str, Any],
    attributes: Mapping[str, Any],
    new: bool,
    timestamp: datetime | None = None,
) -> dict:
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
        screen=turn.get("on_screen", False),
        timestamp=timestamp,
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
    # At the question after pain ("shall we stop for today?"), with easier and harder ways.
    levels = {"clamshell": "easier", "glute_bridge": "harder", "russian_pushups": "easier"}
    for workout in ("protect_knees", "russian_pushups"):
        for step in range(len(catalog.plan(workout).steps)):
            states.append(
                {
                    "v": 1,
                    "pace": "normal",
                    "safety_said": True,
                    "workout": {"id": workout, "step": step, "paused": True, "finished": False},
                    "levels": levels,
                    "question": "pain",
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
        ("skip", _ask("SkipIntent")),
        ("skip to", _ask("SkipIntent", exercise="donkey kicks")),
        ("skip to?", _ask("SkipIntent", exercise="russian push ups")),
        ("skip to!", _ask("SkipIntent", exercise="yoga")),
        *[(name, _ask(f"AMAZON.{name}Intent")) for name in builtins],
        *COACHING_REQUESTS,
    ]


# What a runner asks and says mid-workout (issue 23): never the fallback, in any state.
COACHING_REQUESTS = [
    ("pain", _ask("PainIntent", part="knees")),
    ("pain?", _ask("PainIntent")),
    ("pain in a slot", _ask("StartWorkoutIntent", exercise="my back hurts")),
    ("tired", _ask("TiredIntent")),
    ("easier", _ask("EasierIntent")),
    ("harder", _ask("HarderIntent", exercise="russian push ups")),
    ("harder!", _ask("HarderIntent", exercise="yoga")),
    ("which", _ask("WhichExerciseIntent")),
    ("muscles", _ask("MusclesIntent", exercise="clamshells")),
    ("why", _ask("WhyExerciseIntent")),
    ("reps", _ask("RepsIntent")),
    ("hold", _ask("HoldIntent", exercise="plank")),
    ("rest", _ask("RestIntent")),
    ("remaining", _ask("RemainingIntent")),
    ("about", _ask("AboutExerciseIntent", exercise="knee routine")),
    ("about!", _ask("AboutExerciseIntent", exercise="yoga")),
    ("explain an exercise", _ask("ExplainIntent", topic="donkey kicks")),
    ("volume", _ask("VolumeIntent")),
]


def sweep() -> Iterator[tuple[str, dict]]:
    """Every request of the sweep in every state (both locales when there is no state)."""
    for attributes in sweep_states():
        for locale in ("en-US", "en-GB") if attributes == {} else ("en-US",):
            for name, spec in sweep_requests():
                where = f"{name} in {locale} {attributes}"
                yield where, envelope(attributes=attributes, locale=locale, **spec)
