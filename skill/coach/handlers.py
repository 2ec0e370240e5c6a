"""Request handlers: each decides what happens and names the response to speak.

Handlers are small and declarative: ``can_handle`` is built from the SDK predicates and
every handler is registered in :data:`REQUEST_HANDLERS`. A handler reads the parsed
conversation state from the :class:`Turn`, decides the next state and returns
``turn.reply(key, **data)``; the words live in ``speech_templates``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from ask_sdk_core.dispatch_components import (
    AbstractExceptionHandler,
    AbstractRequestHandler,
    AbstractRequestInterceptor,
    AbstractResponseInterceptor,
)
from ask_sdk_core.exceptions import DispatchException
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.response_helper import ResponseFactory
from ask_sdk_core.utils import is_intent_name, is_request_type
from ask_sdk_model import Response
from ask_sdk_model.dialog import ElicitSlotDirective
from ask_sdk_model.slu.entityresolution import StatusCode
from ask_sdk_model.ui import SimpleCard

from skill.alexa.ids import user_id_of
from skill.coach import pacing, progress
from skill.coach.catalog import Catalog, Plan
from skill.coach.speech import SpeechRenderer
from skill.coach.state import Offer, State, parse_state
from skill.storage.base import PersistenceAdapter, StorageError

log = logging.getLogger(__name__)

STATE_KEY = "step_coach_turn"
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class Turn:
    """One request's view of the conversation: parsed state, locale and rendering."""

    def __init__(
        self,
        handler_input: HandlerInput,
        catalog: Catalog,
        renderer: SpeechRenderer,
        store: PersistenceAdapter | None = None,
        clock: Clock = utc_now,
    ) -> None:
        self.handler_input = handler_input
        self.catalog = catalog
        self.renderer = renderer
        self.store = store
        self.clock = clock
        self._record: dict[str, Any] | None = None
        envelope = handler_input.request_envelope
        self.locale = getattr(envelope.request, "locale", None) or "en-US"
        # Skill events and exception reports come without a session (and the SDK raises
        # when asked for its attributes): they start from a fresh state.
        in_session = envelope.session is not None
        attributes = handler_input.attributes_manager.session_attributes if in_session else None
        self.state, self.tampered = parse_state(attributes, catalog)
        self.next_state = self.state
        self.saved_progress = True

    # --- state helpers -------------------------------------------------------------
    @property
    def plan(self) -> Plan | None:
        return self.catalog.plan(self.state.workout) if self.state.workout else None

    def slot(self, name: str) -> tuple[str | None, str | None]:
        """``(resolved id, spoken value)`` of a slot; the id is None when nothing matched."""
        request = self.handler_input.request_envelope.request
        slots = getattr(getattr(request, "intent", None), "slots", None) or {}
        slot = slots.get(name)
        if slot is None or not slot.value:
            return None, None
        spoken = str(slot.value)
        for authority in (
            getattr(getattr(slot, "resolutions", None), "resolutions_per_authority", None) or []
        ):
            status = getattr(getattr(authority, "status", None), "code", None)
            if status == StatusCode.ER_SUCCESS_MATCH and authority.values:
                resolved = getattr(getattr(authority.values[0], "value", None), "id", None)
                if isinstance(resolved, str):
                    return resolved, spoken
        return None, spoken

    # --- the user's stored progress --------------------------------------------------
    def record(self) -> dict[str, Any]:
        """The user's stored progress, read once per request; empty when the store fails."""
        if self._record is None:
            raw: object = {}
            if self.store is not None and self.user_known:
                try:
                    raw = self.handler_input.attributes_manager.persistent_attributes
                except StorageError:
                    log.warning("could not read stored progress; carrying on without it")
            self._record = progress.normalise_record(raw)
        return self._record

    @property
    def user_known(self) -> bool:
        return user_id_of(self.handler_input.request_envelope) is not None

    def update(self, change: Callable[[object], dict[str, Any]]) -> None:
        """Apply ``change`` to the stored record atomically; a failure is said, not raised."""
        if self.store is None or not self.user_known:
            return
        try:
            self._record = progress.normalise_record(
                self.store.update_attributes(self.handler_input.request_envelope, change)
            )
        except StorageError:
            log.warning("could not save progress; the workout carries on")
            self.saved_progress = False

    def remember_place(self) -> None:
        """Store where an unfinished workout stopped, so the next launch can offer it."""
        plan = self.plan
        if plan is not None and not self.state.finished:
            kind, step, now = plan.kind, self.state.step, self.clock()
            self.update(lambda raw: progress.set_resume_point(raw, kind, plan.id, step, now))

    # --- response -----------------------------------------------------------------
    def reply(
        self,
        key: str,
        state: State | None = None,
        *,
        end_session: bool = False,
        elicit: str | None = None,
        **data: Any,
    ) -> Response:
        self.next_state = state or self.state
        data.setdefault("tampered", self.tampered)
        data.setdefault("saved_progress", self.saved_progress)
        data.setdefault("safety", self.catalog.safety)
        rendered = self.renderer.render(key, self.locale, **data)
        speech = rendered.speech
        if self.tampered or not self.saved_progress:
            notices = self.renderer.render("notices", self.locale, **data).speech
            speech = notices.removesuffix("</speak>") + " " + speech.removeprefix("<speak>")
        builder = self.handler_input.response_builder
        builder.speak(speech).set_card(
            SimpleCard(title=rendered.card_title, content=rendered.card_text)
        )
        if end_session:
            builder.set_should_end_session(True)
        else:
            builder.ask(rendered.reprompt or rendered.speech)
        if elicit:
            request = self.handler_input.request_envelope.request
            builder.add_directive(
                ElicitSlotDirective(slot_to_elicit=elicit, updated_intent=request.intent)
            )
        return builder.response


