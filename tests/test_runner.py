"""The local runner: options, JSON lines, sessions as Alexa keeps them, --url, real speech."""

from __future__ import annotations

import base64
import io
import json
import re
import shutil
import threading
import time
import wave
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model import RequestEnvelope
from ask_sdk_model.simple_slot_value import SimpleSlotValue

from skill import settings
from skill.alexa.envelope import InvalidRequest, validate_envelope
from skill.alexa.ssml import total_pause_ms
from skill.coach.step_coach import StepCoach
from skill.local.cli import main
from skill.local.console import Console
from skill.local.conversation import Conversation
from skill.local.session import LOCAL_APPLICATION_ID, LocalSession
from skill.local.transports import HttpSkill, RunnerError
from skill.local.understanding.nlu import LocalNLU
from tests.support import servers
from tests.support.runner import assert_one_line_error, run_local_runner

PROJECT_DIR = Path(__file__).resolve().parent.parent
REQUIRED_KEYS = {
    "utterance",
    "request_type",
    "intent",
    "slots",
    "speech",
    "text",
    "reprompt",
    "end_session",
}
RUSSIAN_PUSHUPS = ["start russian push ups", "next", "next", "next", "next", "next"]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def json_turns(stdout: str) -> list[dict[str, Any]]:
    """Every stdout line must be one JSON object."""
    return [json.loads(line) for line in stdout.splitlines()]


def says(*utterances: str) -> list[str]:
    return [arg for utterance in utterances for arg in ("--say", utterance)]


# --- JSON lines and scripted turns --------------------------------------------------------


def test_json_mode_prints_only_json_lines(capsys) -> None:
    status, out, _ = run(
        capsys, "--mute", "--json", *says("open step coach", "start russian push ups", "next")
    )
    assert status == 0
    turns = json_turns(out)
    assert len(turns) == 3
    for turn in turns:
        assert turn.keys() >= REQUIRED_KEYS
    launch, start, step = turns
    assert (launch["request_type"], launch["intent"]) == ("LaunchRequest", None)
    assert start["intent"] == "StartWorkoutIntent"
    assert start["slots"] == {"exercise": {"value": "russian push ups", "id": "russian_pushups"}}
    assert "<speak>" in start["speech"] and "<" not in start["text"]
    assert "Step 1 of 5" in start["text"]
    assert "Step 2 of 5" in step["text"]
    assert step["reprompt"].startswith("<speak>") and step["end_session"] is False


def test_a_whole_russian_pushup_workout_ends_with_the_finish_message(capsys) -> None:
    status, out, _ = run(capsys, "--mute", "--json", *says(*RUSSIAN_PUSHUPS))
    assert status == 0
    turns = json_turns(out)
    assert [turn["intent"] for turn in turns] == ["StartWorkoutIntent"] + 5 * ["AMAZON.NextIntent"]
    assert "Step 5 of 5" in turns[-2]["text"]
    assert "finished Russian push-ups" in turns[-1]["text"]
    assert not any(turn["end_session"] for turn in turns)


def test_text_mode_reads_as_a_transcript(capsys) -> None:
    status, out, _ = run(
        capsys, "--mute", *says("open step coach", "start russian push ups", "next", "stop")
    )
    assert status == 0
    assert out.count("you> ") == 4
    assert out.count("coach> ") == 4
    assert "you> start russian push ups\ncoach> " in out
    assert out.rstrip().endswith("(session ended)")


def test_script_file(tmp_path, capsys) -> None:
    script = tmp_path / "workout.txt"
    script.write_text(
        "# a short workout\nopen step coach\n\n  start glute bridges  \n# done\nnext\n",
        encoding="utf-8",
    )
    status, out, _ = run(capsys, "--mute", "--json", "--script", str(script), "--say", "stop")
    assert status == 0
    turns = json_turns(out)
    assert [turn["utterance"] for turn in turns] == [
        "open step coach",
        "start glute bridges",
        "next",
        "stop",
    ]
    assert turns[1]["slots"]["exercise"]["id"] == "glute_bridge"
    assert turns[-1]["end_session"] is True


def test_an_elicited_slot_is_filled_by_the_next_answer(capsys) -> None:
    status, out, _ = run(capsys, "--mute", "--json", *says("start a workout", "glute bridges"))
    assert status == 0
    ask, answer = json_turns(out)
    assert ask["intent"] == "StartWorkoutIntent" and ask["slots"] == {}
    assert answer["intent"] == "StartWorkoutIntent"
    assert answer["slots"]["exercise"]["id"] == "glute_bridge"
    assert "Step 1 of" in answer["text"]


