"""Earcons: the Sound Library URLs the speech uses, and the sounds the runner makes of them."""

from __future__ import annotations

import itertools
import math
import re
import wave
from array import array
from pathlib import Path

import pytest

from skill.local.voice import earcons
from skill.local.voice.earcons import (
    Earcon,
    EarconError,
    Tone,
    earcon_for,
    load_earcons,
    synthesize,
)

RATE = 22050  # the speaker's rate (espeak-ng renders 16-bit mono 22050 Hz)
# The beats the issue asks a sound for, and the Sound Library sound chosen for each, with
# its duration as the library's table lists it.
EXPECTED = {
    "set_start": ("soundbank://soundlibrary/musical/amzn_sfx_bell_short_chime_01", 710),
    "interval_end": ("soundbank://soundlibrary/musical/amzn_sfx_electronic_beep_02", 810),
    "workout_end": (
        "soundbank://soundlibrary/ui/gameshow/amzn_ui_sfx_gameshow_positive_response_01",
        1510,
    ),
}


def samples(earcon: Earcon, rate: int = RATE) -> array[int]:
    values = array("h")
    values.frombytes(synthesize(earcon, rate))
    return values


def level_at(values: array[int], hz: float, start: int, length: int, rate: int = RATE) -> float:
    """Goertzel: the strength of one frequency in a window of samples."""
    coefficient = 2 * math.cos(2 * math.pi * hz / rate)
    before = before_that = 0.0
    for value in values[start : start + length]:
        before, before_that = value + coefficient * before - before_that, before
    return math.sqrt(before_that**2 + before**2 - coefficient * before * before_that)


@pytest.fixture(scope="module")
def known() -> dict[str, Earcon]:
    return {earcon.id: earcon for earcon in load_earcons().values()}


def test_each_beat_has_its_sound_library_earcon(known: dict[str, Earcon]) -> None:
    assert {id_: (e.src, e.duration_ms) for id_, e in known.items()} == EXPECTED
    for src, _ in EXPECTED.values():
        assert earcon_for(src) is not None
    assert earcon_for("https://example.com/beep.mp3") is None


@pytest.mark.parametrize("rate", [16000, RATE, 24000])
def test_an_earcon_lasts_exactly_as_long_as_on_an_echo(known: dict[str, Earcon], rate: int) -> None:
    for earcon in known.values():
        audio = synthesize(earcon, rate)
        assert len(audio) == round(earcon.duration_ms * rate / 1000) * earcons.SAMPLE_WIDTH


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_an_earcon_is_audible_unclipped_and_click_free(known: dict[str, Earcon], name: str) -> None:
    values = samples(known[name])
    peak = max(abs(value) for value in values)
    assert 0.3 * earcons.FULL_SCALE < peak < earcons.FULL_SCALE
    assert abs(values[0]) < 50 and abs(values[-1]) < 50  # starts and ends in silence
    # No clicks: a 1 kHz tone at full scale moves at most ~9,300 per sample at 22050 Hz.
    assert max(abs(b - a) for a, b in itertools.pairwise(values)) < 12_000


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_tone_sounds_at_its_pitch(known: dict[str, Earcon], name: str) -> None:
    values = samples(known[name])
    for tone in known[name].tones:
        start, length = round(tone.at_ms * RATE / 1000) + 60, round(0.04 * RATE)
        wanted = level_at(values, tone.hz, start, length)
        off_pitch = level_at(values, tone.hz * 1.33, start, length)
        assert wanted > 2 * off_pitch, (name, tone.hz)


def test_the_three_earcons_sound_different(known: dict[str, Earcon]) -> None:
    sounds = [synthesize(earcon, RATE) for earcon in known.values()]
    assert len(set(sounds)) == 3


def test_an_earcon_writes_a_wav_the_speaker_can_append(
    known: dict[str, Earcon], tmp_path: Path
) -> None:
    path = tmp_path / "go.wav"
    earcons.write_wav(path, known["set_start"], RATE)
    with wave.open(str(path)) as reader:
        assert (reader.getnchannels(), reader.getsampwidth(), reader.getframerate()) == (1, 2, RATE)
        assert reader.getnframes() == round(0.71 * RATE)


