"""Earcons: where the paced sets play them, Alexa's audio limits, "sounds off", and a PC's WAV."""

from __future__ import annotations

import array
import itertools
import json
import re
import wave
from pathlib import Path

import pytest

from skill.alexa.sounds import earcon_urls
from skill.alexa.ssml_rules import MAX_AUDIO_TAGS, validate_alexa_ssml
from skill.coach import pacing
from skill.coach.catalog import default_catalog
from skill.coach.step_coach import StepCoach
from skill.local.runner.cli import main
from skill.local.voice import earcons
from skill.local.voice.espeak import list_voices
from skill.storage.sqlite import SQLitePersistenceAdapter
from tests.support import alexa

AUDIO = re.compile(r'<audio src="([^"]+)"/>')
PACED_STEPS = [
    (workout, step)
    for workout in ("protect_knees", "forearm_plank", "glute_bridge")
    for step in default_catalog().plan(workout).steps
    if step.step.paced
]


@pytest.mark.parametrize(("workout", "step"), PACED_STEPS, ids=lambda x: getattr(x, "id", ""))
def test_a_paced_set_spends_at_most_five_sounds_in_speaking_order(workout, step) -> None:
    beats = pacing.script(step, "normal", True)
    sounds = [b.kind for b in beats if b.kind in (pacing.SET_START, pacing.INTERVAL_END)]
    assert 1 <= len(sounds) <= MAX_AUDIO_TAGS
    assert sounds[0] == pacing.SET_START  # the first set starts with a chime
    assert pacing.script(step, "normal", False) == tuple(
        b for b in beats if b.kind not in (pacing.SET_START, pacing.INTERVAL_END)
    )
    for before, beat in itertools.pairwise(beats):
        if beat.kind == pacing.INTERVAL_END:
            assert before.kind in ("pause", "tick")  # the beep ends a silence or a count


def test_every_earcon_url_is_a_sound_library_url_the_validator_accepts() -> None:
    assert set(earcon_urls()) == {"set_start", "interval_end", "workout_end"}
    for src in earcon_urls().values():
        assert src.startswith("soundbank://soundlibrary/")
        assert validate_alexa_ssml(f'<speak><audio src="{src}"/></speak>') == []


def test_the_finish_plays_the_end_of_workout_sound(coach) -> None:
    attributes = {"v": 1, "workout": {"id": "forearm_plank", "step": 1}}
    finished = coach.handle(alexa.envelope(intent="AMAZON.NextIntent", attributes=attributes))
    assert AUDIO.findall(alexa.speech_of(finished)) == [earcon_urls()["workout_end"]]


def sounds_request(setting: str, attributes: dict, user_id: str = alexa.USER_ID) -> dict:
    slots = {"setting": alexa.slot("setting", setting)}
    return alexa.envelope(
        intent="SetSoundsIntent", slots=slots, attributes=attributes, user_id=user_id
    )


def test_sounds_off_silences_the_sets_and_sounds_on_brings_them_back(coach) -> None:
    start = {"v": 1, "workout": {"id": "forearm_plank", "step": 1}}
    paced = coach.handle(alexa.envelope(intent="AMAZON.RepeatIntent", attributes=start))
    assert AUDIO.findall(alexa.speech_of(paced))
    off = coach.handle(sounds_request("no beeps", paced["sessionAttributes"]))
    assert "no more sounds" in alexa.plain(alexa.speech_of(off))
    assert off["sessionAttributes"]["sounds"] is False
    quiet = coach.handle(
        alexa.envelope(intent="AMAZON.RepeatIntent", attributes=off["sessionAttributes"])
    )
    assert "<audio" not in alexa.speech_of(quiet)
    assert "Hold for 30 seconds" in alexa.plain(alexa.speech_of(quiet))
    on = coach.handle(sounds_request("sounds on", quiet["sessionAttributes"]))
    assert "sounds" not in on["sessionAttributes"]
    again = coach.handle(
        alexa.envelope(intent="AMAZON.RepeatIntent", attributes=on["sessionAttributes"])
    )
    assert AUDIO.findall(alexa.speech_of(again))


def test_sounds_off_is_remembered_for_the_user(tmp_path: Path) -> None:
    coach = StepCoach(persistence_adapter=SQLitePersistenceAdapter(tmp_path / "store.sqlite3"))
    coach.handle(sounds_request("sounds off", {}))
    launch = coach.handle(alexa.envelope("LaunchRequest", new=True))
    assert launch["sessionAttributes"]["sounds"] is False
    other = coach.handle(
        alexa.envelope("LaunchRequest", new=True, user_id="amzn1.ask.account.OTHER")
    )
    assert "sounds" not in other["sessionAttributes"]


def test_an_unclear_setting_asks_again_and_changes_nothing(coach) -> None:
    response = coach.handle(sounds_request("purple", {"v": 1, "sounds": False}))
    assert "sounds off" in alexa.plain(alexa.speech_of(response))
    assert response["sessionAttributes"]["sounds"] is False


# --- on a PC: the earcons are heard in the --wav where the SSML has audio tags -----------------
needs_engine = pytest.mark.skipif(not list_voices(), reason="espeak-ng is not installed")


def _level(samples: array.array, start: int, count: int) -> float:
    window = samples[start : start + count]
    return (sum(s * s for s in window) / max(1, len(window))) ** 0.5


@needs_engine
def test_a_wav_of_a_paced_set_has_each_earcon_where_the_ssml_plays_it(
    tmp_path: Path, capsys
) -> None:
    wav_path = tmp_path / "run.wav"
    status = main(
        [
            "--mute",
            "--json",
            "--new-user",
            "--wav",
            str(wav_path),
            "--say",
            "start forearm planks",
            "--say",
            "next",
        ]
    )
    assert status == 0
    turns = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    played = [src for turn in turns for src in AUDIO.findall(turn["speech"] or "")]
    assert played == [earcon_urls()["set_start"], earcon_urls()["interval_end"]]
    with wave.open(str(wav_path), "rb") as reader:
        rate, pcm = reader.getframerate(), reader.readframes(reader.getnframes())
    samples = array.array("h", pcm)
    position = 0
    for src in played:
        sound = earcons.synthesize(earcons.earcon_for(src), rate)
        found = pcm.find(sound, position)
        assert found >= 0 and found % 2 == 0, f"{src} is not in the WAV after byte {position}"
        start = found // 2
        heard = _level(samples, start, len(sound) // 2)
        assert heard > 1000, f"{src} is too quiet: RMS {heard:.0f}"
        position = found + len(sound)


def test_the_transcript_shows_each_sound_as_a_note() -> None:
    from skill.local.runner.console import console_text

    chime = earcon_urls()["set_start"]
    ssml = f'<speak><s>Set 1 of 2.</s><audio src="{chime}"/><s>Go.</s><break time="3s"/>1</speak>'
    assert console_text(ssml) == "Set 1 of 2. ♪ Go. … 1"
