"""The HTTP endpoint: routes, refusals as JSON, fuzzing, and the conversations over HTTP."""

from __future__ import annotations

import json
import logging

import hypothesis
import pytest
from hypothesis import HealthCheck, given
from hypothesis import strategies as st

from skill import settings
from skill.serve.app import create_app, settings_from_environment
from tests.support import alexa
from tests.support.conversations import FLOWS, TurnClock, check_turn, load
from tests.support.signing import TestAlexaSigner


@pytest.fixture(scope="module")
def dev_app(coach):
    """Verification explicitly off, as for local development."""
    return create_app({settings.VERIFY: False, "STEP_COACH_COACH": coach})


@pytest.fixture
def client(dev_app):
    return dev_app.test_client()


def post(client, payload, headers=None):
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return client.post("/", data=body, headers=headers or {}, content_type="application/json")


def test_health(client) -> None:
    answer = client.get("/health")
    assert answer.status_code == 200
    assert answer.json["status"] == "ok"
    assert answer.json["verification"] is False


def test_a_launch_over_http(client) -> None:
    answer = post(client, alexa.envelope())
    assert answer.status_code == 200
    assert answer.is_json
    assert "Step Coach" in answer.json["response"]["outputSpeech"]["ssml"]


@pytest.mark.parametrize("flow", FLOWS, ids=[path.stem for path in FLOWS])
def test_conversations_over_http(client, flow) -> None:
    attributes: dict = {}
    clock, last = TurnClock(), None
    for number, turn in enumerate(load(flow), start=1):
        when = clock.at(turn, last)
        answer = post(client, alexa.turn_request(turn, attributes, new=number == 1, timestamp=when))
        assert answer.status_code == 200
        check_turn(number, turn, answer.json)
        last = answer.json
        attributes = answer.json.get("sessionAttributes") or {}


@pytest.mark.parametrize(
    ("body", "status", "reason"),
    [
        (b"not json", 400, "invalid_json"),
        (b"\xff\xfe\x00", 400, "invalid_json"),
        (b"[]", 400, "invalid_envelope"),
        (b"[" * 100_000, 400, "invalid_json"),
        (b"{}", 400, "invalid_envelope"),
        (b'{"version": "1.0", "request": {"type": "Nope"}}', 400, "invalid_envelope"),
        (b"x" * (200 * 1024), 413, "request_entity_too_large"),
    ],
)
def test_malformed_bodies_get_4xx_json(client, body, status, reason) -> None:
    answer = post(client, body)
    assert answer.status_code == status
    assert answer.is_json
    assert answer.json["error"] == reason
    assert "Traceback" not in answer.get_data(as_text=True)


@pytest.mark.parametrize("request_type", ["LaunchRequest", "SessionEndedRequest", "IntentRequest"])
def test_an_in_session_request_without_a_session_is_a_bad_request(client, request_type) -> None:
    envelope = alexa.envelope(
        request_type, intent="AMAZON.NextIntent" if "Intent" in request_type else None
    )
    del envelope["session"]
    answer = post(client, envelope)
    assert answer.status_code == 400
    assert answer.json == {
        "error": "invalid_envelope",
        "message": f"a {request_type} needs a session",
    }


@pytest.mark.parametrize(
    "request_type",
    [
        "AlexaSkillEvent.SkillEnabled",
        "AlexaSkillEvent.SkillDisabled",
        "System.ExceptionEncountered",
    ],
)
def test_out_of_session_requests_are_answered_without_session_attributes(client, request_type):
    envelope = alexa.envelope(request_type)
    assert "session" not in envelope  # as Alexa sends them
    answer = post(client, envelope)
    assert answer.status_code == 200
    assert "sessionAttributes" not in answer.json
    assert "outputSpeech" not in answer.json["response"]


def test_unknown_request_type_is_a_bad_request(client) -> None:
    answer = post(client, alexa.envelope("Alexa.Presentation.HTML.Message"))
    assert answer.status_code == 400
    assert "unsupported request type" in answer.json["message"]


@pytest.mark.parametrize("method", ["get", "put", "delete", "patch"])
def test_wrong_method_is_405_json(client, method) -> None:
    answer = getattr(client, method)("/")
    assert answer.status_code == 405
    assert answer.json["error"] == "method_not_allowed"


def test_unknown_path_is_404_json(client) -> None:
    assert client.get("/nope").json["error"] == "not_found"


def test_a_real_bug_is_a_500_json_without_trace(coach, monkeypatch, caplog) -> None:
    app = create_app({settings.VERIFY: False, "STEP_COACH_COACH": coach})
    monkeypatch.setattr(coach, "handle", lambda envelope: 1 / 0)
    with caplog.at_level(logging.INFO, logger="skill.access"):
        answer = post(app.test_client(), alexa.envelope())
    assert answer.status_code == 500
    assert answer.json == {
        "error": "internal_error",
        "message": "Something went wrong on our side.",
    }
    assert "LaunchRequest - user=" in caplog.text and "status=500" in caplog.text