def test_out_of_domain_goes_to_the_fallback(capsys) -> None:
    status, out, _ = run(capsys, "--mute", "--json", *says("open step coach", "play some music"))
    assert status == 0
    assert json_turns(out)[1]["intent"] == "AMAZON.FallbackIntent"


# --- user errors: one line, non-zero ------------------------------------------------------


def test_missing_script_file(tmp_path, capsys) -> None:
    missing = tmp_path / "nope.txt"
    assert_one_line_error(*run(capsys, "--mute", "--script", str(missing)), "nope.txt")


def test_unknown_locale(capsys) -> None:
    assert_one_line_error(*run(capsys, "--mute", "--locale", "xx-XX", "--say", "hi"), "xx-XX")


def test_bad_option_is_one_line_too(capsys) -> None:
    assert_one_line_error(*run(capsys, "--no-such-option"), "--no-such-option")


def test_bad_url(capsys) -> None:
    assert_one_line_error(*run(capsys, "--mute", "--url", "ftp://x", "--say", "hi"), "--url")


def test_help(capsys) -> None:
    status, out, _ = run(capsys, "--help")
    assert status == 0
    assert "--say" in out and "--list-voices" in out


def test_a_refused_envelope_is_reported_as_our_bug(capsys, monkeypatch) -> None:
    def refuse(self, envelope):
        raise InvalidRequest("request.timestamp must be a str")

    monkeypatch.setattr(StepCoach, "handle", refuse)
    assert_one_line_error(
        *run(capsys, "--mute", "--say", "open step coach"), "bug in skill/envelopes.py"
    )


# --- sessions, as Alexa keeps them ----------------------------------------------------------


class Recorder:
    """The skill in-process, remembering every request and response."""

    def __init__(self, coach: StepCoach) -> None:
        self.coach = coach
        self.sent: list[dict[str, Any]] = []
        self.answers: list[dict[str, Any]] = []

    def send(self, envelope: dict[str, Any]) -> dict[str, Any]:
        self.sent.append(json.loads(json.dumps(envelope)))
        answer = self.coach.handle(envelope)
        self.answers.append(answer)
        return answer

    def close(self) -> None:
        pass


def converse(coach: StepCoach, *utterances: str) -> tuple[Recorder, list[dict[str, Any]]]:
    recorder = Recorder(coach)
    out = io.StringIO()
    console = Console(json_lines=True, echo_user=True, out=out, err=io.StringIO())
    session = LocalSession(LocalNLU.for_locale("en-US"))
    conversation = Conversation(session, recorder, None, console)
    for utterance in utterances:
        if not conversation.say(utterance):
            break
    return recorder, json_turns(out.getvalue())


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


def test_silence_plays_the_reprompt_then_ends_the_session(coach) -> None:
    recorder, turns = converse(coach, "open step coach", "", "")
    assert turns[1]["request_type"] is None
    assert turns[1]["speech"] == recorder.answers[0]["response"]["reprompt"]["outputSpeech"]["ssml"]
    assert turns[2]["request_type"] == "SessionEndedRequest"
    assert recorder.sent[-1]["request"]["reason"] == "EXCEEDED_MAX_REPROMPTS"


def test_quit_is_not_sent_to_the_skill(coach) -> None:
    recorder, turns = converse(coach, "open step coach", "quit", "next")
    assert [envelope["request"]["type"] for envelope in recorder.sent] == [
        "LaunchRequest",
        "SessionEndedRequest",
    ]
    assert turns[-1]["utterance"] == "quit"


def test_skill_id_from_the_environment(coach, monkeypatch, capsys) -> None:
    monkeypatch.setenv(settings.SKILL_ID, " amzn1.ask.skill.mine , amzn1.ask.skill.other")
    recorder = Recorder(coach)
    monkeypatch.setattr("skill.local.cli.InProcessSkill", lambda: recorder)
    assert main(["--mute", "--say", "open step coach"]) == 0
    capsys.readouterr()
    assert recorder.sent[0]["session"]["application"]["applicationId"] == "amzn1.ask.skill.mine"


# --- interactive ----------------------------------------------------------------------------


