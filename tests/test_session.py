"""Sessions as Alexa keeps them: envelopes, attributes, one-shots, new sessions, leaving."""

from __future__ import annotations

import base64
import json
import re

from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model import RequestEnvelope
from ask_sdk_model.simple_slot_value import SimpleSlotValue

from skill import settings
from skill.alexa.envelope import validate_envelope
from skill.local.runner.cli import main
from skill.local.runner.session import LOCAL_APPLICATION_ID, LocalSession, asks_a_question
from skill.local.understanding.nlu import LocalNLU
from tests.support.runner import RecordingSkill, converse, json_turns, run, says

# --- sessions, as Alexa keeps them ----------------------------------------------------------


def test_envelopes_look_like_alexas(coach) -> None:
    recorder, _ = converse(coach, "open step coach", "start russian push ups", "quit")
    launch, intent, ended = recorder.sent
    assert launch["version"] == "1.0"
    session, system = launch["session"], launch["context"]["System"]
    assert session["new"] is True and "attributes" not in session  # none yet, as on Alexa
    assert re.fullmatch(r"amzn1\.echo-api\.session\.[0-9a-f-]{36}", session["sessionId"])
    assert session["application"] == {"applicationId": LOCAL_APPLICATION_ID}
    assert session["user"]["userId"].startswith("amzn1.ask.account.LOCAL")
    assert system["user"] == session["user"] and system["application"] == session["application"]
    assert system["device"]["deviceId"].startswith("amzn1.ask.device.")
    assert system["device"]["supportedInterfaces"] == {}
    assert system["apiEndpoint"] == "https://api.amazonalexa.com"
    header, claims, signature = system["apiAccessToken"].split(".")
    assert json.loads(base64.urlsafe_b64decode(header + "=="))["alg"] == "none"
    assert (
        json.loads(base64.urlsafe_b64decode(claims + "=="))["privateClaims"]["userId"]
        == (session["user"]["userId"])
    )
    assert signature == ""  # shaped like Alexa's token, but unsigned: no API accepts it
    for envelope in recorder.sent:
        request = envelope["request"]
        assert re.fullmatch(r"amzn1\.echo-api\.request\.[0-9a-f-]{36}", request["requestId"])
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", request["timestamp"])
        assert request["locale"] == "en-US"
        assert envelope["session"]["user"] == session["user"]  # stable for the run
    slot = intent["request"]["intent"]["slots"]["exercise"]
    assert intent["request"]["intent"]["confirmationStatus"] == "NONE"
    assert intent["request"]["dialogState"] == "STARTED"
    (authority,) = slot["resolutions"]["resolutionsPerAuthority"]
    assert authority["authority"] == (
        f"amzn1.er-authority.echo-sdk.{LOCAL_APPLICATION_ID}.EXERCISE"
    )
    assert authority["status"] == {"code": "ER_SUCCESS_MATCH"}
    assert authority["values"] == [{"value": {"name": "russian push ups", "id": "russian_pushups"}}]
    assert ended["request"]["type"] == "SessionEndedRequest"
    assert ended["request"]["reason"] == "USER_INITIATED"


def test_envelopes_pass_the_skills_own_checks_and_the_sdk_model(coach) -> None:
    recorder, _ = converse(
        coach, "open step coach", "start underwater basket weaving", "start a workout", "stop"
    )
    serializer = DefaultSerializer()
    for envelope in recorder.sent:
        validate_envelope(envelope)
        parsed = serializer.deserialize(json.dumps(envelope), RequestEnvelope)
        assert parsed.request.request_id == envelope["request"]["requestId"]
    unknown = recorder.sent[1]["request"]["intent"]["slots"]["exercise"]
    assert unknown["value"] == "underwater basket weaving"
    assert unknown["resolutions"]["resolutionsPerAuthority"][0]["status"] == {
        "code": "ER_SUCCESS_NO_MATCH"
    }
    assert "values" not in unknown["resolutions"]["resolutionsPerAuthority"][0]
    parsed = serializer.deserialize(json.dumps(recorder.sent[1]), RequestEnvelope)
    assert isinstance(parsed.request.intent.slots["exercise"].slot_value, SimpleSlotValue)
    empty = recorder.sent[2]["request"]["intent"]["slots"]["exercise"]
    assert empty == {"name": "exercise", "confirmationStatus": "NONE"}


def test_session_attributes_are_carried_between_turns(coach) -> None:
    recorder, _ = converse(coach, "open step coach", "start russian push ups", "next")
    for before, answer, after in zip(
        recorder.sent, recorder.answers, recorder.sent[1:], strict=False
    ):
        assert after["session"]["sessionId"] == before["session"]["sessionId"]
        assert after["session"]["new"] is False
        assert after["session"]["attributes"] == answer["sessionAttributes"]
    assert recorder.sent[2]["session"]["attributes"]  # the workout is in there