_UNSPEAKABLE = re.compile(r"[^\w\s'&.-]+")


def echo(spoken: str) -> str:
    """A user's words as we may say them back: no markup, no symbols, not too long."""
    return " ".join(_UNSPEAKABLE.sub(" ", spoken).split())[:60]


def _turn(handler_input: HandlerInput) -> Turn:
    return handler_input.attributes_manager.request_attributes[STATE_KEY]


def speak_step(turn: Turn, state: State, notice: str | None = None) -> Response:
    """Coach the state's current step: cue, paced set if any, and the reprompt to go on."""
    plan = turn.catalog.plan(state.workout or "")
    state = replace(state, paused=False, finished=False, offer=None)
    step = plan.steps[state.step]
    return turn.reply(
        "step",
        state,
        plan=plan,
        step=step,
        index=state.step + 1,
        count=len(plan.steps),
        beats=pacing.script(step, state.pace),
        pace=state.pace,
        notice=notice,
    )


def start_workout(
    turn: Turn, workout_id: str, step: int = 0, notice: str | None = None
) -> Response:
    return speak_step(turn, turn.state.at(workout_id, step), notice)


def finish_workout(turn: Turn) -> Response:
    plan = turn.plan
    assert plan is not None
    if not turn.state.finished:
        now = turn.clock()
        turn.update(lambda raw: progress.record_completion(raw, plan.kind, plan.id, now))
    offer = Offer(plan.next_offer) if plan.next_offer else None
    state = replace(turn.state, finished=True, paused=False, offer=offer)
    return turn.reply(
        "finished",
        state,
        plan=plan,
        offer_name=turn.catalog.workout_name(offer.workout) if offer else None,
    )


def menu(turn: Turn, key: str = "menu", **data: Any) -> Response:
    state = replace(turn.state.home(), offer=Offer("protect_knees"))
    return turn.reply(key, state, **data)


# --- handler plumbing -------------------------------------------------------------------
Decide = Callable[[Turn], Response]


