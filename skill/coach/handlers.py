"""Request handlers: each decides what happens and names the response to speak.

Handlers are small and declarative: ``can_handle`` is built from the SDK predicates and
every handler is registered in :data:`REQUEST_HANDLERS`. A handler reads the parsed
conversation state from the :class:`Turn`, decides the next state and returns
``turn.reply(key, **data)``; the words live in ``speech_templates``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace

from ask_sdk_core.dispatch_components import (
    AbstractExceptionHandler,
    AbstractRequestHandler,
)
from ask_sdk_core.exceptions import DispatchException
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.response_helper import ResponseFactory
from ask_sdk_core.utils import is_intent_name, is_request_type
from ask_sdk_model import Response

from skill.alexa.envelope import SILENT_REQUEST_TYPES
from skill.coach import asking, progress, screen, wellbeing
from skill.coach.catalog import Catalog
from skill.coach.events import (
    ForgetFailed,
    on_apl_runtime_error,
    on_exception_encountered,
    on_skill_disabled,
    on_skill_enabled,
)
from skill.coach.language import language_of, slot_value_id
from skill.coach.navigation import (
    default_offer,
    menu,
    on_next,
    on_pause,
    on_previous,
    on_repeat,
    on_resume,
    on_set_pace,
    on_skip,
    on_start_over,
    start_workout,
    stored_resume,
)
from skill.coach.speech import SpeechRenderer
from skill.coach.state import Offer
from skill.coach.turn import STATE_KEY, Turn, echo, locale_of, turn_of

log = logging.getLogger(__name__)


# --- handler plumbing -------------------------------------------------------------------
Decide = Callable[[Turn], Response]


class Handler(AbstractRequestHandler):
    """A request handler from a predicate and a decision function.

    ``intents`` names the intents it answers, so the set the skill handles is read off
    the table below rather than listed again.
    """

    def __init__(
        self,
        predicate: Callable[[HandlerInput], bool],
        decide: Decide,
        intents: tuple[str, ...] = (),
    ) -> None:
        self.predicate = predicate
        self.decide = decide
        self.intents = intents

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return self.predicate(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        return self.decide(turn_of(handler_input))


def on_intent(*names: str, decide: Decide) -> Handler:
    checks = [is_intent_name(name) for name in names]
    if len(checks) == 1:
        return Handler(checks[0], decide, names)
    return Handler(
        lambda handler_input: any(check(handler_input) for check in checks), decide, names
    )


def on_request(request_type: str, decide: Decide) -> Handler:
    return Handler(is_request_type(request_type), decide)


# --- decisions ----------------------------------------------------------------------------
def on_launch(turn: Turn) -> Response:
    said = turn.state.safety_said
    record = turn.record()
    resume = stored_resume(turn)
    state = replace(
        turn.state.home(),
        offer=resume or default_offer(turn),
        safety_said=True,
        pace=record["pace"],
        sounds=record["sounds"],
    )
    resume_data = None
    if resume is not None:
        plan = turn.catalog.plan(resume.workout)
        resume_data = {
            "name": plan.name, "index": resume.step + 1, "count": len(plan.steps), "plan": plan,
        }  # fmt: skip
    returning = bool(record["history"] or resume)
    return turn.reply("launch", state, say_safety=not said, resume=resume_data, returning=returning)


def on_start_workout(turn: Turn) -> Response:
    workout_id, spoken = turn.slot("exercise")
    if workout_id is None and spoken:
        workout_id = turn.catalog.find_workout(spoken)
    if workout_id is not None and turn.catalog.is_workout(workout_id):
        return start_workout(turn, workout_id)
    if spoken:
        return menu(turn, "unknown_workout", value=echo(spoken), catalog=turn.catalog)
    return turn.reply("elicit_workout", turn.state, elicit="exercise", catalog=turn.catalog)


def on_protect_knees(turn: Turn) -> Response:
    routine = turn.catalog.knee_routine
    if routine is None:
        return on_fallback(turn)
    return start_workout(turn, routine)


def on_explain(turn: Turn) -> Response:
    topic_id, spoken = turn.slot("topic")
    if topic_id is None and spoken:
        topic_id = turn.catalog.find_topic(spoken)
    if topic_id in turn.catalog.topics:
        return explain_topic(turn, topic_id)
    if spoken:
        return turn.reply("unknown_topic", turn.state, value=echo(spoken), catalog=turn.catalog)
    return turn.reply("elicit_topic", turn.state, elicit="topic", catalog=turn.catalog)


def explain_topic(turn: Turn, topic_id: str) -> Response:
    """Answer a question; in the middle of a workout, end with how to get back to it.

    The topic's offer stands unless it is the workout already under way, or an exercise of
    it (the glute medius's clamshells, asked about in the middle of the knee routine).
    """
    topic = turn.catalog.topics[topic_id]
    plan = turn.plan if turn.plan is not None and not turn.state.finished else None
    offer = Offer(topic.offer) if topic.offer else None
    if offer is not None and plan is not None:
        under_way = {plan.id, *(step.exercise.id for step in plan.steps)}
        offer = None if offer.workout in under_way else offer
    state = replace(turn.state, offer=offer, paused=turn.state.paused or plan is not None)
    return turn.reply(
        "explain",
        state,
        topic=topic,
        offer_name=turn.catalog.workout_name(offer.workout) if offer else None,
        back_to=plan,
        index=turn.state.step + 1,
    )


def on_list(turn: Turn) -> Response:
    return turn.reply("list", turn.state, catalog=turn.catalog)


def on_set_sounds(turn: Turn) -> Response:
    """ "Sounds off", "no beeps", "sounds on": remembered for the user."""
    setting, spoken = turn.slot("setting")
    if setting is None and spoken:
        setting = slot_value_id("SOUNDS", spoken, language_of(turn.locale))
    if setting not in ("on", "off"):
        return turn.reply("sounds_set", turn.state, sounds=None, in_workout=False)
    on = setting == "on"
    state = replace(turn.state, sounds=on)
    turn.update(lambda raw: progress.set_sounds(raw, on))
    in_workout = bool(state.workout) and not state.finished
    plan = turn.plan if in_workout else None
    return turn.reply(
        "sounds_set",
        state,
        sounds=on,
        in_workout=in_workout,
        plan=plan,
        index=state.step + 1,
    )


def on_help(turn: Turn) -> Response:
    plan = turn.plan
    if plan is not None and not turn.state.finished:
        return turn.reply(
            "help",
            replace(turn.state, paused=True),
            plan=plan,
            index=turn.state.step + 1,
            count=len(plan.steps),
            paused=turn.state.paused,
            catalog=turn.catalog,
        )
    return turn.reply("help", turn.state, plan=None, catalog=turn.catalog)


def on_stop(turn: Turn) -> Response:
    return turn.reply(
        "goodbye", turn.state, end_session=True, plan=turn.plan, index=turn.state.step + 1
    )


def on_fallback(turn: Turn) -> Response:
    plan = turn.plan
    in_workout = plan is not None and not turn.state.finished
    # Outside a workout, with a question on offer ("Shall we start the knee routine?",
    # "Continue?"), words that answer neither get that question again; the offer stands.
    offer = None if in_workout else turn.state.offer
    return turn.reply(
        "fallback",
        turn.state,
        in_workout=in_workout,
        plan=plan,
        catalog=turn.catalog,
        offer_name=turn.catalog.workout_name(offer.workout) if offer else None,
        resume=bool(offer and offer.step),
    )


def on_home(turn: Turn) -> Response:
    return menu(turn)


def on_yes(turn: Turn) -> Response:
    offer = turn.state.offer
    if offer is not None:
        notice = "resumed" if offer.step else None
        return start_workout(turn, offer.workout, offer.step, notice)
    if turn.plan is not None and not turn.state.finished:
        # After a pause or a question, "yes" carries on with the step it stopped at.
        return on_resume(turn) if turn.state.paused else on_next(turn)
    return menu(turn, "menu")


def on_no(turn: Turn) -> Response:
    if turn.plan is not None and not turn.state.finished and turn.state.offer is None:
        return on_pause(turn)
    if turn.state.offer is not None and turn.state.offer.resume:
        turn.update(progress.clear_resume_point)
        if not turn.saved_progress:
            return menu(turn, "declined", fresh=False)
        return menu(turn, "declined", fresh=True)
    return menu(turn, "declined", fresh=False)


def on_progress(turn: Turn) -> Response:
    in_workout = turn.plan is not None and not turn.state.finished
    plan = turn.plan if in_workout else None
    state = replace(turn.state, paused=True) if in_workout else turn.state
    if turn.store is None:
        return turn.reply("progress", state, summary=None, last_name=None, plan=plan)
    summary = progress.summary(turn.record(), turn.clock())
    last = summary.last_workout
    last_name = None
    if last is not None and turn.catalog.is_workout(last.id):
        last_name = turn.catalog.workout_name(last.id)
    days_ago = (turn.clock().date() - last.completed_at.date()).days if last else None
    return turn.reply(
        "progress", state, summary=summary, last_name=last_name, days_ago=days_ago, plan=plan
    )


def on_session_ended(turn: Turn) -> Response:
    turn.remember_place()
    return turn.handler_input.response_builder.response


def screen_hint(turn: Turn, missing: str | None = None) -> Response:
    """A touch the session cannot take: said so briefly, nothing changes, no new screen.

    ``missing`` names a button the current screen doesn't have.
    """
    plan = turn.plan if turn.plan is not None and not turn.state.finished else None
    return turn.reply(
        "screen_hint",
        turn.state,
        show=False,
        plan=plan,
        index=turn.state.step + 1,
        count=len(plan.steps) if plan else 0,
        missing=missing,
        finished=turn.plan if turn.state.finished else None,
    )


# What each button's action does: the same decisions as the spoken intents.
TOUCHES: dict[str, Decide] = {
    "next": on_next,
    "previous": on_previous,
    "pause": on_pause,
    "resume": on_resume,
    "repeat": on_repeat,
    "start_over": on_start_over,
    "menu": on_home,
    "help": on_help,
}


def on_touch(turn: Turn) -> Response:
    """A button on the screen (``Alexa.Presentation.APL.UserEvent``).

    Its arguments, ``[action, screen token, target]``, come from outside: anything but a
    current screen's known action (and, for start and explain, a catalog id) gets a
    short hint and changes nothing.
    """
    request = turn.handler_input.request_envelope.request
    arguments = getattr(request, "arguments", None)
    if not (
        isinstance(arguments, list)
        and len(arguments) == 3
        and all(isinstance(argument, str) for argument in arguments)
    ):
        return screen_hint(turn)
    action, token, target = arguments
    if turn.state.screen is None or token != turn.state.screen:
        return screen_hint(turn)
    kind = screen.kind_of(token)
    if kind is not None and action not in screen.ACTIONS[kind]:
        if not any(action in actions for actions in screen.ACTIONS.values()):
            return screen_hint(turn)  # no screen of ours sends it
        return screen_hint(turn, missing=action if action in TOUCHES else "")
    if action == "start" and turn.catalog.is_workout(target):
        return start_workout(turn, target)
    if action == "explain" and target in turn.catalog.topics:
        return explain_topic(turn, target)
    decide = TOUCHES.get(action)
    return decide(turn) if decide is not None else screen_hint(turn)


# The predicates never overlap, so order only sets how soon the SDK finds a handler: the
# mid-workout controls, asked for most, come first. The guards are the exception: each
# answers a case of another intent (yes to "shall we stop?", pain in a slot), so first.
REQUEST_HANDLERS: list[Handler] = [
    *(Handler(predicate, decide) for predicate, decide in (*wellbeing.GUARDS, *asking.GUARDS)),
    on_intent("AMAZON.NextIntent", decide=on_next),
    on_intent("AMAZON.RepeatIntent", decide=on_repeat),
    on_intent("AMAZON.PreviousIntent", decide=on_previous),
    on_intent("AMAZON.PauseIntent", decide=on_pause),
    on_intent("AMAZON.ResumeIntent", decide=on_resume),
    on_intent("SkipIntent", decide=on_skip),
    on_request("LaunchRequest", on_launch),
    on_intent("StartWorkoutIntent", decide=on_start_workout),
    on_intent("ProtectKneesIntent", decide=on_protect_knees),
    on_intent("ExplainIntent", decide=on_explain),
    on_intent("AMAZON.StopIntent", "AMAZON.CancelIntent", decide=on_stop),
    on_request("SessionEndedRequest", on_session_ended),
    on_intent("AMAZON.YesIntent", decide=on_yes),
    on_intent("AMAZON.NoIntent", decide=on_no),
    on_intent("SetPaceIntent", decide=on_set_pace),
    on_intent("SetSoundsIntent", decide=on_set_sounds),
    on_intent("AMAZON.StartOverIntent", decide=on_start_over),
    on_intent("ProgressIntent", decide=on_progress),
    on_intent("ListExercisesIntent", decide=on_list),
    on_intent("AMAZON.HelpIntent", decide=on_help),
    on_intent("AMAZON.FallbackIntent", decide=on_fallback),
    on_intent("AMAZON.NavigateHomeIntent", decide=on_home),
    on_request("Alexa.Presentation.APL.UserEvent", on_touch),
    on_request("AlexaSkillEvent.SkillDisabled", on_skill_disabled),
    on_request("AlexaSkillEvent.SkillEnabled", on_skill_enabled),
    on_request("System.ExceptionEncountered", on_exception_encountered),
    on_request("Alexa.Presentation.APL.RuntimeError", on_apl_runtime_error),
    *(on_intent(name, decide=d) for name, d in {**wellbeing.INTENTS, **asking.INTENTS}.items()),
]

# Intent names the handlers answer; a consistency test checks them against every model.
HANDLED_INTENTS = frozenset(name for handler in REQUEST_HANDLERS for name in handler.intents)


class CatchAll(AbstractExceptionHandler):
    """A short spoken apology that keeps the session usable, for any unexpected error.

    Not for :class:`ForgetFailed`, which must fail the request; and requests that take no
    speech (a session's end, skill events) get an empty response instead.
    """

    def __init__(self, catalogs: Callable[[str | None], Catalog], renderer: SpeechRenderer) -> None:
        self.catalogs = catalogs  # the catalog a request's locale is answered from
        self.renderer = renderer

    def can_handle(self, handler_input: HandlerInput, exception: Exception) -> bool:
        return not isinstance(exception, ForgetFailed)

    def handle(self, handler_input: HandlerInput, exception: Exception) -> Response:
        request = handler_input.request_envelope.request
        kind = getattr(request, "object_type", "?")
        name = getattr(getattr(request, "intent", None), "name", "")
        handler_input.response_builder = ResponseFactory()  # nothing half-built survives
        if kind in SILENT_REQUEST_TYPES:
            log.exception("handler failed: %s", kind)
            return handler_input.response_builder.response
        turn = handler_input.attributes_manager.request_attributes.get(STATE_KEY)
        if not isinstance(turn, Turn):
            turn = Turn(handler_input, self.catalogs(locale_of(handler_input)), self.renderer)
        if isinstance(exception, DispatchException):
            # An intent no handler knows (a model newer than this code, say): not a bug
            # here, and the user is best served as if Alexa had sent a FallbackIntent.
            log.warning("no handler for %s %s; answered as a fallback", kind, str(name)[:60])
            return on_fallback(turn)
        log.exception("handler failed: %s %s", kind, name)
        return turn.reply("error", turn.state, plan=turn.plan)
