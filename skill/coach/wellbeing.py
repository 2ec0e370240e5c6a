"""Pain, tiredness, and the easier or harder way of an exercise.

Pain, in any state, is met first with the safety advice: stop, don't push through sharp
pain, see a doctor or a physiotherapist if it persists. In a workout it stops the set
and asks whether to stop for today (yes) or go on gently (no: slower, and the exercise's
easier way); outside one, pain in the knees gets the article's reason to train the glutes
and the knee routine as an offer, never a silent start. Tiredness pauses and offers a
rest, a slower pace or an easier way. Nothing here diagnoses.

"Make it easier" and "give me a harder one" move the exercise one way along its levels
(easier, standard, harder, from the catalog) and remember the choice in the person's
record, so the next session's plans count the same.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import is_intent_name
from ask_sdk_model import Response

from skill.coach import progress
from skill.coach.asking import current_step, in_workout, named_workout
from skill.coach.catalog import LEVELS, Exercise
from skill.coach.language import language_of, slot_value_id
from skill.coach.state import Offer, State
from skill.coach.turn import Turn, turn_of

# Words that, in a slot's place (an answer to "which exercise?"), mean the person is hurting.
PAIN_WORDS = frozenset(
    {"hurt", "hurts", "hurting", "pain", "painful", "ouch", "ow", "twinge", "sore", "ache",
     "aches", "aching", "injured", "pulled", "strained", "sprained"}
)  # fmt: skip


def with_level(state: State, exercise_id: str, level: str) -> State:
    levels = {k: v for k, v in state.levels if k != exercise_id}
    if level != "standard":
        levels[exercise_id] = level
    return replace(state, levels=tuple(sorted(levels.items())))


def level_of(state: State, exercise_id: str) -> str:
    return dict(state.levels).get(exercise_id, "standard")


def remember_level(turn: Turn, exercise_id: str, level: str) -> None:
    turn.update(lambda raw: progress.set_level(raw, exercise_id, level))


def on_pain(turn: Turn) -> Response:
    part, spoken = turn.slot("part")
    if part is None and spoken:
        part = slot_value_id("BODY_PART", spoken, language_of(turn.locale))
    plan = in_workout(turn)
    if plan is not None:
        turn.remember_place()
        state = replace(turn.state, paused=True, offer=None, question="pain")
        return turn.reply("pain", state, in_workout=True, plan=plan, knees=False, offer_name=None)
    knees = part == "knee" and turn.catalog.knee_routine is not None
    offer = Offer(turn.catalog.knee_routine) if knees and turn.catalog.knee_routine else None
    state = replace(turn.state, offer=offer)
    name = turn.catalog.workout_name(offer.workout) if offer else None
    return turn.reply("pain", state, in_workout=False, plan=None, knees=knees, offer_name=name)


def on_pain_yes(turn: Turn) -> Response:
    """ "Shall we stop for today?" "Yes": the place is kept for next time."""
    turn.remember_place()
    return turn.reply("pain_stop", turn.state, end_session=True, plan=turn.plan)


def on_pain_no(turn: Turn) -> Response:
    """Go on gently: a slower pace for this session and the exercise's easier way."""
    step = current_step(turn)
    state = replace(turn.state, paused=True, pace="slow")
    way = None
    if step is not None:
        easier = step.exercise.easier
        fits = easier is not None and easier.exercise is None
        if fits and level_of(state, step.exercise.id) != "easier":
            way = easier
            state = with_level(state, step.exercise.id, "easier")
            remember_level(turn, step.exercise.id, "easier")
    return turn.reply("gently", state, plan=turn.plan, way=way, step=step)


def on_pain_unclear(turn: Turn) -> Response:
    """ "Shall we stop for today?" answered with words that say neither (or "help"): the
    question again, still pending, so a "yes" after it still stops for today."""
    unclear = is_intent_name("AMAZON.FallbackIntent")(turn.handler_input)
    state = replace(turn.state, question="pain")
    return turn.reply("pain_again", state, unclear=unclear, plan=turn.plan)


def on_tired(turn: Turn) -> Response:
    plan = in_workout(turn)
    step = current_step(turn)
    state = replace(turn.state, paused=True) if plan is not None else turn.state
    easier = step is not None and step.exercise.easier is not None
    finished = turn.plan if turn.state.finished else None
    return turn.reply(
        "tired", state, plan=plan, easier=easier, slow=turn.state.pace == "slow", done=finished
    )