def test_interactive_json_keeps_prompts_off_stdout(monkeypatch, capsys) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("open step coach\nstart planks\n"))
    status, out, err = run(capsys, "--mute", "--json")
    assert status == 0
    turns = json_turns(out)
    assert [turn["request_type"] for turn in turns] == [
        "LaunchRequest",
        "IntentRequest",
        "SessionEndedRequest",  # Ctrl-D mid-session, as "Alexa, exit"
    ]
    assert "you> " in err


def test_interactive_text(monkeypatch, capsys) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("open step coach\n\nexit\n"))
    status, out, err = run(capsys, "--mute")
    assert status == 0
    assert out.count("coach> ") == 2  # the answer, then the reprompt after silence
    assert "quit" in err  # the banner says how to leave


def test_verbose_explains_each_turn_on_stderr(capsys) -> None:
    status, out, err = run(capsys, "--mute", "-v", *says("start planks", "", "quit"))
    assert status == 0
    assert "StartWorkoutIntent exercise='planks'->forearm_plank" in err
    assert "via 'start {exercise}'" in err and "skill " in err
    assert "[silence: reprompt]" in err and "SessionEndedRequest USER_INITIATED" in err
    assert "StartWorkoutIntent" not in out and "quit" not in out  # the transcript stays clean


class BrokenSpeaker:
    def __init__(self) -> None:
        self.calls = 0

    def speak(self, ssml: str) -> None:
        self.calls += 1
        raise RuntimeError("speech engine changed format")


def test_a_failing_speech_engine_leaves_the_coach_talking_in_text(coach) -> None:
    speaker, err = BrokenSpeaker(), io.StringIO()
    console = Console(json_lines=False, echo_user=True, out=io.StringIO(), err=err)
    session = LocalSession(LocalNLU.for_locale("en-US"))
    conversation = Conversation(session, Recorder(coach), speaker, console)
    for utterance in ("open step coach", "start planks", "next"):
        assert conversation.say(utterance)
    assert speaker.calls == 1
    assert err.getvalue().count("Speech failed") == 1
    assert console.out.getvalue().count("coach> ") == 3


def test_list_voices_without_an_engine(capsys, monkeypatch) -> None:
    monkeypatch.setattr("skill.local.espeak.list_voices", list)
    assert_one_line_error(*run(capsys, "--list-voices"), "espeak-ng")


# --- over HTTP ------------------------------------------------------------------------------


def _comparable(turn: dict[str, Any]) -> tuple:
    return (
        turn["request_type"],
        turn["intent"],
        turn["slots"],
        turn["end_session"],
        turn["new_session"],
    )


def test_url_gives_the_same_turns_as_in_process(capsys) -> None:
    utterances = says("open step coach", "start russian push ups", "next", "why do glutes matter")
    utterances += says("stop", "start glute bridges")
    status, out, _ = run(capsys, "--mute", "--json", *utterances)
    assert status == 0
    local = json_turns(out)
    env = {settings.VERIFY: "0", settings.STORE: "none"}
    with servers.gunicorn(env=env, workers=1) as server:
        status, out, err = run(capsys, "--mute", "--json", "--url", server.url + "/", *utterances)
    assert status == 0, err
    remote = json_turns(out)
    assert [_comparable(turn) for turn in remote] == [_comparable(turn) for turn in local]
    for stable, turn in zip(["Step Coach", "Step 1 of 5", "Step 2 of 5"], remote, strict=False):
        assert stable in turn["text"]


def test_url_to_a_closed_port(capsys) -> None:
    url = f"http://127.0.0.1:{servers.free_port()}/"
    assert_one_line_error(
        *run(capsys, "--mute", "--url", url, "--say", "open step coach"), "connection refused"
    )


