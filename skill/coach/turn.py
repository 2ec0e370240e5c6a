"""One request's view of the conversation: the parsed state, the user's record, the reply.

:class:`LoadTurn` parses the session state once per request, before any handler runs;
a handler decides and calls :meth:`Turn.reply` with a response key; :class:`SaveTurn`
writes the next state back into the session attributes.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from ask_sdk_core.dispatch_components import AbstractRequestInterceptor, AbstractResponseInterceptor
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import Response
from ask_sdk_model.ui import SimpleCard

from skill.alexa.ids import person_id_of, person_key, user_id_of
from skill.coach import household, progress, screen
from skill.coach.catalog import Catalog, Plan
from skill.coach.locales import DEFAULT_LOCALE
from skill.coach.speech import SpeechRenderer
from skill.coach.state import State, parse_state
from skill.storage.base import PersistenceAdapter, StorageError

log = logging.getLogger("skill.coach.handlers")

STATE_KEY = "step_coach_turn"
# What the coach reads the time from: now, as an aware datetime (tests pass a fixed one).
WallClock = Callable[[], datetime]
# A request this close to a counted set's estimated end (seconds) finds the set done:
# Alexa's timestamps are whole seconds, and the speech starts a second or so after them.
SET_END_SLACK_S = 2


def request_seconds(request: object) -> int | None:
    """The request's timestamp in epoch seconds (None if it has none we can read)."""
    stamp = getattr(request, "timestamp", None)
    if not isinstance(stamp, datetime) or stamp.tzinfo is None:
        return None
    return int(stamp.timestamp())


def utc_now() -> datetime:
    return datetime.now(UTC)


def locale_of(handler_input: HandlerInput) -> str:
    """The request's locale as it came (any string; only ever matched against folders)."""
    return getattr(handler_input.request_envelope.request, "locale", None) or DEFAULT_LOCALE


class Turn:
    """One request's view of the conversation: parsed state, locale and rendering."""

    def __init__(
        self,
        handler_input: HandlerInput,
        catalog: Catalog,
        renderer: SpeechRenderer,
        store: PersistenceAdapter | None = None,
        clock: WallClock = utc_now,
    ) -> None:
        self.handler_input = handler_input
        self.catalog = catalog
        self.renderer = renderer
        self.store = store
        self.clock = clock
        self._record: dict[str, Any] | None = None
        envelope = handler_input.request_envelope
        self.locale = locale_of(handler_input)
        # Skill events and exception reports come without a session (and the SDK raises
        # when asked for its attributes): they start from a fresh state.
        in_session = envelope.session is not None
        attributes = handler_input.attributes_manager.session_attributes if in_session else None
        self.state, self.tampered = parse_state(attributes, catalog)
        # A pending yes/no question lasts one turn: what answers it reads ``question``,
        # and whatever else is said leaves it behind.
        self.question = self.state.question
        self.state = replace(self.state, question=None)
        self.now_s = request_seconds(envelope.request)
        # Whether this request came while the last response's counted set was still being
        # spoken (a barge-in); only the first request after the set can tell.
        self.mid_set = False
        if self.state.set_ends:
            ends = self.state.set_ends - SET_END_SLACK_S
            self.mid_set = self.now_s is None or self.now_s < ends
            self.state = replace(self.state, set_ends=0, set_cut=self.mid_set)
        self.has_screen = in_session and screen.has_screen(envelope)
        # Whose record this request reads and writes: a recognised voice, or the account.
        user_id, person_id = user_id_of(envelope), person_id_of(envelope)
        self.person = person_key(user_id, person_id) if user_id and person_id else None
        self.next_state = self.state
        self.saved_progress = True

    # --- state helpers -------------------------------------------------------------
    @property
    def plan(self) -> Plan | None:
        state = self.state
        return self.catalog.plan(state.workout, state.levels) if state.workout else None

    def slot(self, name: str) -> tuple[str | None, str | None]:
        """``(resolved id, spoken value)`` of a slot; the id is None when nothing matched."""
        request = self.handler_input.request_envelope.request
        slots = getattr(getattr(request, "intent", None), "slots", None) or {}
        slot = slots.get(name)
        if slot is None or not slot.value:
            return None, None
        spoken = str(slot.value)
        # Loaded with the slot's resolutions, so importing it here costs nothing; at the
        # top it would cost every cold start, whose launch has no slots.
        from ask_sdk_model.slu.entityresolution import StatusCode

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
        """The speaker's stored progress (a person's, or the account's), read once per
        request; empty when the store fails.
        """
        if self._record is None:
            raw: object = {}
            if self.store is not None and self.user_known:
                try:
                    raw = self.handler_input.attributes_manager.persistent_attributes
                except StorageError:
                    log.warning("could not read stored progress; carrying on without it")
            self._record = progress.normalise_record(household.record_of(raw, self.person))
        return self._record

    @property
    def user_known(self) -> bool:
        return user_id_of(self.handler_input.request_envelope) is not None

    def update(self, change: Callable[[object], dict[str, Any]]) -> None:
        """Apply ``change`` to the stored record atomically; a failure is said, not raised."""
        if self.store is None or not self.user_known:
            return
        person = self.person
        try:
            payload = self.store.update_attributes(
                self.handler_input.request_envelope,
                lambda stored: household.with_record(stored, person, change),
            )
            self._record = progress.normalise_record(household.record_of(payload, person))
        except StorageError:
            log.warning("could not save progress; the workout carries on")
            self.saved_progress = False

    def remember_place(self) -> None:
        """Store where the next state's unfinished workout stands, so the next launch can
        offer it: once per change of place, so a timeout, an error or a closed runner
        loses nothing, and no write at all when the place is the one already stored.
        """
        state = self.next_state
        place = state.place
        if place is None:
            self.next_state = replace(state, saved=False)
            return
        if self.state.saved and place == self.state.place:
            self.next_state = replace(state, saved=True)
            return
        workout_id, step = place
        kind, now = self.catalog.plan(workout_id).kind, self.clock()
        self.update(lambda raw: progress.set_resume_point(raw, kind, workout_id, step, now))
        stored = self.saved_progress and self.store is not None and self.user_known
        self.next_state = replace(state, saved=stored)

    # --- response -----------------------------------------------------------------
    def reply(
        self,
        key: str,
        state: State | None = None,
        *,
        end_session: bool = False,
        elicit: str | None = None,
        show: bool = True,
        **data: Any,
    ) -> Response:
        """Speak ``key``; on a device with a screen, show it too (unless ``show`` is False).

        A session that ends or a slot being elicited gets no screen: the one closes, and
        the other waits for a spoken answer.
        """
        self.next_state = state or self.state
        self.remember_place()
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
        if self.has_screen and show and not end_session and not elicit:
            self._show(key, rendered, speech, data)
        if end_session:
            builder.set_should_end_session(True)
        else:
            builder.ask(rendered.reprompt or rendered.speech)
        if elicit:
            # The dialog models (14 modules) only when a slot is asked for, not on launch.
            from ask_sdk_model.dialog import ElicitSlotDirective

            request = self.handler_input.request_envelope.request
            builder.add_directive(
                ElicitSlotDirective(slot_to_elicit=elicit, updated_intent=request.intent)
            )
        return builder.response

    def _show(self, key: str, rendered: Any, speech: str, data: dict[str, Any]) -> None:
        builder = screen.ScreenBuilder(
            self.catalog,
            self.renderer.library(self.locale, "screen"),
            self.renderer.beat_times(self.locale),
        )
        kind = builder.kind(key, self.next_state, data)
        token = screen.next_token(self.next_state, kind)
        self.next_state = replace(self.next_state, screen=token)
        summary = None
        if kind == "finished" and self.store is not None and self.user_known:
            summary = progress.summary(self.record(), self.clock())  # read once per request
        properties = builder.properties(
            kind, token, self.next_state, rendered, speech, data, summary
        )
        self.handler_input.response_builder.add_directive(screen.render_document(kind, properties))