def change_level(turn: Turn, direction: int) -> Response:
    named = named_workout(turn)
    step = current_step(turn)
    exercise: Exercise | None = turn.catalog.exercises.get(named or "")
    if exercise is None and named is None and step is not None:
        exercise = step.exercise
    going = in_workout(turn)
    wanted = "easier" if direction < 0 else "harder"
    said = {"wanted": wanted, "back_to": going, "at_limit": True, "here": False}
    said.update(way=None, regression=None, counted=None, offer_name=None)
    if exercise is None:
        return turn.reply("level", turn.state, exercise=None, **said)
    now = level_of(turn.state, exercise.id)
    index = LEVELS.index(now) + direction
    level = LEVELS[index] if 0 <= index < len(LEVELS) else now
    way = exercise.level(level)
    if level == now or (level != "standard" and way is None):
        return turn.reply("level", turn.state, exercise=exercise, **said)
    state = with_level(turn.state, exercise.id, level)
    remember_level(turn, exercise.id, level)
    here = going is not None and step is not None and step.exercise.id == exercise.id
    regression = turn.catalog.exercises.get(way.exercise or "") if way else None
    offer = None
    if regression is not None:
        offer = Offer(regression.id)
    elif not here:
        offer = Offer(exercise.id)
    state = replace(
        state,
        paused=state.paused or going is not None,
        offer=offer,
        set_changed=state.set_changed or here,
    )
    plan = turn.catalog.plan(exercise.id, state.levels)
    counted = next((s for s in reversed(plan.steps) if s.step.paced), None)
    return turn.reply(
        "level",
        state,
        exercise=exercise,
        wanted=wanted,
        at_limit=False,
        level=level,
        way=way,
        regression=regression,
        counted=counted,
        here=here,
        back_to=going,
        offer_name=turn.catalog.workout_name(offer.workout) if offer else None,
    )


def on_easier(turn: Turn) -> Response:
    return change_level(turn, -1)


def on_harder(turn: Turn) -> Response:
    return change_level(turn, +1)


INTENTS: dict[str, Callable[[Turn], Response]] = {
    "PainIntent": on_pain,
    "TiredIntent": on_tired,
    "EasierIntent": on_easier,
    "HarderIntent": on_harder,
}


# --- guards: answers that come before the usual handler of an intent -------------------
def _asked_about_pain(handler_input: HandlerInput) -> bool:
    return turn_of(handler_input).question == "pain"


def _intent_in(*names: str) -> Callable[[HandlerInput], bool]:
    """A predicate: the request is any of these intents."""
    return lambda handler_input: any(is_intent_name(name)(handler_input) for name in names)


_carries_on = _intent_in("AMAZON.ResumeIntent", "AMAZON.NextIntent")
_unsure = _intent_in("AMAZON.FallbackIntent", "AMAZON.HelpIntent")
_slotted = _intent_in("StartWorkoutIntent", "ExplainIntent")


def _slot_words(handler_input: HandlerInput) -> set[str]:
    """The words of any unresolved slot value ("my knee really hurts" as an exercise)."""
    request = handler_input.request_envelope.request
    slots = getattr(getattr(request, "intent", None), "slots", None) or {}
    words: set[str] = set()
    for slot in slots.values():
        if slot is not None and slot.value:
            words.update(str(slot.value).lower().replace("'", " ").split())
    return words


def _pain_in_a_slot(handler_input: HandlerInput) -> bool:
    return _slotted(handler_input) and bool(_slot_words(handler_input) & PAIN_WORDS)


# (predicate, decision): registered before the handlers they pre-empt.
GUARDS: list[tuple[Callable[[HandlerInput], bool], Callable[[Turn], Response]]] = [
    (lambda hi: is_intent_name("AMAZON.YesIntent")(hi) and _asked_about_pain(hi), on_pain_yes),
    (lambda hi: is_intent_name("AMAZON.NoIntent")(hi) and _asked_about_pain(hi), on_pain_no),
    # "Shall we stop for today?" "Let's keep going": not stopping, so gently.
    (lambda hi: _carries_on(hi) and _asked_about_pain(hi), on_pain_no),
    # "Repeat": the advice and the question again; unclear words or "help": the question.
    (lambda hi: is_intent_name("AMAZON.RepeatIntent")(hi) and _asked_about_pain(hi), on_pain),
    (lambda hi: _unsure(hi) and _asked_about_pain(hi), on_pain_unclear),
    (_pain_in_a_slot, on_pain),
]
