"""skill.alexa.codec.ModelCodec must give exactly what ask-sdk-core's DefaultSerializer gives.

The codec replaces the SDK's serializer on the hot path, so every test here compares the
two: the same model objects (same classes, same attribute values, recursively) for every
envelope the suite and the local runner produce, for a fully populated real-world
envelope, and for fuzzed ones; the same error class where the SDK refuses; the same JSON
for every response the skill produces.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any

import pytest
from ask_sdk_core.exceptions import SerializationException
from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model import IntentRequest, RequestEnvelope, Response
from ask_sdk_model.dialog import ElicitSlotDirective
from ask_sdk_model.ui import PlayBehavior, SsmlOutputSpeech
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skill.alexa.codec import ModelCodec
from skill.local.runner.session import LocalSession
from skill.local.understanding.nlu import LocalNLU
from tests.support import alexa

SDK = DefaultSerializer()


def sdk_model(data: Any) -> Any:
    return SDK.deserialize(json.dumps(data), RequestEnvelope)


def assert_same(ours: Any, theirs: Any, where: str = "$") -> None:
    """Structural identity: same types all the way down, not just ``==`` (1 == 1.0 == True)."""
    assert type(ours) is type(theirs), f"{where}: {type(ours)} vs {type(theirs)}"
    if isinstance(ours, list):
        assert len(ours) == len(theirs), where
        for index, (a, b) in enumerate(zip(ours, theirs, strict=True)):
            assert_same(a, b, f"{where}[{index}]")
    elif isinstance(ours, dict):
        assert ours.keys() == theirs.keys(), where
        for key in ours:
            assert_same(ours[key], theirs[key], f"{where}.{key}")
    elif isinstance(ours, datetime):
        # dateutil gives "Z" tzlocal() when the machine's zone is UTC, tzutc() elsewhere;
        # the codec gives datetime.UTC. Same instant, same offset.
        assert ours == theirs and ours.utcoffset() == theirs.utcoffset() == timedelta(0), where
    elif isinstance(ours, Enum) or not hasattr(ours, "__dict__"):
        assert ours == theirs, where
    else:
        assert_same(vars(ours), vars(theirs), where)


# --- envelopes to compare ---------------------------------------------------------------
REAL_WORLD = {
    "version": "1.0",
    "session": {
        "new": False,
        "sessionId": "amzn1.echo-api.session.0000",
        "application": {"applicationId": alexa.APPLICATION_ID},
        "attributes": {"step_coach": {"v": 1, "pace": "slow"}, "list": [1, 2.5, None, True]},
        "user": {
            "userId": alexa.USER_ID,
            "accessToken": "Atza|token",
            "permissions": {"consentToken": "token", "scopes": {"x": {"status": "GRANTED"}}},
        },
    },
    "context": {
        "System": {
            "application": {"applicationId": alexa.APPLICATION_ID},
            "user": {"userId": alexa.USER_ID},
            "person": {"personId": "amzn1.ask.person.P", "accessToken": "Atza|person"},
            "unit": {"unitId": "amzn1.ask.unit.U", "persistentUnitId": "amzn1.alexa.unit.P"},
            "device": {
                "deviceId": "amzn1.ask.device.D",
                "supportedInterfaces": {
                    "AudioPlayer": {},
                    "Display": {"templateVersion": "1.0", "markupVersion": "1.0"},
                    "Alexa.Presentation.APL": {"runtime": {"maxVersion": "2023.3"}},
                },
            },
            "apiEndpoint": "https://api.eu.amazonalexa.com",
            "apiAccessToken": "eyJ0eXAiOi",
        },
        "AudioPlayer": {"playerActivity": "IDLE", "offsetInMilliseconds": 0},
        "Viewport": {
            "experiences": [{"arcMinuteWidth": 246, "arcMinuteHeight": 144, "canRotate": False}],
            "mode": "HUB",
            "shape": "RECTANGLE",
            "pixelWidth": 1024,
            "pixelHeight": 600,
            "dpi": 160,
            "currentPixelWidth": 1024,
            "currentPixelHeight": 600,
            "touch": ["SINGLE"],
            "keyboard": [],
            "video": {"codecs": ["H_264_42", "H_264_41"]},
        },
        "Viewports": [{"type": "APL", "id": "main", "shape": "RECTANGLE", "dpi": 160}],
        "SomethingNew": {"fromAFutureApi": True},
    },
    "request": {
        "type": "IntentRequest",
        "requestId": "amzn1.echo-api.request.R",
        "timestamp": "2026-11-25T07:00:00.123Z",
        "locale": "en-GB",
        "dialogState": "IN_PROGRESS",
        "intent": {
            "name": "StartWorkoutIntent",
            "confirmationStatus": "NONE",
            "slots": {
                "exercise": {
                    "name": "exercise",
                    "value": "the clam",
                    "confirmationStatus": "NONE",
                    "source": "USER",
                    "slotValue": {
                        "type": "Simple",
                        "value": "the clam",
                        "resolutions": {
                            "resolutionsPerAuthority": [
                                {
                                    "authority": "amzn1.er-authority.echo-sdk.X.EXERCISE",
                                    "status": {"code": "ER_SUCCESS_MATCH"},
                                    "values": [{"value": {"name": "clamshells", "id": "clam"}}],
                                }
                            ]
                        },
                    },
                    "resolutions": {
                        "resolutionsPerAuthority": [
                            {
                                "authority": "amzn1.er-authority.echo-sdk.X.EXERCISE",
                                "status": {"code": "ER_SUCCESS_MATCH"},
                                "values": [{"value": {"name": "clamshells", "id": "clam"}}],
                            }
                        ]
                    },
                },
                "empty": {"name": "empty", "confirmationStatus": "NONE", "value": None},
            },
        },
        "unexpectedField": {"kept": "as-is"},
    },
}

OTHER_REQUESTS = [
    {
        "type": "SessionEndedRequest",
        "reason": "ERROR",
        "error": {"type": "INVALID_RESPONSE", "message": "bad SSML"},
    },
    {
        "type": "AlexaSkillEvent.SkillDisabled",
        "eventCreationTime": "2026-11-25T07:00:00Z",
        "eventPublishingTime": "2026-11-25T07:00:01Z",
        "body": {"userInformationPersistenceStatus": "NOT_PERSISTED"},
    },
    {"type": "AlexaSkillEvent.SkillEnabled", "eventCreationTime": "2026-11-25T07:00:00Z"},
    {
        "type": "System.ExceptionEncountered",
        "error": {"type": "INVALID_RESPONSE", "message": "Invalid directive"},
        "cause": {"requestId": "amzn1.echo-api.request.R"},
    },
    {"type": "LaunchRequest", "shouldLinkResultBeReturned": False},
    {"type": "IntentRequest", "intent": {"name": "AMAZON.NextIntent", "slots": {}}},
]


def _with_request(request: dict[str, Any]) -> dict[str, Any]:
    envelope = copy.deepcopy(REAL_WORLD)
    envelope["request"] = {"requestId": "amzn1.echo-api.request.O", **request}
    envelope["request"]["timestamp"] = "2026-11-25T07:00:00Z"
    return envelope


def suite_envelopes() -> list[dict[str, Any]]:
    """Every request of the exhaustive consistency sweep, in a sample of states; on an
    Echo Show (viewport, APL) and from a recognised person too, and touches.
    """
    states = alexa.sweep_states()
    sample = states[:: max(1, len(states) // 12)]
    voice = [
        alexa.envelope(attributes=attributes, **spec)
        for attributes in sample
        for _, spec in alexa.sweep_requests()
    ]
    shown = [
        alexa.envelope(attributes=attributes, screen=True, person_id="amzn1.ask.person.P", **spec)
        for attributes in sample[:3]
        for _, spec in alexa.sweep_requests()
    ]
    touches = [
        alexa.touch([action, "stepcoach.1.step", ""], {**attributes, "screen": "stepcoach.1.step"})
        for attributes in sample[1:4]
        for action in ("next", "previous", "pause", "repeat", "menu")
    ]
    return voice + shown + touches


RUNNER_UTTERANCES = (
    "open step coach",
    "start",  # elicits the exercise; the answer carries the updated intent
    "russian push ups",
    "next",
    "why do glutes matter",
    "ask step coach to protect my knees",  # ends the session, starts another
    "stop",
)


def runner_envelopes(coach) -> list[dict[str, Any]]:
    """What the local runner sends in a conversation, each answered by the skill."""
    session = LocalSession(LocalNLU.for_locale("en-US"))
    sent = []
    for utterance in RUNNER_UTTERANCES:
        for outgoing in session.prepare(utterance):
            session.absorb(outgoing, coach.handle(outgoing.envelope))
            sent.append(outgoing.envelope)
    return sent


@pytest.mark.parametrize("envelope", [REAL_WORLD, *map(_with_request, OTHER_REQUESTS)])
def test_real_world_envelopes_deserialize_exactly_as_the_sdk_does(envelope) -> None:
    assert_same(ModelCodec().from_data(envelope, RequestEnvelope), sdk_model(envelope))


def test_every_envelope_the_suite_and_the_runner_send_matches_the_sdk(coach) -> None:
    codec = ModelCodec()
    envelopes = suite_envelopes() + runner_envelopes(coach)
    assert len(envelopes) > 300
    for envelope in envelopes:
        assert_same(codec.from_data(envelope, RequestEnvelope), sdk_model(envelope))


def test_the_string_api_and_type_strings_match_the_sdk() -> None:
    codec = ModelCodec()
    text = json.dumps(REAL_WORLD)
    assert_same(codec.deserialize(text, RequestEnvelope), sdk_model(REAL_WORLD))
    assert_same(
        codec.deserialize(text, "ask_sdk_model.request_envelope.RequestEnvelope"),
        sdk_model(REAL_WORLD),
    )
    assert codec.deserialize(None, RequestEnvelope) is None
    assert codec.deserialize('["a", "b"]', "list[str]") == ["a", "b"]
    assert codec.deserialize('{"a": "2026-01-01"}', "dict(str, date)") == {"a": date(2026, 1, 1)}
    assert codec.deserialize("3", "float") == 3.0  # a conversion: the SDK's own path
    with pytest.raises(SerializationException):
        codec.deserialize("{not json", RequestEnvelope)


def test_a_request_typed_field_resolves_its_subclass_like_the_sdk() -> None:
    request = REAL_WORLD["request"]
    ours = ModelCodec().from_data(request, "ask_sdk_model.request.Request")
    assert type(ours) is IntentRequest
    assert_same(ours, SDK.deserialize(json.dumps(request), "ask_sdk_model.request.Request"))


@pytest.mark.parametrize(
    "stamp",
    [
        "2026-11-25T07:00:00Z",
        "2026-11-25T07:00:00.5Z",
        "2026-11-25T07:00:00.123456Z",
        "2026-11-25T07:00:00.1234567Z",  # more than microseconds: dateutil decides
        "2026-11-25T07:00:00+01:00",
        "2026-11-25",
        "0099-01-01T00:00:00Z",
    ],
)
def test_timestamps_match_dateutil(stamp: str) -> None:
    envelope = _with_request({"type": "LaunchRequest"})
    envelope["request"]["timestamp"] = stamp
    ours = ModelCodec().from_data(envelope, RequestEnvelope).request.timestamp
    theirs = sdk_model(envelope).request.timestamp
    assert ours == theirs and ours.utcoffset() == theirs.utcoffset()


@given(st.datetimes(min_value=datetime(1, 1, 1), timezones=st.just(UTC)), st.integers(0, 6))
def test_any_alexa_style_timestamp_matches_dateutil(moment: datetime, digits: int) -> None:
    stamp = f"{moment.year:04d}-" + moment.strftime("%m-%dT%H:%M:%S")  # %Y: no zero padding
    if digits:
        stamp += "." + f"{moment.microsecond:06d}"[:digits]
    envelope = {"version": "1.0", "request": {"type": "LaunchRequest", "timestamp": stamp + "Z"}}
    ours = ModelCodec().from_data(envelope, RequestEnvelope).request.timestamp
    assert ours == sdk_model(envelope).request.timestamp
    assert ours.tzinfo is UTC


@pytest.mark.parametrize(
    "stamp", ["2026-02-29T00:00:00Z", "2026-11-25T24:00:00Z", "yesterday", "", 1700000000]
)
def test_bad_timestamps_fail_exactly_when_the_sdk_fails(stamp: object) -> None:
    envelope = _with_request({"type": "LaunchRequest"})
    envelope["request"]["timestamp"] = stamp
    with pytest.raises(SerializationException):
        sdk_model(envelope)
    with pytest.raises(SerializationException):
        ModelCodec().from_data(envelope, RequestEnvelope)


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("request", "type"), "NoSuchRequest"),  # the discriminator resolves nothing
        (("request", "intent", "confirmationStatus"), "MAYBE"),  # not an enum value
        (("request", "intent", "slots"), ["not", "a", "dict"]),
        (("context", "System", "device"), "a string"),
        (("session", "new"), "yes"),  # the SDK converts: bool("yes")
        (("context", "Viewport", "pixelWidth"), "1024"),  # and int("1024")
        (("request", "intent", "slots", "exercise", "value"), 7),  # and str(7)
        (("context", "Viewport", "dpi"), 160.5),
        (("request",), None),
    ],
)
def test_unusual_payloads_take_the_sdk_path_with_the_same_outcome(path, value) -> None:
    envelope = copy.deepcopy(REAL_WORLD)
    target = envelope
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    compare_outcomes(envelope)


def compare_outcomes(envelope: Any) -> None:
    try:
        theirs = sdk_model(envelope)
    except Exception as error:  # whatever the SDK raises, the codec must raise too
        with pytest.raises(type(error)):
            ModelCodec().from_data(envelope, RequestEnvelope)
        return
    assert_same(ModelCodec().from_data(envelope, RequestEnvelope), theirs)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)


def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    paths = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            paths += _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            paths += _paths(child, (*prefix, index))
    return paths


BASES = [REAL_WORLD, *map(_with_request, OTHER_REQUESTS), alexa.envelope()]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_fuzzed_envelopes_give_the_sdks_result_or_its_error(data) -> None:
    envelope = copy.deepcopy(data.draw(st.sampled_from(BASES)))
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(_paths(envelope)[1:]))
        target = envelope
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = data.draw(json_values)
    compare_outcomes(envelope)


# --- serializing ------------------------------------------------------------------------
class Colour(Enum):
    RED = "red"


def test_responses_serialize_exactly_as_the_sdk_does(coach) -> None:
    codec = ModelCodec()
    checked = 0
    for envelope in suite_envelopes():
        response = coach.skill.invoke(request_envelope=sdk_model(envelope), context=None)
        assert_same(codec.serialize(response), SDK.serialize(response))
        checked += 1
    assert checked > 300


def test_every_kind_of_value_serializes_as_the_sdk_does() -> None:
    directive = ElicitSlotDirective(
        slot_to_elicit="exercise",
        updated_intent=ModelCodec().from_data(
            REAL_WORLD["request"]["intent"], "ask_sdk_model.intent.Intent"
        ),
    )
    speech = SsmlOutputSpeech(ssml="<speak>Hi</speak>", play_behavior=PlayBehavior.ENQUEUE)
    value = {
        "response": Response(output_speech=speech, directives=[directive]),
        "when": datetime(2026, 11, 25, 7, tzinfo=UTC),
        "day": date(2026, 11, 25),
        "tuple": (1, "a", None),
        "colour": Colour.RED,
        "whole": Decimal("3"),
        "part": Decimal("2.5"),
        "bytes": b"x",
        "nested": [{"a": [True, 1.5]}],
    }
    codec = ModelCodec()
    assert_same(codec.serialize(value), SDK.serialize(value))
    assert codec.serialize(None) is None
