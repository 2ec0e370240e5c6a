"""A session that behaves like Alexa's, turning what the user said into its requests.

The requests come from :mod:`skill.alexa.requests`; :class:`LocalSession` keeps Alexa's
session rules:
attributes come back from the previous response's ``sessionAttributes``; a session that
the skill ended is replaced by a fresh one (new id, ``new: true``, no attributes); "open
step coach" is a ``LaunchRequest``; "ask step coach to ..." and a first utterance without
the skill's name are one-shot ``IntentRequest``s opening a session; a ``Dialog.ElicitSlot``
directive makes the next answer fill that slot (``dialogState: IN_PROGRESS``); and leaving
mid-session sends a ``SessionEndedRequest``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from skill.alexa import requests
from skill.alexa.requests import USER_INITIATED, Identity, new_marker
from skill.alexa.ssml import plain_text
from skill.local.runner.runner_words import RunnerWords, runner_words_for
from skill.local.runner.screen_text import screen_of
from skill.local.understanding.choosing import DialogContext
from skill.local.understanding.nlu import LocalNLU, SlotValue, Understanding

# The application id the runner uses when none is configured: stable, so an endpoint's
# allow-list can name it, and recognisably local.
LOCAL_APPLICATION_ID = "amzn1.ask.skill." + str(
    uuid.uuid5(uuid.NAMESPACE_URL, "https://step-coach.local/local-runner")
)

# The session's time, as the coach's WallClock: now, as an aware datetime.
WallClock = Callable[[], datetime]


def _utc_now() -> datetime:
    return datetime.now(UTC)


def local_identity(application_id: str | None = None, marker: str | None = None) -> Identity:
    """This PC's user and device, with Alexa-shaped ids derived from a random marker.

    A fresh marker per run is a new user to the skill; one the runner keeps between runs
    lets the skill remember this PC's user. Nothing identifying goes into it.
    """
    marker = marker or new_marker()
    return Identity(
        application_id=application_id or LOCAL_APPLICATION_ID,
        user_id=f"amzn1.ask.account.LOCAL{marker}",
        device_id=f"amzn1.ask.device.LOCAL{marker[::-1]}",
    )


def local_person_id(name: str) -> str:
    """An Alexa-shaped person id for a name typed on this PC (``--person ann``)."""
    letters = "".join(char for char in name.upper() if char.isalnum())[:40]
    if not letters:
        raise ValueError("a person's name needs a letter or digit")
    return f"amzn1.ask.person.LOCAL{letters}"


def slot_json(name: str, slot: SlotValue | None, application_id: str) -> dict[str, Any]:
    """One understood slot as Alexa sends it: empty, resolved or unresolved."""
    if slot is None:
        return requests.slot(name)
    return requests.slot(
        name,
        slot.value,
        resolved_id=slot.id,
        resolved_name=slot.resolved,
        slot_type=slot.slot_type,
        application_id=application_id,
        user_source=True,
    )


def intent_json(
    understanding: Understanding,
    declared_slots: Mapping[str, str],
    application_id: str,
    carried: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The ``intent`` object: every declared slot present, filled or not, as Alexa does.

    ``carried`` holds slots from a ``Dialog.ElicitSlot``'s ``updatedIntent`` that this
    answer does not change.
    """
    slots = None
    if declared_slots:
        slots = {
            name: (
                slot_json(name, understanding.slots[name], application_id)
                if name in understanding.slots
                else dict((carried or {}).get(name) or slot_json(name, None, application_id))
            )
            for name in declared_slots
        }
    return requests.intent(understanding.intent, slots)


@dataclass
class Outgoing:
    """A request ready to send, with what the runner needs to report about it."""

    envelope: dict[str, Any]
    utterance: str
    understanding: Understanding | None = None

    @property
    def request_type(self) -> str:
        return self.envelope["request"]["type"]

    @property
    def session_id(self) -> str:
        return self.envelope["session"]["sessionId"]


def asks_a_question(body: Mapping[str, Any]) -> bool:
    """Whether a response asks a question a yes or no may answer: its speech ends on one, or
    its reprompt asks one ("Shall we stop for today? ... Or say no, and we'll go on gently"
    ends on a statement; its reprompt "Shall we stop for today? Say yes to stop ..." asks)."""
    speech = (body.get("outputSpeech") or {}).get("ssml") or ""
    reprompt = ((body.get("reprompt") or {}).get("outputSpeech") or {}).get("ssml") or ""
    return plain_text(speech).rstrip().endswith("?") or "?" in plain_text(reprompt)