def test_the_log_line_has_the_status_of_a_refused_body(client, caplog) -> None:
    with caplog.at_level(logging.INFO, logger="skill.access"):
        assert post(client, b"x" * (200 * 1024)).status_code == 413
    assert "status=413" in caplog.text


def test_verification_is_on_by_default(coach, monkeypatch) -> None:
    monkeypatch.delenv(settings.VERIFY, raising=False)
    app = create_app({"STEP_COACH_COACH": coach})
    assert app.config[settings.VERIFY] is True
    answer = post(app.test_client(), alexa.envelope())  # unsigned
    assert answer.status_code == 400
    assert answer.is_json


def test_only_an_explicit_zero_turns_verification_off(caplog) -> None:
    assert settings_from_environment({settings.VERIFY: "0"})[settings.VERIFY] is False
    assert settings_from_environment({settings.VERIFY: "1"})[settings.VERIFY] is True
    assert settings_from_environment({settings.VERIFY: "yes please"})[settings.VERIFY] is True
    assert settings.VERIFY not in settings_from_environment({})
    with caplog.at_level(logging.WARNING, logger="skill.app"):
        create_app({settings.VERIFY: False})
    assert "VERIFICATION IS OFF" in caplog.text


def test_application_id_is_checked_even_without_signatures(coach) -> None:
    app = create_app(
        {
            settings.VERIFY: False,
            settings.SKILL_ID: ("amzn1.ask.skill.mine",),
            "STEP_COACH_COACH": coach,
        }
    )
    refused = post(app.test_client(), alexa.envelope())
    assert refused.status_code == 403
    assert refused.is_json
    accepted = post(app.test_client(), alexa.envelope(application_id="amzn1.ask.skill.mine"))
    assert accepted.status_code == 200


def test_skill_ids_from_the_environment() -> None:
    parsed = settings_from_environment({settings.SKILL_ID: " a, b ,,c "})
    assert parsed[settings.SKILL_ID] == ("a", "b", "c")


def test_the_log_line_has_no_user_id(client, caplog) -> None:
    with caplog.at_level(logging.INFO, logger="skill.access"):
        post(client, alexa.envelope(intent="AMAZON.HelpIntent", user_id="amzn1.ask.account.SECRET"))
    line = caplog.text
    assert "IntentRequest AMAZON.HelpIntent" in line
    assert "status=200" in line
    assert "SECRET" not in line


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)


@hypothesis.settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    st.one_of(
        st.binary(max_size=300),
        json_values.map(lambda value: json.dumps(value).encode()),
        st.tuples(
            st.sampled_from(["request", "session", "context", "version"]),
            st.sampled_from(["type", "intent", "attributes", "user", "System", "locale"]),
            json_values,
        ).map(
            lambda mutation: json.dumps(
                _mutated(alexa.envelope(intent="AMAZON.NextIntent"), *mutation)
            ).encode()
        ),
    ),
    st.dictionaries(
        st.sampled_from(["Signature-256", "SignatureCertChainUrl", "Content-Type", "X-Other"]),
        st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=60),
        max_size=3,
    ),
)
def test_fuzzed_bodies_and_headers_never_500(dev_app, body, headers) -> None:
    for app in (dev_app, _secure_app()):
        answer = app.test_client().post("/", data=body, headers=headers)
        assert answer.status_code < 500, answer.get_data(as_text=True)
        assert answer.is_json
    assert post(dev_app.test_client(), alexa.envelope()).status_code == 200


def _mutated(envelope: dict, section: str, key: str, value) -> dict:
    target = envelope.get(section)
    if isinstance(target, dict):
        target[key] = value
    else:
        envelope[section] = value
    return envelope


_secure = {}


def _secure_app():
    """Verification on, trusting only the test CA, so fuzzing never reaches the network."""
    if "app" not in _secure:
        verifier = TestAlexaSigner.valid().verifier()
        _secure["app"] = create_app({settings.VERIFY: True, "STEP_COACH_VERIFIER": verifier})
    return _secure["app"]


# --- signed requests, verification on -----------------------------------------------------
@pytest.fixture(scope="module")
def secure_client(coach):
    signers = [TestAlexaSigner.valid(), TestAlexaSigner.expired(), TestAlexaSigner.wrong_san()]
    signers.append(TestAlexaSigner.untrusted())
    chains = {signer.cert_url: signer.chain_pem for signer in signers}
    verifier = signers[0].verifier(
        allowed_application_ids=[alexa.APPLICATION_ID], fetch=chains.__getitem__
    )
    app = create_app({"STEP_COACH_COACH": coach, "STEP_COACH_VERIFIER": verifier})
    return app.test_client()


def signed_post(client, envelope, signer=None, *, tamper=None):
    headers, body = (signer or TestAlexaSigner.valid()).signed(envelope)
    if tamper:
        headers, body = tamper(headers, body)
    return client.post("/", data=body, headers=headers, content_type="application/json")


