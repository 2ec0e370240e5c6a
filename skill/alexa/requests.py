"""Alexa request envelopes, built here: the one builder the runner, tests and benchmarks share.

The requests follow the Alexa Skills Kit request format field for field (``version``,
``session``, ``context.System``, ``request`` with Alexa-style ids, a second-precision UTC
timestamp, entity-resolution blocks per slot), so a skill cannot tell them from Alexa's.
"""

from __future__ import annotations

import base64
import json
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

ALEXA_VERSION = "1.0"
API_ENDPOINT = "https://api.amazonalexa.com"
ER_SUCCESS_MATCH = "ER_SUCCESS_MATCH"
ER_SUCCESS_NO_MATCH = "ER_SUCCESS_NO_MATCH"
# Reasons a session ends without the skill ending it (SessionEndedRequest.reason).
USER_INITIATED = "USER_INITIATED"
EXCEEDED_MAX_REPROMPTS = "EXCEEDED_MAX_REPROMPTS"
USER_EVENT = "Alexa.Presentation.APL.UserEvent"
# What an Echo Show 8 says about itself: APL in supportedInterfaces, and its viewport.
SCREEN_INTERFACES = {"Alexa.Presentation.APL": {"runtime": {"maxVersion": "2023.3"}}}
SCREEN_VIEWPORT = {
    "experiences": [{"arcMinuteWidth": 221, "arcMinuteHeight": 162, "canRotate": False}],
    "mode": "HUB",
    "shape": "RECTANGLE",
    "pixelWidth": 1280,
    "pixelHeight": 800,
    "dpi": 213,
    "currentPixelWidth": 1280,
    "currentPixelHeight": 800,
    "touch": ["SINGLE"],
    "video": {"codecs": ["H_264_42", "H_264_41"]},
}


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
    """Who is talking, through which device, to which skill."""

    application_id: str
    user_id: str
    device_id: str

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


def slot(
    name: str,
    value: str | None = None,
    *,
    resolved_id: str | None = None,
    resolved_name: str | None = None,
    slot_type: str = "",
    application_id: str = "",
    user_source: bool = False,
) -> dict[str, Any]:
    """One slot as Alexa sends it: empty, resolved (ER_SUCCESS_MATCH) or unresolved.

    ``user_source`` adds the newer ``source`` and ``slotValue`` fields that devices send.
    """
    data: dict[str, Any] = {"name": name, "confirmationStatus": "NONE"}
    if value is None:
        return data
    authority: dict[str, Any] = {
        "authority": f"amzn1.er-authority.echo-sdk.{application_id}.{slot_type or name.upper()}",
        "status": {"code": ER_SUCCESS_MATCH if resolved_id is not None else ER_SUCCESS_NO_MATCH},
    }
    if resolved_id is not None:
        authority["values"] = [{"value": {"name": resolved_name or value, "id": resolved_id}}]
    resolutions = {"resolutionsPerAuthority": [authority]}
    data["value"] = value
    data["resolutions"] = resolutions
    if user_source:
        data["source"] = "USER"
        data["slotValue"] = {"type": "Simple", "value": value, "resolutions": resolutions}
    return data


def intent(name: str, slots: Mapping[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """The ``intent`` object of an IntentRequest; ``slots`` as :func:`slot` makes them."""
    data: dict[str, Any] = {"name": name, "confirmationStatus": "NONE"}
    if slots is not None:
        data["slots"] = dict(slots)
    return data


def request(
    request_type: str,
    *,
    locale: str = "en-US",
    now: datetime | None = None,
    request_id: str | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """The ``request`` object; a ``SessionEndedRequest`` defaults to ``USER_INITIATED``."""
    data: dict[str, Any] = {
        "type": request_type,
        "requestId": request_id or new_request_id(),
        "timestamp": timestamp(now or datetime.now(UTC)),
        "locale": locale,
        **fields,
    }
    if request_type == "SessionEndedRequest":
        data.setdefault("reason", USER_INITIATED)
    return data


def user_event(
    arguments: list[Any], token: str | None, *, locale: str = "en-US", now: datetime | None = None
) -> dict[str, Any]:
    """The request a screen's ``SendEvent`` posts when a button is pressed."""
    fields: dict[str, Any] = {
        "arguments": arguments,
        "source": {"type": "TouchWrapper", "handler": "Press", "id": ""},
        "components": {},
    }
    if token is not None:
        fields["token"] = token
    return request(USER_EVENT, locale=locale, now=now, **fields)


def envelope(
    request_body: dict[str, Any],
    identity: Identity,
    *,
    session_id: str | None,
    new: bool = False,
    attributes: Mapping[str, Any] | None = None,
    api_access_token: str | None = None,
    supported_interfaces: Mapping[str, Any] | None = None,
    screen: bool = False,
    person_id: str | None = None,
) -> dict[str, Any]:
    """The whole request envelope.

    ``screen=True`` is an Echo Show: APL among the supported interfaces, and a viewport.
    ``person_id`` is a speaker Alexa recognised by voice (``context.System.person``).

    ``session_id=None`` builds one without a session, as skill events and exception
    reports come. ``attributes=None`` leaves ``session.attributes`` out, as Alexa does
    when there are none.
    """
    application = {"applicationId": identity.application_id}
    user = {"userId": identity.user_id}
    system: dict[str, Any] = {
        "application": application,
        "user": user,
        "device": {
            "deviceId": identity.device_id,
            "supportedInterfaces": dict(supported_interfaces or {})
            | (SCREEN_INTERFACES if screen else {}),
        },
        "apiEndpoint": API_ENDPOINT,
    }
    if person_id is not None:
        system["person"] = {"personId": person_id}
    if api_access_token is not None:
        system["apiAccessToken"] = api_access_token
    data: dict[str, Any] = {"version": ALEXA_VERSION}
    if session_id is not None:
        session: dict[str, Any] = {
            "new": new,
            "sessionId": session_id,
            "application": dict(application),
            "user": dict(user),
        }
        if attributes is not None:
            session["attributes"] = dict(attributes)
        data["session"] = session
    data["context"] = {"System": system}
    if screen:
        data["context"]["Viewport"] = dict(SCREEN_VIEWPORT)
    data["request"] = request_body
    return data
