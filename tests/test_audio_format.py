"""A turn's sample format: silences exactly as long as asked, in the engine's format, and
earcons in it, or silence as long where they cannot be made."""

from __future__ import annotations

import io
import wave

import pytest

from skill.local.voice import earcons
from skill.local.voice.audio_format import AudioFormat

EARCON = next(iter(earcons.known_earcons().values()))


@pytest.mark.parametrize(
    ("audio_format", "sample"),
    [
        (AudioFormat(channels=1, sample_width=1, frame_rate=8000), b"\x80"),  # unsigned
        (AudioFormat(channels=1, sample_width=2, frame_rate=22050), b"\x00\x00"),
        (AudioFormat(channels=2, sample_width=2, frame_rate=16000), b"\x00\x00"),
    ],
)
def test_silence_is_as_long_as_asked_in_the_formats_own_zero(
    audio_format: AudioFormat, sample: bytes
) -> None:
    silence = audio_format.silence(1500)
    frames = round(1.5 * audio_format.frame_rate)
    assert silence == sample * frames * audio_format.channels


def test_a_known_earcon_is_synthesized_at_the_turns_rate() -> None:
    audio_format = AudioFormat(channels=1, sample_width=2, frame_rate=22050)
    sound = audio_format.earcon(EARCON.src, EARCON.duration_ms)
    assert sound == earcons.synthesize(EARCON, 22050)
    assert sound != audio_format.silence(EARCON.duration_ms)
    assert len(sound) == len(audio_format.silence(EARCON.duration_ms))


@pytest.mark.parametrize(
    ("audio_format", "src"),
    [
        (AudioFormat(channels=1, sample_width=2, frame_rate=22050), "soundbank://not/a/sound"),
        (AudioFormat(channels=2, sample_width=2, frame_rate=22050), EARCON.src),  # stereo
        (AudioFormat(channels=1, sample_width=1, frame_rate=22050), EARCON.src),  # 8-bit
    ],
)
def test_an_earcon_that_cannot_be_made_here_is_silence_as_long(
    audio_format: AudioFormat, src: str
) -> None:
    assert audio_format.earcon(src, 700) == audio_format.silence(700)


def test_the_format_is_read_from_a_wav_and_written_to_one() -> None:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(22050)
        writer.writeframes(b"\x00\x00")
    buffer.seek(0)
    with wave.open(buffer, "rb") as reader:
        audio_format = AudioFormat.of(reader)
    assert audio_format == AudioFormat(channels=1, sample_width=2, frame_rate=22050)
    copy = io.BytesIO()
    with wave.open(copy, "wb") as writer:
        audio_format.apply_to(writer)
        writer.writeframes(audio_format.silence(10))
    copy.seek(0)
    with wave.open(copy, "rb") as reader:
        assert AudioFormat.of(reader) == audio_format
        assert reader.getnframes() == round(0.010 * 22050)