_UNSPEAKABLE = re.compile(r"[^\w\s'&.-]+")


def echo(spoken: str) -> str:
    """A user's words as we may say them back: no markup, no symbols, not too long."""
    return " ".join(_UNSPEAKABLE.sub(" ", spoken).split())[:60]


def turn_of(handler_input: HandlerInput) -> Turn:
    return handler_input.attributes_manager.request_attributes[STATE_KEY]


class LoadTurn(AbstractRequestInterceptor):
    """Parse the session state once per request, before any handler runs."""

    def __init__(
        self,
        catalogs: Callable[[str | None], Catalog],
        renderer: SpeechRenderer,
        store: PersistenceAdapter | None = None,
        clock: WallClock = utc_now,
    ) -> None:
        self.catalogs = catalogs  # the catalog a request's locale is answered from
        self.renderer = renderer
        self.store = store
        self.clock = clock

    def process(self, handler_input: HandlerInput) -> None:
        catalog = self.catalogs(locale_of(handler_input))
        turn = Turn(handler_input, catalog, self.renderer, self.store, self.clock)
        session = handler_input.request_envelope.session
        if session is not None and session.new and turn.store is not None and turn.user_known:
            # A person's easier or harder ways ride in the session from its first request.
            levels = turn.record()["levels"]
            known = sorted((k, v) for k, v in levels.items() if k in catalog.exercises)
            turn.state = turn.next_state = replace(turn.state, levels=tuple(known))
        handler_input.attributes_manager.request_attributes[STATE_KEY] = turn


class SaveTurn(AbstractResponseInterceptor):
    """Write the next state back into the session attributes."""

    def process(self, handler_input: HandlerInput, response: Response | None) -> None:
        turn = handler_input.attributes_manager.request_attributes.get(STATE_KEY)
        if turn is not None and handler_input.request_envelope.session is not None:
            handler_input.attributes_manager.session_attributes = turn.next_state.to_attributes()