class _NotAlexa(BaseHTTPRequestHandler):
    """Answers that no Alexa endpoint would give."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        answers = {
            "/html": (200, "text/html", b"<html><body>Hello</body></html>"),
            "/fail": (500, "application/json", b'{"error": "internal_error", "message": "x"}'),
            "/list": (200, "application/json", b"[1, 2]"),
        }
        if self.path == "/slow":
            time.sleep(1.0)
        status, kind, body = answers.get(self.path, (404, "text/plain", b"no"))
        try:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the runner gave up waiting (the /slow case)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def not_alexa() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _NotAlexa)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("/html", ["other than JSON", "text/html"]),
        ("/fail", ["HTTP 500", "internal_error"]),
        ("/list", ["not an Alexa response"]),
        ("/missing", ["HTTP 404"]),
    ],
)
def test_url_that_is_not_an_alexa_endpoint(not_alexa, capsys, path, words) -> None:
    result = run(capsys, "--mute", "--url", not_alexa + path, "--say", "open step coach")
    assert_one_line_error(*result, *words)


def test_url_that_answers_too_slowly(not_alexa) -> None:
    skill = HttpSkill(not_alexa + "/slow", timeout=(1.0, 0.2))
    try:
        with pytest.raises(RunnerError, match=r"no answer from .* within 0\.2 s"):
            skill.send({"version": "1.0"})
    finally:
        skill.close()


# --- real speech (espeak-ng) ------------------------------------------------------------------

needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs espeak-ng")


@needs_espeak
def test_wav_holds_the_pauses_and_json_stays_clean(tmp_path) -> None:
    """A counted set: the WAV lasts at least as long as the SSML's pauses, plus the words.

    The engine runs here (to write the WAV) but prints nothing on stdout: --json output
    is still nothing but JSON lines.
    """
    wav_path = tmp_path / "run.wav"
    done = run_local_runner(
        "--mute", "--json", "--wav", str(wav_path),
        *says("start glute bridges", "next", "next"),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    turns = json_turns(done.stdout)
    assert len(turns) == 3
    pauses_s = sum(total_pause_ms(turn["speech"]) for turn in turns) / 1000
    assert pauses_s > 30  # twelve counted bridges, three seconds apart
    with wave.open(str(wav_path), "rb") as audio:
        duration_s = audio.getnframes() / audio.getframerate()
    assert duration_s >= pauses_s + 5  # and the words themselves take time


@needs_espeak
def test_list_voices(capsys) -> None:
    status, out, _ = run(capsys, "--list-voices")
    assert status == 0
    assert re.search(r"^\S*en\S*\s", out, re.M)


# --- an Echo Show on the console ---------------------------------------------------------------
def test_screen_mode_prints_the_screen_and_taps_its_buttons(capsys) -> None:
    status, out, _ = run(
        capsys,
        "--mute",
        "--new-user",
        "--screen",
        *says("open step coach", "tap start forearm planks", "tap next", "tap sideways"),
    )
    assert status == 0
    assert "| == Welcome to Step Coach | What shall we do? ==" in out
    assert "| == Forearm planks, step 1 of 2 | Step 1 of 2 ==" in out
    assert "| Countdown: Hold 30 s at 0:" in out  # the paced step, reached by a tap
    assert "| Touch: [Back] | [Repeat] | [Pause] | [Next*]" in out


def test_json_carries_the_directive_and_the_touch_is_a_user_event(capsys) -> None:
    status, out, _ = run(
        capsys,
        "--mute",
        "--json",
        "--new-user",
        "--screen",
        *says("start glute bridges", "tap next"),
    )
    assert status == 0
    first, second = json_turns(out)
    assert first["directives"][0]["type"] == "Alexa.Presentation.APL.RenderDocument"
    assert first["screen"][0] == "== Glute bridges, step 1 of 3 | Step 1 of 3 =="
    assert second["request_type"] == "Alexa.Presentation.APL.UserEvent"
    assert second["screen"][0].startswith("== Glute bridges, step 2 of 3")


def test_without_screen_no_directive_and_tap_is_just_words(capsys) -> None:
    status, out, _ = run(
        capsys, "--mute", "--json", "--new-user", *says("start glute bridges", "tap next")
    )
    assert status == 0
    first, second = json_turns(out)
    assert first["directives"] is None and first["screen"] is None
    assert second["request_type"] == "IntentRequest"


def test_person_speaks_as_a_recognised_voice_and_a_bad_name_is_one_line(capsys) -> None:
    session = LocalSession(LocalNLU.for_locale("en-US"), person_id="amzn1.ask.person.LOCALANN")
    (outgoing,) = session.prepare("open step coach")
    assert outgoing.envelope["context"]["System"]["person"] == {
        "personId": "amzn1.ask.person.LOCALANN"
    }
    validate_envelope(outgoing.envelope)
    status, out, err = run(capsys, "--mute", "--person", "!!", "--say", "hi")
    assert_one_line_error(status, out, err, "--person")
    status, out, _ = run(capsys, "--mute", "--json", "--person", "Ann", *says("open step coach"))
    assert status == 0 and json_turns(out)[0]["request_type"] == "LaunchRequest"
