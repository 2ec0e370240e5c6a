"""The request mix: one realistic workout session as Alexa would send it.

Each request carries the session attributes the previous answer set, so every request is
meaningful (a "next" really moves through a paced routine). The attributes come from
running the conversation through the real skill core once, in process, rather than from
hand-written dictionaries that could drift from what the skill stores.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from skill.alexa import requests
from skill.coach.step_coach import StepCoach

APPLICATION_ID = "amzn1.ask.skill.00000000-0000-0000-0000-0000000bench"
_ids = itertools.count(1)


@dataclass(frozen=True)
class MixRequest:
    """One turn of the session: what the user did and the intent's resolved slots."""

    label: str
    request_type: str = "IntentRequest"
    intent: str | None = None
    # slot name -> (spoken words, resolved id or None when nothing in the model matched)
    slots: Mapping[str, tuple[str, str | None]] | None = None


# launch, start a routine with paced sets, several nexts (steps 3 and 6 are paced sets of
# twelve reps), ask why, stop: the shape of a real session.
SESSION: tuple[MixRequest, ...] = (
    MixRequest("LaunchRequest", request_type="LaunchRequest"),
    MixRequest(
        "StartWorkoutIntent",
        intent="StartWorkoutIntent",
        slots={"exercise": ("the knee protection routine", "protect_knees")},
    ),
    MixRequest("NextIntent", intent="AMAZON.NextIntent"),
    MixRequest("NextIntent (paced)", intent="AMAZON.NextIntent"),
    MixRequest("NextIntent", intent="AMAZON.NextIntent"),
    MixRequest("NextIntent", intent="AMAZON.NextIntent"),
    MixRequest("NextIntent (paced)", intent="AMAZON.NextIntent"),
    MixRequest(
        "ExplainIntent",
        intent="ExplainIntent",
        slots={"topic": ("why glutes matter", "why_glutes")},
    ),
    MixRequest("StopIntent", intent="AMAZON.StopIntent"),
)


def envelope(
    turn: MixRequest,
    attributes: Mapping[str, Any],
    *,
    new: bool,
    user: int = 0,
    now: datetime | None = None,
    screen: bool = False,
) -> dict[str, Any]:
    """An Alexa request envelope for one turn, stamped ``now`` (signature checks need it fresh);
    ``screen``: from an Echo Show, so the answers carry APL documents.
    """
    fields: dict[str, Any] = {}
    if turn.intent:
        slots = {
            name: requests.slot(name, spoken, resolved_id=resolved, application_id=APPLICATION_ID)
            for name, (spoken, resolved) in (turn.slots or {}).items()
        }
        fields["intent"] = requests.intent(turn.intent, slots)
    body = requests.request(
        turn.request_type,
        now=now,
        request_id=f"amzn1.echo-api.request.bench-{next(_ids)}",
        **fields,
    )
    identity = requests.Identity(
        APPLICATION_ID, f"amzn1.ask.account.BENCHUSER{user:04d}", "amzn1.ask.device.BENCH"
    )
    return requests.envelope(
        body,
        identity,
        session_id=f"amzn1.echo-api.session.bench-{user:04d}",
        new=new,
        attributes=attributes,
        screen=screen,
    )


def conversation(
    coach: StepCoach, *, user: int = 0, now: datetime | None = None, screen: bool = False
) -> list[tuple[str, dict[str, Any]]]:
    """``(label, envelope)`` for every turn of :data:`SESSION`, attributes carried through."""
    turns: list[tuple[str, dict[str, Any]]] = []
    attributes: dict[str, Any] = {}
    for number, turn in enumerate(SESSION):
        request = envelope(turn, attributes, new=number == 0, user=user, now=now, screen=screen)
        answer = coach.handle(request)
        attributes = answer.get("sessionAttributes") or {}
        turns.append((turn.label, request))
    return turns


def bodies(coach: StepCoach, *, users: int = 4, now: datetime | None = None) -> list[bytes]:
    """The session for a few users, as the exact bytes a client would POST."""
    return [
        json.dumps(request, separators=(",", ":")).encode()
        for user in range(users)
        for _, request in conversation(coach, user=user, now=now)
    ]
