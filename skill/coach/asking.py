"""Questions about a workout, answered from the catalog's data and the plan.

"Which exercise is this?", "what does it work?", "why does it help runners?", "how many
reps?", "how long is the hold?", "how long is the rest?", "how much is left?" and "tell me
about clamshells": each answer is read off the exercise, the plan step and the pacing (no
sentence is written per case). In the middle of a workout an answer pauses it, as an
explanation does, so "resume" or "yes" carries on where it stopped; outside one, the same
questions are about the exercise named, or else the workout on offer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from functools import lru_cache
from typing import Any

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import is_intent_name
from ask_sdk_model import Response

from skill.coach import pacing
from skill.coach.catalog import Exercise, Plan, PlanStep
from skill.coach.state import Offer
from skill.coach.turn import Turn, turn_of

# Seconds a person takes over a step without a count: listening, getting into position.
SETTLE_S = 10


def in_workout(turn: Turn) -> Plan | None:
    """The plan under way, if a workout is going (not finished)."""
    return turn.plan if turn.plan is not None and not turn.state.finished else None


def named_workout(turn: Turn) -> str | None:
    """The workout the request's ``exercise`` slot names, if any."""
    workout_id, spoken = turn.slot("exercise")
    if workout_id is None and spoken:
        workout_id = turn.catalog.find_workout(spoken)
    return workout_id if turn.catalog.is_workout(workout_id) else None


def current_step(turn: Turn) -> PlanStep | None:
    plan = in_workout(turn)
    return plan.steps[turn.state.step] if plan is not None else None


def set_of(plan: Plan, at: int) -> PlanStep | None:
    """The counted step of the exercise at plan step ``at``: that step, or the next
    counted step of the same exercise (a cue step leads up to its set)."""
    here = plan.steps[at]
    for step in plan.steps[at:]:
        if step.exercise.id != here.exercise.id or step.item_number != here.item_number:
            break
        if step.step.paced:
            return step
    return None


def subject(turn: Turn) -> tuple[Plan | None, int, bool]:
    """``(plan, step index, current)``: what a question is about. The exercise named (in
    the current plan if it is part of it), else the step under way, else the workout on
    offer; ``current`` when it is the workout in progress."""
    plan = in_workout(turn)
    named = named_workout(turn)
    levels = turn.state.levels
    if named is not None:
        here = turn.state.step
        if plan is not None and plan.steps[here].exercise.id == named:
            return plan, here, True
        found = [i for i, s in enumerate(plan.steps) if s.exercise.id == named] if plan else []
        if plan is not None and found:
            return plan, found[0], False
        return turn.catalog.plan(named, levels), 0, False
    if plan is not None:
        return plan, turn.state.step, True
    offer = turn.state.offer
    if offer is not None:
        return turn.catalog.plan(offer.workout, levels), 0, False
    return None, 0, False


# Every question asks for the time left, which reads each remaining step's cue as SSML: a
# step's length depends only on the step, the pace and the locale's beat times, so it is
# worked out once (the catalog's steps, three paces, a few sets of beat times).
@lru_cache(maxsize=1024)
def step_ms(step: PlanStep, pace: str, beat_ms: Callable[[Any], int]) -> int:
    """About how long a step takes: its cue said, then its paced set or time to do it."""
    from skill.alexa.ssml import estimated_speech_ms  # xml.etree: with the first question

    spoken = estimated_speech_ms(f"<speak>{step.step.cue}</speak>")
    if not step.step.paced:
        return spoken + SETTLE_S * 1000
    return spoken + sum(beat_ms(beat) for beat in pacing.script(step, pace))


def minutes_left(turn: Turn, plan: Plan, start: int) -> int:
    """Whole minutes (rounded, at least 0) the plan takes from step ``start`` on."""
    beat_ms = turn.renderer.beat_times(turn.locale)
    total = sum(step_ms(step, turn.state.pace, beat_ms) for step in plan.steps[start:])
    return round(total / 60_000)


def rest_seconds(step: PlanStep, pace: str) -> int:
    """The rest between sets as the paced set announces it."""
    return max(1, round(step.rest * pacing.PACE_FACTORS[pace])) if step.rest else 0


