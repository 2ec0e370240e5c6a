"""The runner's command line: JSON lines, scripted and typed turns, user errors as one
line, voices, --wav, the Echo Show console, --person."""

from __future__ import annotations

import io
import re
import shutil
import wave

import pytest

from skill.alexa.envelope import InvalidRequest, validate_envelope
from skill.alexa.ssml import total_pause_ms
from skill.coach.step_coach import StepCoach
from skill.local.runner.session import LocalSession
from skill.local.understanding.nlu import LocalNLU
from tests.support.runner import assert_one_line_error, json_turns, run, run_local_runner, says

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


def test_list_voices_without_an_engine(capsys, monkeypatch) -> None:
    monkeypatch.setattr("skill.local.voice.espeak.list_voices", list)
    assert_one_line_error(*run(capsys, "--list-voices"), "espeak-ng")


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
    assert "| Counts down a 30-second hold, 0:" in out  # the paced step, reached by a tap
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