@dataclass
class LocalSession:
    """One Alexa conversation after another, as a device would hold them.

    :meth:`prepare` turns an utterance into the request(s) Alexa would send;
    :meth:`absorb` takes the skill's response to one of them and updates the session.
    """

    nlu: LocalNLU
    locale: str = ""  # default: the NLU's locale
    identity: Identity = field(default_factory=local_identity)
    clock: WallClock = _utc_now
    screen: bool = False  # claim an Echo Show's screen (APL) in every request
    person_id: str | None = None  # a voice profile Alexa recognised (context.System.person)
    shown: Mapping[str, Any] | None = field(default=None, init=False)  # the screen's data
    session_id: str | None = field(default=None, init=False)  # None: no session open
    attributes: dict[str, Any] = field(default_factory=dict, init=False)
    new: bool = field(default=True, init=False)
    elicit: tuple[str, str] | None = field(default=None, init=False)
    asked: bool = field(default=False, init=False)  # the last answer asked a question
    _updated_intent: dict[str, Any] | None = field(default=None, init=False, repr=False)
    # How far the conversation's time runs ahead of the clock: answers shown but not played
    # count as heard to their end (see :meth:`listened`).
    _ahead: timedelta = field(default=timedelta(0), init=False, repr=False)
    # The runner's own words in the locale's language ("tap next", "quit").
    words: RunnerWords = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.locale = self.locale or self.nlu.locale
        self.words = runner_words_for(self.nlu.locale)

    @property
    def is_open(self) -> bool:
        return self.session_id is not None

    def now(self) -> datetime:
        """The time the next request is stamped with."""
        return self.clock() + self._ahead

    def listened(self, milliseconds: int) -> None:
        """An answer the user took in without it being played (muted, scripted, no sound
        device): the next request comes as though its speech had been heard to its end,
        which is how the skill tells a counted set that was done from one cut short."""
        self._ahead += timedelta(milliseconds=milliseconds)

    # --- requests ----------------------------------------------------------------------

    def context(self) -> DialogContext:
        """What the skill's last answer makes likely: an elicited slot, a question's yes or
        no, a workout in progress."""
        workout = self.attributes.get("workout") if self.is_open else None
        in_workout = isinstance(workout, dict) and not workout.get("finished")
        return DialogContext(elicit=self.elicit, question=self.asked, in_workout=in_workout)

    def prepare(self, utterance: str, understood: Understanding | None = None) -> list[Outgoing]:
        """The request(s) for one thing the user said.

        ``understood`` is what understanding already made of it (speech, with the dialog's
        context): it is not read again.

        Saying the skill's name while a session is open ends that session first
        (``SessionEndedRequest``, ``USER_INITIATED``), as a new invocation does on a device.
        """
        tapped = self._tap(utterance)
        if tapped is not None:
            return [tapped]
        invocation = self.nlu.parse_invocation(utterance)
        outgoing: list[Outgoing] = []
        if invocation is not None:
            ended = self.end(USER_INITIATED, utterance)
            if ended is not None:
                outgoing.append(ended)
            self._open()
            if invocation.kind == "launch":
                outgoing.append(Outgoing(self._envelope(self._launch()), utterance))
                return outgoing
            understanding = self.nlu.understand(invocation.utterance or "")
            outgoing.append(self._intent_turn(utterance, understanding))
            return outgoing
        if not self.is_open:
            self._open()  # a one-shot, as "Alexa, ask step coach to ..." would be
        understanding = understood or self.nlu.understand(
            utterance, elicit=self.elicit, question=self.asked
        )
        outgoing.append(self._intent_turn(utterance, understanding))
        return outgoing

    def end(
        self, reason: str, utterance: str = "", error: Mapping[str, str] | None = None
    ) -> Outgoing | None:
        """A ``SessionEndedRequest`` for the open session (which is then closed), if any.

        ``error`` (``{"type", "message"}``) goes with reason ``ERROR``, as Alexa sends it.
        """
        if not self.is_open:
            return None
        fields: dict[str, Any] = {"reason": reason}
        if error is not None:
            fields["error"] = dict(error)
        request = self._request("SessionEndedRequest", **fields)
        outgoing = Outgoing(self._envelope(request), utterance)
        self._close()
        return outgoing

    def absorb(self, sent: Outgoing, response: Mapping[str, Any]) -> None:
        """Update the session from the skill's response to ``sent``.

        Responses to a ``SessionEndedRequest``, or to a session since replaced, change
        nothing: Alexa ignores them too.
        """
        if sent.request_type == "SessionEndedRequest" or sent.session_id != self.session_id:
            return
        self.new = False
        body = response.get("response") or {}
        if ends_session(body):
            self._close()
            return
        self.attributes = dict(response.get("sessionAttributes") or {})
        self.asked = asks_a_question(body)
        self.shown = screen_of(response) or self.shown
        self.elicit, self._updated_intent = None, None
        for directive in body.get("directives") or []:
            if directive.get("type") == "Dialog.ElicitSlot":
                updated = directive.get("updatedIntent") or {}
                if updated.get("name") and directive.get("slotToElicit"):
                    self.elicit = (updated["name"], directive["slotToElicit"])
                    self._updated_intent = updated

    # --- building blocks ---------------------------------------------------------------

    def _tap(self, utterance: str) -> Outgoing | None:
        """A press of the shown screen's button (or menu choice) the words name, if any:
        "tap next", "touch start over" (the language's ``tap_words``)."""
        words = self.nlu.wording.words_of(utterance)
        if not self.screen or self.shown is None or not self.is_open:
            return None
        tap = next((t for t in self.words.tap_words if tuple(words[: len(t)]) == t), None)
        if tap is None or len(words) <= len(tap):
            return None
        target = self._touched(self.shown, words[len(tap) :])
        if target is None:
            return None
        token = self.shown.get("token")
        arguments = [target.get("action"), token, target.get("target")]
        request = requests.user_event(arguments, token, locale=self.locale, now=self.now())
        return Outgoing(self._envelope(request), utterance)

    def _touched(self, shown: Mapping[str, Any], wanted: list[str]) -> Mapping[str, Any] | None:
        """The button or menu choice the words name: by its label (its first word may be
        left out when it is one of the ``tap_verbs``), or by its number."""
        choices = shown.get("choices") or []
        if len(wanted) == 1 and wanted[0].isdigit():  # "tap 6": the menu's sixth choice
            number = int(wanted[0])
            return choices[number - 1] if 0 < number <= len(choices) else None
        for target in [*(shown.get("buttons") or []), *choices]:
            label = self.nlu.wording.words_of(str(target.get("label", "")))
            if label == wanted or (
                label[:1] and label[0] in self.words.tap_verbs and label[1:] == wanted
            ):
                return target
        return None

    def _open(self) -> None:
        self.session_id = requests.new_session_id()
        self.attributes = {}
        self.shown = None
        self.new = True
        self.elicit, self._updated_intent = None, None
        self.asked = False

    def _close(self) -> None:
        self.session_id = None
        self.shown = None
        self.attributes = {}
        self.elicit, self._updated_intent = None, None
        self.asked = False

    def _intent_turn(self, utterance: str, understanding: Understanding) -> Outgoing:
        carried = None
        if self._updated_intent and self._updated_intent.get("name") == understanding.intent:
            carried = self._updated_intent.get("slots") or {}
        intent = intent_json(
            understanding,
            self.nlu.intent_slots.get(understanding.intent, {}),
            self.identity.application_id,
            carried,
        )
        request = self._request("IntentRequest", intent=intent)
        if understanding.intent in self.nlu.dialog_intents:
            eliciting = self.elicit is not None and self.elicit[0] == understanding.intent
            request["dialogState"] = "IN_PROGRESS" if eliciting else "STARTED"
        return Outgoing(self._envelope(request), utterance, understanding)

    def _launch(self) -> dict[str, Any]:
        return self._request("LaunchRequest", shouldLinkResultBeReturned=False)

    def _request(self, request_type: str, **fields: Any) -> dict[str, Any]:
        return requests.request(request_type, locale=self.locale, now=self.now(), **fields)

    def _envelope(self, request: dict[str, Any]) -> dict[str, Any]:
        """The whole request; ``session.attributes`` only when there are some, as Alexa."""
        return requests.envelope(
            request,
            self.identity,
            session_id=self.session_id,
            new=self.new,
            attributes=self.attributes or None,
            api_access_token=self.identity.api_access_token(self.now()),
            screen=self.screen,
            person_id=self.person_id,
        )


def ends_session(body: Mapping[str, Any]) -> bool:
    """Whether the response closes the session.

    An explicit ``shouldEndSession`` decides; without one, a voice-only device keeps
    listening only when there is a reprompt to give.
    """
    flag = body.get("shouldEndSession")
    if flag is not None:
        return bool(flag)
    return not body.get("reprompt")