def answer(turn: Turn, question: str) -> Response:
    plan, index, current = subject(turn)
    going = in_workout(turn)
    if question == "which" and not current and named_workout(turn) is None:
        plan = None  # "which exercise is this?" with none going: none is
    data: dict[str, Any] = {"question": question, "plan": plan, "current": current}
    data.update(back_to=going, index=turn.state.step + 1, step=None, counted=None)
    if plan is not None:
        step = plan.steps[index]
        counted = set_of(plan, index)
        data.update(step=step, exercise=step.exercise, counted=counted)
        data["rest"] = rest_seconds(counted, turn.state.pace) if counted else 0
        after = len(plan.steps) - index - 1 if current else len(plan.steps)
        exercises = step.item_count - step.item_number if current else step.item_count
        data.update(steps_after=after, exercises_after=exercises)
        data["minutes"] = minutes_left(turn, plan, index if current else 0)
        data["routine"] = plan.kind == "routine" and not (current or index)
    state = turn.state
    if going is not None:
        state = replace(state, paused=True)
    elif plan is not None:
        state = replace(state, offer=Offer(plan.id))
    data["offer_name"] = plan.name if going is None and plan is not None else None
    return turn.reply("answer", state, **data)


def explain_exercise(turn: Turn, workout_id: str) -> Response:
    """ "Tell me about clamshells": what it is, what it works, one key cue; then an offer to
    start it (not when it is part of the workout under way, which "resume" carries on)."""
    going = in_workout(turn)
    catalog = turn.catalog
    exercise: Exercise | None = catalog.exercises.get(workout_id)
    plan = catalog.plan(workout_id, turn.state.levels)
    part_of = going is not None and any(s.exercise.id == workout_id for s in going.steps)
    offer = None if part_of or (going is not None and going.id == workout_id) else workout_id
    level = dict(turn.state.levels).get(workout_id)
    regression = exercise.easier if exercise is not None and level == "easier" else None
    if regression is not None and regression.exercise is not None:
        offer = regression.exercise  # the person chose the regression: offer it first
    state = replace(
        turn.state,
        paused=turn.state.paused or going is not None,
        offer=Offer(offer) if offer else None,
    )
    return turn.reply(
        "about_exercise",
        state,
        exercise=exercise,
        routine=catalog.routines.get(workout_id),
        plan=plan,
        minutes=minutes_left(turn, plan, 0),
        regression=catalog.exercises[regression.exercise] if regression is not None else None,
        offer_name=catalog.workout_name(offer) if offer else None,
        back_to=going,
        index=turn.state.step + 1,
        catalog=catalog,
    )


def on_about_exercise(turn: Turn) -> Response:
    workout_id = named_workout(turn)
    if workout_id is None:
        return answer(turn, "which")
    return explain_exercise(turn, workout_id)


def on_volume(turn: Turn) -> Response:
    """ "Speak louder": the device's volume is the user's, not the skill's to set (Alexa
    keeps it), so say how to change it, and how to get back to the workout."""
    going = in_workout(turn)
    state = replace(turn.state, paused=True) if going is not None else turn.state
    return turn.reply("volume", state, back_to=going)


def asks(question: str) -> Callable[[Turn], Response]:
    def decide(turn: Turn) -> Response:
        return answer(turn, question)

    decide.__name__ = f"on_{question}_question"
    return decide


# The intents answered here, and what each asks.
INTENTS: dict[str, Callable[[Turn], Response]] = {
    "WhichExerciseIntent": asks("which"),
    "MusclesIntent": asks("muscles"),
    "WhyExerciseIntent": asks("why"),
    "RepsIntent": asks("reps"),
    "HoldIntent": asks("hold"),
    "RestIntent": asks("rest"),
    "RemainingIntent": asks("remaining"),
    "AboutExerciseIntent": on_about_exercise,
    "VolumeIntent": on_volume,
}


def _explains_an_exercise(handler_input: HandlerInput) -> bool:
    """ExplainIntent whose topic is no topic but names a workout ("explain clamshells")."""
    if not is_intent_name("ExplainIntent")(handler_input):
        return False
    turn = turn_of(handler_input)
    topic_id, spoken = turn.slot("topic")
    if topic_id in turn.catalog.topics or not spoken or turn.catalog.find_topic(spoken):
        return False
    return turn.catalog.find_workout(spoken) is not None


def _explain_the_named_exercise(turn: Turn) -> Response:
    _, spoken = turn.slot("topic")
    return explain_exercise(turn, turn.catalog.find_workout(spoken or "") or "")


# (predicate, decision): registered before the handlers they pre-empt.
GUARDS: list[tuple[Callable[[HandlerInput], bool], Callable[[Turn], Response]]] = [
    (_explains_an_exercise, _explain_the_named_exercise),
]