class Handler(AbstractRequestHandler):
    """A request handler from a predicate and a decision function."""

    def __init__(self, predicate: Callable[[HandlerInput], bool], decide: Decide) -> None:
        self.predicate = predicate
        self.decide = decide

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return self.predicate(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        return self.decide(_turn(handler_input))


def intent(*names: str) -> Callable[[HandlerInput], bool]:
    checks = [is_intent_name(name) for name in names]
    if len(checks) == 1:
        return checks[0]
    return lambda handler_input: any(check(handler_input) for check in checks)


# --- decisions ----------------------------------------------------------------------------
def stored_resume(turn: Turn) -> Offer | None:
    """The stored resume point as an offer, if it still names a step of a known workout."""
    point = progress.resume_point(turn.record())
    if point is None or not turn.catalog.is_workout(point.id):
        return None
    plan = turn.catalog.plan(point.id)
    if plan.kind != point.kind or point.step >= len(plan.steps):
        return None
    return Offer(point.id, point.step, resume=True)


def on_launch(turn: Turn) -> Response:
    said = turn.state.safety_said
    record = turn.record()
    resume = stored_resume(turn)
    state = replace(
        turn.state.home(),
        offer=resume or Offer("protect_knees"),
        safety_said=True,
        pace=record["pace"],
    )
    resume_data = None
    if resume is not None:
        plan = turn.catalog.plan(resume.workout)
        resume_data = {"name": plan.name, "index": resume.step + 1, "count": len(plan.steps)}
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
    return start_workout(turn, "protect_knees")


def on_explain(turn: Turn) -> Response:
    topic_id, spoken = turn.slot("topic")
    if topic_id is None and spoken:
        topic_id = turn.catalog.find_topic(spoken)
    topic = turn.catalog.topics.get(topic_id or "")
    if topic is not None:
        offer = Offer(topic.offer) if topic.offer else None
        state = replace(
            turn.state, offer=offer, paused=turn.state.paused or bool(turn.state.workout)
        )
        return turn.reply(
            "explain",
            state,
            topic=topic,
            offer_name=turn.catalog.workout_name(offer.workout) if offer else None,
        )
    if spoken:
        return turn.reply("unknown_topic", turn.state, value=echo(spoken), catalog=turn.catalog)
    return turn.reply("elicit_topic", turn.state, elicit="topic", catalog=turn.catalog)


def on_list(turn: Turn) -> Response:
    return turn.reply("list", turn.state, catalog=turn.catalog)


def _in_workout(turn: Turn) -> bool:
    return turn.state.workout is not None


def on_next(turn: Turn) -> Response:
    plan = turn.plan
    if plan is None:
        return menu(turn, "no_workout")
    if turn.state.finished:
        return turn.reply("already_finished", turn.state, plan=plan)
    if turn.state.step + 1 >= len(plan.steps):
        return finish_workout(turn)
    return speak_step(turn, replace(turn.state, step=turn.state.step + 1))


def on_previous(turn: Turn) -> Response:
    if turn.plan is None:
        return menu(turn, "no_workout")
    if turn.state.finished:
        return speak_step(turn, turn.state)
    if turn.state.step == 0:
        return speak_step(turn, turn.state, notice="first")
    return speak_step(turn, replace(turn.state, step=turn.state.step - 1))


def on_repeat(turn: Turn) -> Response:
    if turn.plan is None:
        return menu(turn, "no_workout")
    if turn.state.finished:
        return finish_workout(turn)
    return speak_step(turn, turn.state)


def on_start_over(turn: Turn) -> Response:
    if turn.plan is None:
        return menu(turn, "no_workout")
    return speak_step(turn, replace(turn.state, step=0), notice="start_over")


def on_pause(turn: Turn) -> Response:
    plan = turn.plan
    if plan is None or turn.state.finished:
        return menu(turn, "no_workout")
    state = replace(turn.state, paused=True)
    turn.remember_place()
    return turn.reply("paused", state, plan=plan, index=state.step + 1, count=len(plan.steps))


def on_resume(turn: Turn) -> Response:
    if turn.plan is None or turn.state.finished:
        offer = turn.state.offer if turn.state.offer and turn.state.offer.resume else None
        offer = offer or stored_resume(turn)
        if offer is not None:
            return start_workout(turn, offer.workout, offer.step, "resumed")
        return menu(turn, "no_workout")
    return speak_step(turn, turn.state, notice="resumed")


def on_set_pace(turn: Turn) -> Response:
    pace_id, spoken = turn.slot("pace")
    if pace_id is None and spoken:
        pace_id = {"slower": "slow", "faster": "fast", "quicker": "fast"}.get(
            spoken.lower(), spoken.lower()
        )
    if pace_id not in pacing.PACES:
        return turn.reply("unknown_pace", turn.state, value=echo(spoken or ""))
    state = replace(turn.state, pace=pace_id)
    turn.update(lambda raw: progress.set_pace(raw, pace_id))
    if state.workout and not state.finished:
        return speak_step(turn, state, notice="pace")
    return turn.reply("pace_set", state, pace=pace_id)


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
    turn.remember_place()
    return turn.reply(
        "goodbye", turn.state, end_session=True, plan=turn.plan, index=turn.state.step + 1
    )


def on_fallback(turn: Turn) -> Response:
    plan = turn.plan
    in_workout = plan is not None and not turn.state.finished
    return turn.reply(
        "fallback", turn.state, in_workout=in_workout, plan=plan, catalog=turn.catalog
    )


def on_home(turn: Turn) -> Response:
    return menu(turn)


def on_yes(turn: Turn) -> Response:
    offer = turn.state.offer
    if offer is not None:
        notice = "resumed" if offer.step else None
        return start_workout(turn, offer.workout, offer.step, notice)
    if turn.plan is not None and not turn.state.finished:
        return on_next(turn)
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


def on_skill_disabled(turn: Turn) -> Response:
    """The user disabled the skill: forget everything stored about them."""
    if turn.store is not None and turn.user_known:
        try:
            turn.store.delete_attributes(turn.handler_input.request_envelope)
        except StorageError:
            log.error("could not delete a disabled user's data")
            raise
    return turn.handler_input.response_builder.response


def on_skill_enabled(turn: Turn) -> Response:
    return turn.handler_input.response_builder.response


def on_exception_encountered(turn: Turn) -> Response:
    """Alexa reports that our last response was rejected; it takes no speech in reply."""
    error = getattr(turn.handler_input.request_envelope.request, "error", None)
    log.error("Alexa rejected a response: %s", getattr(error, "message", "no detail"))
    return turn.handler_input.response_builder.response


def on_session_ended(turn: Turn) -> Response:
    turn.remember_place()
    return turn.handler_input.response_builder.response


# The predicates never overlap, so order only sets how soon the SDK finds a handler: the
# mid-workout controls, asked for most, come first.
REQUEST_HANDLERS: list[AbstractRequestHandler] = [
    Handler(intent("AMAZON.NextIntent"), on_next),
    Handler(intent("AMAZON.RepeatIntent"), on_repeat),
    Handler(intent("AMAZON.PreviousIntent"), on_previous),
    Handler(intent("AMAZON.PauseIntent"), on_pause),
    Handler(intent("AMAZON.ResumeIntent"), on_resume),
    Handler(is_request_type("LaunchRequest"), on_launch),
    Handler(intent("StartWorkoutIntent"), on_start_workout),
    Handler(intent("ProtectKneesIntent"), on_protect_knees),
    Handler(intent("ExplainIntent"), on_explain),
    Handler(intent("AMAZON.StopIntent", "AMAZON.CancelIntent"), on_stop),
    Handler(is_request_type("SessionEndedRequest"), on_session_ended),
    Handler(intent("AMAZON.YesIntent"), on_yes),
    Handler(intent("AMAZON.NoIntent"), on_no),
    Handler(intent("SetPaceIntent"), on_set_pace),
    Handler(intent("AMAZON.StartOverIntent"), on_start_over),
    Handler(intent("ProgressIntent"), on_progress),
    Handler(intent("ListExercisesIntent"), on_list),
    Handler(intent("AMAZON.HelpIntent"), on_help),
    Handler(intent("AMAZON.FallbackIntent"), on_fallback),
    Handler(intent("AMAZON.NavigateHomeIntent"), on_home),
    Handler(is_request_type("AlexaSkillEvent.SkillDisabled"), on_skill_disabled),
    Handler(is_request_type("AlexaSkillEvent.SkillEnabled"), on_skill_enabled),
    Handler(is_request_type("System.ExceptionEncountered"), on_exception_encountered),
]

# Intent names the handlers answer; a consistency test checks them against every model.
HANDLED_INTENTS = frozenset(
    {
        "StartWorkoutIntent",
        "ProtectKneesIntent",
        "ExplainIntent",
        "ListExercisesIntent",
        "SetPaceIntent",
        "ProgressIntent",
        "AMAZON.NextIntent",
        "AMAZON.PreviousIntent",
        "AMAZON.RepeatIntent",
        "AMAZON.StartOverIntent",
        "AMAZON.PauseIntent",
        "AMAZON.ResumeIntent",
        "AMAZON.HelpIntent",
        "AMAZON.StopIntent",
        "AMAZON.CancelIntent",
        "AMAZON.FallbackIntent",
        "AMAZON.NavigateHomeIntent",
        "AMAZON.YesIntent",
        "AMAZON.NoIntent",
    }
)


class LoadTurn(AbstractRequestInterceptor):
    """Parse the session state once per request, before any handler runs."""

    def __init__(
        self,
        catalog: Catalog,
        renderer: SpeechRenderer,
        store: PersistenceAdapter | None = None,
        clock: Clock = utc_now,
    ) -> None:
        self.catalog = catalog
        self.renderer = renderer
        self.store = store
        self.clock = clock

    def process(self, handler_input: HandlerInput) -> None:
        turn = Turn(handler_input, self.catalog, self.renderer, self.store, self.clock)
        handler_input.attributes_manager.request_attributes[STATE_KEY] = turn


class SaveTurn(AbstractResponseInterceptor):
    """Write the next state back into the session attributes."""

    def process(self, handler_input: HandlerInput, response: Response | None) -> None:
        turn = handler_input.attributes_manager.request_attributes.get(STATE_KEY)
        if turn is not None and handler_input.request_envelope.session is not None:
            handler_input.attributes_manager.session_attributes = turn.next_state.to_attributes()


class CatchAll(AbstractExceptionHandler):
    """A short spoken apology that keeps the session usable, for any unexpected error."""

    def __init__(self, catalog: Catalog, renderer: SpeechRenderer) -> None:
        self.catalog = catalog
        self.renderer = renderer

    def can_handle(self, handler_input: HandlerInput, exception: Exception) -> bool:
        return True

    def handle(self, handler_input: HandlerInput, exception: Exception) -> Response:
        request = handler_input.request_envelope.request
        kind = getattr(request, "object_type", "?")
        name = getattr(getattr(request, "intent", None), "name", "")
        turn = handler_input.attributes_manager.request_attributes.get(STATE_KEY)
        if not isinstance(turn, Turn):
            turn = Turn(handler_input, self.catalog, self.renderer)
        handler_input.response_builder = ResponseFactory()  # nothing half-built survives
        if isinstance(exception, DispatchException):
            # An intent no handler knows (a model newer than this code, say): not a bug
            # here, and the user is best served as if Alexa had sent a FallbackIntent.
            log.warning("no handler for %s %s; answered as a fallback", kind, str(name)[:60])
            return on_fallback(turn)
        log.exception("handler failed: %s %s", kind, name)
        return turn.reply("error", turn.state, plan=turn.plan)