def test_a_signed_conversation_passes(secure_client) -> None:
    attributes: dict = {}
    for number, turn in enumerate(load(FLOWS[0]), start=1):
        answer = signed_post(secure_client, alexa.turn_request(turn, attributes, new=number == 1))
        assert answer.status_code == 200, answer.json
        check_turn(number, turn, answer.json)
        attributes = answer.json.get("sessionAttributes") or {}


def _old(envelope: dict) -> dict:
    envelope["request"]["timestamp"] = "2020-01-01T00:00:00Z"
    return envelope


@pytest.mark.parametrize(
    ("signer", "change", "tamper", "status", "reason"),
    [
        (None, None, lambda h, b: ({}, b), 400, "signature_cert_chain_url_missing"),
        (
            None,
            None,
            lambda h, b: ({**h, "SignatureCertChainUrl": "http://s3.amazonaws.com/echo.api/c"}, b),
            400,
            "signature_cert_chain_url_invalid",
        ),
        (None, None, lambda h, b: ({**h, "Signature-256": "***"}, b), 400, "signature_malformed"),
        (None, None, lambda h, b: (h, b.replace(b"LaunchRequest", b"IntentRequest")), 400, None),
        (None, None, lambda h, b: (h, b + b" "), 400, "signature_invalid"),
        (TestAlexaSigner.expired(), None, None, 400, "certificate_expired"),
        (TestAlexaSigner.wrong_san(), None, None, 400, "certificate_subject_mismatch"),
        (TestAlexaSigner.untrusted(), None, None, 400, "certificate_chain_untrusted"),
        (None, _old, None, 400, "timestamp_too_old"),
        (
            None,
            lambda e: alexa.envelope(application_id="amzn1.ask.skill.other"),
            None,
            403,
            "application_id_mismatch",
        ),
    ],
)
def test_refused_requests_get_the_right_status_and_reason(
    secure_client, signer, change, tamper, status, reason
) -> None:
    envelope = alexa.envelope()
    if change:
        envelope = change(envelope)
    answer = signed_post(secure_client, envelope, signer, tamper=tamper)
    assert answer.status_code == status
    assert answer.is_json
    if reason:
        assert answer.json["error"] == reason
    assert answer.json["message"]


@pytest.fixture(scope="module")
def live_endpoint():
    """The endpoint under a real gunicorn with verification explicitly off."""
    from tests.support import servers

    with servers.gunicorn(env={settings.VERIFY: "0"}) as server:
        yield server.url


@pytest.mark.parametrize("flow", FLOWS, ids=[path.stem for path in FLOWS])
def test_conversations_against_live_gunicorn(live_endpoint, flow) -> None:
    import requests

    attributes: dict = {}
    clock, last = TurnClock(), None
    with requests.Session() as http:
        for number, turn in enumerate(load(flow), start=1):
            when = clock.at(turn, last)
            answer = http.post(
                live_endpoint,
                json=alexa.turn_request(turn, attributes, new=number == 1, timestamp=when),
                timeout=10,
            )
            assert answer.status_code == 200
            check_turn(number, turn, answer.json())
            last = answer.json()
            attributes = last.get("sessionAttributes") or {}


def test_live_gunicorn_refuses_bad_input_with_json(live_endpoint) -> None:
    import requests

    assert requests.post(live_endpoint, data=b"{", timeout=10).json()["error"] == "invalid_json"
    assert requests.get(live_endpoint, timeout=10).status_code == 405
    assert requests.get(live_endpoint + "/health", timeout=10).json()["status"] == "ok"


def test_live_gunicorn_answers_bad_chunking_with_a_400(live_endpoint) -> None:
    raw = b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n"
    answer = _raw_exchange(live_endpoint, raw)
    assert answer.startswith(b"HTTP/1.1 400"), answer[:200]


def _raw_exchange(live_endpoint: str, raw: bytes) -> bytes:
    import socket
    from urllib.parse import urlparse

    address = urlparse(live_endpoint)
    with socket.create_connection((address.hostname, address.port), timeout=10) as connection:
        connection.sendall(raw)
        answer = b""
        while chunk := connection.recv(4096):
            answer += chunk
    return answer


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        (b"POST /" + b"a" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
        (b"POST / HTTP/1.1\r\nHost: x\r\n" + b"X-Big: y\r\n" * 120 + b"\r\n", 431),
        (b"POST / HTTP/1.1\r\nHost: x\r\nX-Nul: a\x00b\r\n\r\n", 400),
        (b"NOT A REQUEST\r\n\r\n", 400),
    ],
    ids=["long-request-line", "too-many-headers", "nul-byte", "garbage"],
)
def test_gunicorns_own_refusals_are_json(live_endpoint, raw, status) -> None:
    answer = _raw_exchange(live_endpoint, raw)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(f"HTTP/1.1 {status}".encode()), answer[:200]
    assert b"Content-Type: application/json" in head
    assert json.loads(body)["error"]
