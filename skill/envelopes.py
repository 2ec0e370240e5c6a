"""Alexa request envelopes, built locally, and a session that behaves like Alexa's.

The local runner must exercise the skill exactly as Alexa does, so the requests built
here follow the Alexa Skills Kit request format field for field (``version``, ``session``,
``context.System``, ``request`` with Alexa-style ids, a second-precision UTC timestamp,
entity-resolution blocks per slot) and :class:`LocalSession` keeps Alexa's session rules:
attributes come back from the previous response's ``sessionAttributes``; a session that
the skill ended is replaced by a fresh one (new id, ``new: true``, no attributes); "open
step coach" is a ``LaunchRequest``; "ask step coach to ..." and a first utterance without
the skill's name are one-shot ``IntentRequest``s opening a session; a ``Dialog.ElicitSlot``
directive makes the next answer fill that slot (``dialogState: IN_PROGRESS``); and leaving
mid-session sends a ``SessionEndedRequest``.
"""

from __future__ import annotations

import base64
import json
import secrets
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from skill.nlu import LocalNLU, SlotValue, Understanding

ALEXA_VERSION = "1.0"
API_ENDPOINT = "https://api.amazonalexa.com"
# The application id the runner uses when none is configured: stable, so an endpoint's
# allow-list can name it, and recognisably local.
LOCAL_APPLICATION_ID = "amzn1.ask.skill." + str(
    uuid.uuid5(uuid.NAMESPACE_URL, "https://step-coach.local/local-runner")
)
# Reasons a session ends without the skill ending it (SessionEndedRequest.reason).
USER_INITIATED = "USER_INITIATED"
EXCEEDED_MAX_REPROMPTS = "EXCEEDED_MAX_REPROMPTS"

Clock = Callable[[], datetime]


def _utc_now() -> datetime:
    return datetime.now(UTC)


