"""Conversation state kept in Alexa session attributes.

Session attributes come back from outside (the Alexa service, or anyone who can post to
the endpoint), so they are parsed, never trusted: anything missing, of the wrong type,
out of range or unknown yields a fresh state plus a flag, and the skill explains that it
lost its place instead of raising.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

from skill.coach.catalog import Catalog
from skill.coach.pacing import DEFAULT_PACE, PACES

STATE_VERSION = 1
# The longest screen token kept: Alexa allows a hundred characters; ours are far shorter.
MAX_TOKEN_LENGTH = 100
# What a pending yes/no may be about besides an offer (State.question).
QUESTIONS = ("pain",)


class Offer(NamedTuple):
    """What a "yes" would start: a workout from its first step or from a saved step."""

    workout: str
    step: int = 0
    resume: bool = False  # offered from a stored resume point: "no" forgets it


@dataclass(frozen=True, slots=True)
class State:
    workout: str | None = None  # exercise or routine id being coached
    step: int = 0  # 0-based index into the workout's plan
    paused: bool = False
    finished: bool = False  # the workout's last step has been coached
    pace: str = DEFAULT_PACE
    sounds: bool = True  # earcons in the paced sets and at the finish
    offer: Offer | None = None
    safety_said: bool = False
    screen: str | None = None  # the token of the screen the device shows, if it has one
    extras: dict[str, Any] = field(default_factory=dict)
    # (exercise id, "easier" or "harder") a person chose, sorted; loaded from their record
    levels: tuple[tuple[str, str], ...] = ()
    # What a yes or no answers besides an offer, for one turn: "pain" (yes: stop for today)
    question: str | None = None
    # When the step's counted set is due to end (epoch seconds; 0: no set under way), and
    # whether it was cut short: see :mod:`skill.coach.navigation` for the rule.
    set_ends: int = 0
    set_cut: bool = False
    # The step's set changed since it was counted (a new level): resume counts it anew.
    set_changed: bool = False
    heard: int = 0  # steps coached this session: the hint after a step shortens with it
    saved: bool = False  # this workout and step are the stored resume point

    def to_attributes(self) -> dict[str, Any]:
        attributes: dict[str, Any] = {
            "v": STATE_VERSION,
            "pace": self.pace,
            "safety_said": self.safety_said,
        }
        if not self.sounds:
            attributes["sounds"] = False
        if self.workout is not None:
            attributes["workout"] = {
                "id": self.workout,
                "step": self.step,
                "paused": self.paused,
                "finished": self.finished,
            }
        if self.screen is not None:
            attributes["screen"] = self.screen
        if self.set_ends:
            attributes["set_ends"] = self.set_ends
        if self.set_cut:
            attributes["set_cut"] = True
        if self.set_changed:
            attributes["set_changed"] = True
        if self.heard:
            attributes["heard"] = self.heard
        if self.saved:
            attributes["saved"] = True
        if self.offer is not None:
            attributes["offer"] = {
                "id": self.offer.workout,
                "step": self.offer.step,
                "resume": self.offer.resume,
            }
        if self.levels:
            attributes["levels"] = dict(self.levels)
        if self.question is not None:
            attributes["question"] = self.question
        return attributes

    def at(self, workout: str, step: int) -> State:
        return replace(
            self, workout=workout, step=step, paused=False, finished=False, offer=None,
            set_ends=0, set_cut=False, set_changed=False,
        )  # fmt: skip

    def home(self) -> State:
        return replace(
            self, workout=None, step=0, paused=False, finished=False, offer=None,
            set_ends=0, set_cut=False, set_changed=False,
        )  # fmt: skip

    @property
    def place(self) -> tuple[str, int] | None:
        """Where an unfinished workout stands: what a resume point stores."""
        return (self.workout, self.step) if self.workout and not self.finished else None


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def parse_state(attributes: object, catalog: Catalog) -> tuple[State, bool]:
    """Return ``(state, tampered)``; a tampered or stale state comes back fresh."""
    if attributes is None or attributes == {}:
        return State(), False
    try:
        return _parse(attributes, catalog), False
    except (ValueError, TypeError, KeyError):
        safety_said = isinstance(attributes, dict) and attributes.get("safety_said") is True
        return State(safety_said=safety_said), True


def _parse(attributes: object, catalog: Catalog) -> State:
    if not isinstance(attributes, dict) or attributes.get("v") != STATE_VERSION:
        raise ValueError("unknown state version")
    pace = attributes.get("pace", DEFAULT_PACE)
    safety_said = attributes.get("safety_said", False)
    if pace not in PACES or not isinstance(safety_said, bool):
        raise ValueError("bad pace or flag")
    sounds = attributes.get("sounds", True)
    if not isinstance(sounds, bool):
        raise TypeError("sounds flag")
    fields: dict[str, Any] = {"pace": pace, "safety_said": safety_said, "sounds": sounds}
    screen = attributes.get("screen")
    if screen is not None:
        if not isinstance(screen, str) or len(screen) > MAX_TOKEN_LENGTH:
            raise ValueError("screen token")
        fields["screen"] = screen
    for name in ("set_ends", "heard"):
        value = attributes.get(name, 0)
        if not _is_int(value) or value < 0:
            raise ValueError(name)
        fields[name] = value
    for name in ("set_cut", "set_changed", "saved"):
        flag = attributes.get(name, False)
        if not isinstance(flag, bool):
            raise TypeError(name)
        fields[name] = flag
    workout = attributes.get("workout")
    if workout is not None:
        if not isinstance(workout, dict):
            raise TypeError("workout")
        workout_id, step = workout["id"], workout["step"]
        paused, finished = workout.get("paused", False), workout.get("finished", False)
        if not catalog.is_workout(workout_id) or not _is_int(step):
            raise ValueError("unknown workout")
        if not 0 <= step < len(catalog.plan(workout_id).steps):
            raise ValueError("step out of range")
        if not isinstance(paused, bool) or not isinstance(finished, bool):
            raise TypeError("flags")
        fields.update(workout=workout_id, step=step, paused=paused, finished=finished)
    offer = attributes.get("offer")
    if offer is not None:
        if not isinstance(offer, dict):
            raise TypeError("offer")
        offer_id, offer_step = offer["id"], offer.get("step", 0)
        resume = offer.get("resume", False)
        if not catalog.is_workout(offer_id) or not _is_int(offer_step):
            raise ValueError("unknown offer")
        if not isinstance(resume, bool):
            raise TypeError("offer flag")
        if not 0 <= offer_step < len(catalog.plan(offer_id).steps):
            raise ValueError("offer step out of range")
        fields["offer"] = Offer(offer_id, offer_step, resume)
    levels = attributes.get("levels", {})
    if not isinstance(levels, dict) or not all(
        exercise in catalog.exercises and level in ("easier", "harder")
        for exercise, level in levels.items()
    ):
        raise ValueError("levels")
    fields["levels"] = tuple(sorted(levels.items()))
    question = attributes.get("question")
    if question not in (None, *QUESTIONS):
        raise ValueError("question")
    fields["question"] = question
    return State(**fields)