def test_a_new_session_follows_one_the_skill_ended(coach) -> None:
    recorder, turns = converse(coach, "open step coach", "stop", "next")
    first, _stop, after = recorder.sent
    assert turns[1]["end_session"] is True
    assert after["session"]["new"] is True
    assert after["session"]["sessionId"] != first["session"]["sessionId"]
    assert "attributes" not in after["session"]
    assert after["request"]["type"] == "IntentRequest"  # a one-shot, no LaunchRequest
    assert len(recorder.sent) == 3  # no SessionEndedRequest after the skill's own ending


def test_one_shot_starts_a_session_with_an_intent_request(capsys) -> None:
    status, out, _ = run(
        capsys, "--mute", "--json", *says("ask step coach to start Russian push-ups", "next")
    )
    assert status == 0
    first, second = json_turns(out)
    assert first["request_type"] == "IntentRequest"
    assert first["new_session"] is True
    assert first["slots"]["exercise"]["id"] == "russian_pushups"
    assert second["new_session"] is False and "Step 2 of 5" in second["text"]


def test_first_words_without_the_name_are_a_one_shot(coach) -> None:
    recorder, _ = converse(coach, "protect my knees")
    (only,) = recorder.sent
    assert only["session"]["new"] is True
    assert only["request"]["intent"]["name"] == "ProtectKneesIntent"


def test_invoking_again_mid_session_ends_the_old_session_first(coach) -> None:
    recorder, _ = converse(coach, "open step coach", "open step coach")
    launch, ended, relaunch = recorder.sent
    assert ended["request"]["type"] == "SessionEndedRequest"
    assert ended["session"]["sessionId"] == launch["session"]["sessionId"]
    assert relaunch["request"]["type"] == "LaunchRequest" and relaunch["session"]["new"] is True


def test_skill_id_from_the_environment(coach, monkeypatch, capsys) -> None:
    monkeypatch.setenv(settings.SKILL_ID, " amzn1.ask.skill.mine , amzn1.ask.skill.other")
    recorder = RecordingSkill(coach)
    monkeypatch.setattr("skill.local.runner.cli.InProcessSkill", lambda: recorder)
    assert main(["--mute", "--say", "open step coach"]) == 0
    capsys.readouterr()
    assert recorder.sent[0]["session"]["application"]["applicationId"] == "amzn1.ask.skill.mine"


def test_the_session_clock_runs_ahead_by_what_was_listened_to() -> None:
    from datetime import UTC, datetime

    start = datetime(2026, 12, 4, 7, 0, tzinfo=UTC)
    session = LocalSession(LocalNLU.for_locale("en-US"), clock=lambda: start)
    assert session.now() == start
    session.listened(41_500)
    session.listened(500)
    assert (session.now() - start).total_seconds() == 42
    session.prepare("open step coach")
    stamps = [o.envelope["request"]["timestamp"] for o in session.prepare("protect my knees")]
    assert stamps == ["2026-12-04T07:00:42Z"]


def test_a_menu_choice_is_tapped_by_its_number(capsys) -> None:
    """ "tap 6" presses the sixth item of the menu the screen shows, as a finger would."""
    argv = ["--mute", "--json", "--new-user", "--screen"]
    status, out, _ = run(capsys, *argv, *says("open step coach", "what do you have", "tap 6"))
    assert status == 0
    listed, tapped = json_turns(out)[-2:]
    sixth = next(line for line in listed["screen"] if line.startswith("  6. "))
    name = sixth.removeprefix("  6. Start ").split(" - ")[0]
    assert tapped["request_type"] == "Alexa.Presentation.APL.UserEvent"
    assert f"Let's do {name}" in tapped["text"]


def test_a_yes_or_no_with_more_words_answers_the_pain_question(coach) -> None:
    """The pain answer ends on "we'll go on gently", not a question mark: its reprompt asks
    the question, so a typed "no, ..." is the no that goes on gently."""
    recorder, _ = converse(
        coach, "open step coach", "start russian push ups", "ouch my wrist",
        "no, keep at it but slowly please",
    )  # fmt: skip
    pain, answer = recorder.sent[2], recorder.sent[3]
    assert pain["request"]["intent"]["name"] == "PainIntent"
    assert answer["request"]["intent"]["name"] == "AMAZON.NoIntent"
    assert "gently" in recorder.answers[3]["response"]["outputSpeech"]["ssml"]


def test_a_question_is_asked_by_the_speech_or_the_reprompt() -> None:
    def body(speech: str, reprompt: str | None = None) -> dict:
        said = {"outputSpeech": {"type": "SSML", "ssml": f"<speak>{speech}</speak>"}}
        if reprompt is not None:
            ssml = f"<speak>{reprompt}</speak>"
            said["reprompt"] = {"outputSpeech": {"type": "SSML", "ssml": ssml}}
        return said

    assert asks_a_question(body("Shall we start?"))
    assert asks_a_question(body("Or say no, and we'll go on gently.", "Shall we stop? Say yes."))
    assert not asks_a_question(body("Well done.", "Say next when you're ready."))
    assert not asks_a_question(body("Is it? No. It is done."))