def timestamp(moment: datetime) -> str:
    """Alexa's request timestamp: ISO 8601, UTC, whole seconds ("2026-11-25T07:00:00Z")."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_request_id() -> str:
    return f"amzn1.echo-api.request.{uuid.uuid4()}"


def new_session_id() -> str:
    return f"amzn1.echo-api.session.{uuid.uuid4()}"


def new_marker() -> str:
    """A random, Alexa-shaped id suffix (base32, 48 characters)."""
    return base64.b32encode(secrets.token_bytes(30)).decode("ascii").rstrip("=")


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@dataclass(frozen=True)
class Identity:
    """Who is talking, through which device, to which skill: stable for one runner run.

    Ids follow Alexa's shapes and are derived from a random marker: a fresh one per run
    (a new user to the skill), or one the runner keeps between runs so the skill can
    remember this PC's user. Nothing identifying goes into it.
    """

    application_id: str
    user_id: str
    device_id: str

    @classmethod
    def local(cls, application_id: str | None = None, marker: str | None = None) -> Identity:
        marker = marker or new_marker()
        return cls(
            application_id=application_id or LOCAL_APPLICATION_ID,
            user_id=f"amzn1.ask.account.LOCAL{marker}",
            device_id=f"amzn1.ask.device.LOCAL{marker[::-1]}",
        )

    def api_access_token(self, now: datetime) -> str:
        """A token with the claims of Alexa's, minted per request, but unsigned
        (``alg: none``): any Alexa API, or anything that checks it, refuses it.
        """
        issued = int(now.timestamp())
        header = {"typ": "JWT", "alg": "none", "kid": "local"}
        claims = {
            "aud": API_ENDPOINT,
            "iss": "AlexaSkillKit",
            "sub": self.application_id,
            "exp": issued + 3600,
            "iat": issued,
            "nbf": issued,
            "privateClaims": {"deviceId": self.device_id, "userId": self.user_id},
        }
        encode = json.dumps
        return f"{_b64url(encode(header).encode())}.{_b64url(encode(claims).encode())}."


def slot_json(name: str, slot: SlotValue | None, application_id: str) -> dict[str, Any]:
    """One slot as Alexa sends it: empty, resolved (ER_SUCCESS_MATCH) or unresolved."""
    data: dict[str, Any] = {"name": name, "confirmationStatus": "NONE"}
    if slot is None:
        return data
    authority: dict[str, Any] = {
        "authority": f"amzn1.er-authority.echo-sdk.{application_id}.{slot.slot_type}",
        "status": {"code": slot.status},
    }
    if slot.id is not None:
        authority["values"] = [{"value": {"name": slot.resolved or slot.value, "id": slot.id}}]
    resolutions = {"resolutionsPerAuthority": [authority]}
    data.update(
        value=slot.value,
        resolutions=resolutions,
        source="USER",
        slotValue={"type": "Simple", "value": slot.value, "resolutions": resolutions},
    )
    return data


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
    intent: dict[str, Any] = {"name": understanding.intent, "confirmationStatus": "NONE"}
    if declared_slots:
        intent["slots"] = {
            name: (
                slot_json(name, understanding.slots[name], application_id)
                if name in understanding.slots
                else dict((carried or {}).get(name) or slot_json(name, None, application_id))
            )
            for name in declared_slots
        }
    return intent


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


@dataclass
class LocalSession:
    """One Alexa conversation after another, as a device would hold them.

    :meth:`prepare` turns an utterance into the request(s) Alexa would send;
    :meth:`absorb` takes the skill's response to one of them and updates the session.
    """

    nlu: LocalNLU
    locale: str = ""  # default: the NLU's locale
    identity: Identity = field(default_factory=Identity.local)
    clock: Clock = _utc_now
    session_id: str | None = field(default=None, init=False)  # None: no session open
    attributes: dict[str, Any] = field(default_factory=dict, init=False)
    new: bool = field(default=True, init=False)
    elicit: tuple[str, str] | None = field(default=None, init=False)
    _updated_intent: dict[str, Any] | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.locale = self.locale or self.nlu.locale

    @property
    def is_open(self) -> bool:
        return self.session_id is not None

    # --- requests ----------------------------------------------------------------------

    def prepare(self, utterance: str) -> list[Outgoing]:
        """The request(s) for one thing the user said.

        Saying the skill's name while a session is open ends that session first
        (``SessionEndedRequest``, ``USER_INITIATED``), as a new invocation does on a device.
        """
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
        understanding = self.nlu.understand(utterance, elicit=self.elicit)
        outgoing.append(self._intent_turn(utterance, understanding))
        return outgoing

    def end(self, reason: str, utterance: str = "") -> Outgoing | None:
        """A ``SessionEndedRequest`` for the open session (which is then closed), if any."""
        if not self.is_open:
            return None
        request = self._request("SessionEndedRequest", reason=reason)
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
        self.elicit, self._updated_intent = None, None
        for directive in body.get("directives") or []:
            if directive.get("type") == "Dialog.ElicitSlot":
                updated = directive.get("updatedIntent") or {}
                if updated.get("name") and directive.get("slotToElicit"):
                    self.elicit = (updated["name"], directive["slotToElicit"])
                    self._updated_intent = updated

    # --- building blocks ---------------------------------------------------------------

    def _open(self) -> None:
        self.session_id = new_session_id()
        self.attributes = {}
        self.new = True
        self.elicit, self._updated_intent = None, None

    def _close(self) -> None:
        self.session_id = None
        self.attributes = {}
        self.elicit, self._updated_intent = None, None

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
        return {
            "type": request_type,
            "requestId": new_request_id(),
            "timestamp": timestamp(self.clock()),
            "locale": self.locale,
            **fields,
        }

    def _envelope(self, request: dict[str, Any]) -> dict[str, Any]:
        """The whole request; ``session.attributes`` only when there are some, as Alexa."""
        identity = self.identity
        application = {"applicationId": identity.application_id}
        user = {"userId": identity.user_id}
        session: dict[str, Any] = {
            "new": self.new,
            "sessionId": self.session_id,
            "application": application,
            "user": user,
        }
        if self.attributes:
            session["attributes"] = dict(self.attributes)
        system = {
            "application": dict(application),
            "user": dict(user),
            "device": {"deviceId": identity.device_id, "supportedInterfaces": {}},
            "apiEndpoint": API_ENDPOINT,
            "apiAccessToken": identity.api_access_token(self.clock()),
        }
        return {
            "version": ALEXA_VERSION,
            "session": session,
            "context": {"System": system},
            "request": request,
        }


def ends_session(body: Mapping[str, Any]) -> bool:
    """Whether the response closes the session.

    An explicit ``shouldEndSession`` decides; without one, a voice-only device keeps
    listening only when there is a reprompt to give.
    """
    flag = body.get("shouldEndSession")
    if flag is not None:
        return bool(flag)
    return not body.get("reprompt")