@pytest.mark.parametrize("rate", [0, 4000, 200_000, 22050.0])
def test_a_bad_sample_rate_is_a_clear_error(known: dict[str, Earcon], rate: object) -> None:
    with pytest.raises(ValueError, match="sample rate must be an integer"):
        synthesize(known["set_start"], rate)  # type: ignore[arg-type]


GOOD_TONE = "[[earcons.tones]]\nhz = 880.0\nat_ms = 0\nms = 100\ngain = 0.5\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            'id = "a"\nmarks = "x"\nsrc = "https://example.com/a.mp3"\nduration_ms = 200\n'
            + GOOD_TONE,
            "src must be a soundbank://soundlibrary/ URL",
        ),
        (
            'id = "a"\nmarks = "x"\nsrc = "soundbank://soundlibrary/a"\nduration_ms = 50\n'
            + GOOD_TONE,
            "a tone runs outside its 50 ms",
        ),
        (
            'id = "a"\nmarks = "x"\nsrc = "soundbank://soundlibrary/a"\nduration_ms = 200\n'
            + GOOD_TONE
            + GOOD_TONE.replace("0.5", "0.6"),
            "add up to 1.1",
        ),
        (
            'id = "a"\nmarks = "x"\nsrc = "soundbank://soundlibrary/a"\nduration_ms = 200\n'
            + GOOD_TONE.replace("880.0", "9000.0"),
            "outside 20 Hz to 8 kHz",
        ),
        ('id = "a"\nmarks = "x"\nduration_ms = 200\n' + GOOD_TONE, "'src'"),
    ],
)
def test_bad_earcon_data_is_refused_on_load(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "earcons.toml"
    path.write_text("[[earcons]]\n" + text, encoding="utf-8")
    with pytest.raises(EarconError, match=re.escape(message)):
        load_earcons(path)


def test_an_earcon_listed_twice_is_refused(tmp_path: Path) -> None:
    entry = (
        '[[earcons]]\nid = "a"\nmarks = "x"\nsrc = "soundbank://soundlibrary/a"\n'
        "duration_ms = 200\n" + GOOD_TONE
    )
    path = tmp_path / "earcons.toml"
    path.write_text(entry + entry, encoding="utf-8")
    with pytest.raises(EarconError, match="listed twice"):
        load_earcons(path)


def test_overtones_above_nyquist_are_left_out() -> None:
    high = Earcon(
        "high", "soundbank://soundlibrary/x", 100, "x", (Tone(3000.0, 0, 100, 0.5, 0, (1.0, 1.0)),)
    )
    values = samples(high, 8000)  # 6 kHz and 9 kHz partials would alias at 8 kHz
    length = len(values) - 200
    assert level_at(values, 3000.0, 100, length, 8000) > 5 * level_at(
        values, 2000.0, 100, length, 8000
    )


def test_the_command_line_writes_each_earcon(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert earcons.main([str(tmp_path)]) == 0
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(f"{n}.wav" for n in EXPECTED)
    assert "710 ms" in capsys.readouterr().out


def test_the_command_line_explains_its_usage(capsys: pytest.CaptureFixture[str]) -> None:
    assert earcons.main([]) == 2
    assert capsys.readouterr().err.startswith("usage: python -m skill.local.voice.earcons DIR")


def test_an_unwritable_folder_is_a_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert earcons.main([str(blocker / "out")]) == 1
    error = capsys.readouterr().err
    assert error.startswith("earcons: ") and error.count("\n") == 1


def test_a_missing_or_broken_data_file_is_an_earcon_error(tmp_path: Path) -> None:
    with pytest.raises(EarconError, match=r"missing\.toml"):
        load_earcons(tmp_path / "missing.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("[[earcons]\n", encoding="utf-8")
    with pytest.raises(EarconError, match=r"broken\.toml"):
        load_earcons(broken)
