"""Earcons on a PC: the Sound Library sounds an Echo plays, synthesized locally.

An Echo plays ``<audio src="soundbank://soundlibrary/..."/>`` from Amazon's servers; the
local runner downloads nothing, so it makes a short sound of its own for each earcon the
content knows (``coach/content/earcons.toml``): a few sine tones with bell-like
overtones and a soft attack and ring-out, exactly as long as the Alexa sound, so the
timing of a paced set is the same on a PC as on an Echo. The output is the speaker's
format: 16-bit signed little-endian mono PCM at the sample rate asked for.

Pure Python (``math`` and ``array``): a second of sound is some tens of thousands of
samples, cheap enough, and each earcon is synthesized once per sample rate.

``python -m skill.local.voice.earcons DIR`` writes each earcon to ``DIR/<id>.wav`` to listen to.
"""

from __future__ import annotations

import math
import sys
import tomllib
import wave
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from skill.alexa.sounds import SOUND_LIBRARY_PREFIX
from skill.settings import CONTENT_DIR

EARCONS_FILE = CONTENT_DIR / "earcons.toml"
SAMPLE_WIDTH = 2  # bytes: 16-bit signed PCM, as espeak-ng renders speech
FULL_SCALE = 32767
# Sample rates a speaker may ask for (telephone quality up to studio).
MIN_RATE_HZ, MAX_RATE_HZ = 8000, 96000
ATTACK_MS = 4.0  # a sine that starts at full level clicks; a few ms of ramp does not
RELEASE_MS = 12.0  # and the same at its end
DEFAULT_DECAY_MS = 0.0  # 0: the tone holds its level until the release


class EarconError(ValueError):
    """The earcon data file is inconsistent; raised when it is loaded, never mid-turn."""


@dataclass(frozen=True, slots=True)
class Tone:
    hz: float
    at_ms: float
    ms: float
    gain: float
    decay_ms: float = DEFAULT_DECAY_MS
    overtones: tuple[float, ...] = ()


@dataclass(frozen=True, slots=True)
class Earcon:
    id: str
    src: str
    duration_ms: int
    marks: str
    tones: tuple[Tone, ...]


def load_earcons(path: Path = EARCONS_FILE) -> dict[str, Earcon]:
    """The earcons of a data file, keyed by their Sound Library URL, checked."""
    try:
        with path.open("rb") as file:
            raw = tomllib.load(file)
        earcons = [_earcon(entry) for entry in raw.get("earcons", [])]
    except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError, ValueError) as error:
        if isinstance(error, EarconError):
            raise
        raise EarconError(f"{path.name}: {error}") from error
    by_src: dict[str, Earcon] = {}
    for earcon in earcons:
        if earcon.src in by_src or any(e.id == earcon.id for e in by_src.values()):
            raise EarconError(f"earcon {earcon.id!r} ({earcon.src}) is listed twice")
        by_src[earcon.src] = earcon
    return by_src


def _earcon(entry: dict[str, object]) -> Earcon:
    tones = tuple(
        Tone(
            hz=float(tone["hz"]),
            at_ms=float(tone["at_ms"]),
            ms=float(tone["ms"]),
            gain=float(tone["gain"]),
            decay_ms=float(tone.get("decay_ms", DEFAULT_DECAY_MS)),
            overtones=tuple(float(level) for level in tone.get("overtones", ())),
        )
        for tone in entry["tones"]  # type: ignore[union-attr]
    )
    earcon = Earcon(
        id=str(entry["id"]),
        src=str(entry["src"]),
        duration_ms=int(entry["duration_ms"]),  # type: ignore[call-overload]
        marks=str(entry["marks"]),
        tones=tones,
    )
    _check(earcon)
    return earcon


def _check(earcon: Earcon) -> None:
    name = earcon.id
    if not earcon.src.startswith(SOUND_LIBRARY_PREFIX):
        raise EarconError(f"earcon {name!r}: src must be a {SOUND_LIBRARY_PREFIX} URL")
    if not 0 < earcon.duration_ms <= 10_000 or not earcon.tones:
        raise EarconError(f"earcon {name!r}: needs tones and a duration of 1 ms to 10 s")
    for tone in earcon.tones:
        if not 20.0 <= tone.hz <= 8000.0:
            raise EarconError(f"earcon {name!r}: {tone.hz} Hz is outside 20 Hz to 8 kHz")
        if tone.at_ms < 0 or tone.ms <= 0 or tone.at_ms + tone.ms > earcon.duration_ms:
            raise EarconError(f"earcon {name!r}: a tone runs outside its {earcon.duration_ms} ms")
        if not 0 < tone.gain <= 1 or tone.decay_ms < 0 or any(o < 0 for o in tone.overtones):
            raise EarconError(f"earcon {name!r}: gains in (0, 1], decays and overtones >= 0")
    for tone in earcon.tones:  # the loudest moment is when a tone starts over others
        sounding = sum(
            other.gain
            for other in earcon.tones
            if other.at_ms <= tone.at_ms < other.at_ms + other.ms
        )
        if sounding > 1.0 + 1e-9:
            raise EarconError(f"earcon {name!r}: tones at {tone.at_ms} ms add up to {sounding}")


@cache
def known_earcons() -> dict[str, Earcon]:
    """The project's earcons, read once."""
    return load_earcons()


def earcon_for(src: str) -> Earcon | None:
    """The earcon an ``<audio src>`` names, or None for a sound this runner cannot make."""
    return known_earcons().get(src)


def synthesize(earcon: Earcon, sample_rate: int) -> bytes:
    """The earcon as 16-bit mono PCM at ``sample_rate``, exactly ``duration_ms`` long."""
    if not isinstance(sample_rate, int) or not MIN_RATE_HZ <= sample_rate <= MAX_RATE_HZ:
        raise ValueError(
            f"sample rate must be an integer from {MIN_RATE_HZ} to {MAX_RATE_HZ} Hz, "
            f"not {sample_rate!r}"
        )
    return _synthesize(earcon, sample_rate)


@cache  # once per earcon and rate (checked above: 22050.0 must not hit the int's entry)
def _synthesize(earcon: Earcon, sample_rate: int) -> bytes:
    total = round(earcon.duration_ms * sample_rate / 1000)
    mix = [0.0] * total
    for tone in earcon.tones:
        _add_tone(mix, tone, sample_rate)
    samples = array("h", (max(-FULL_SCALE, min(FULL_SCALE, round(x * FULL_SCALE))) for x in mix))
    if sys.byteorder != "little":
        samples.byteswap()
    return samples.tobytes()


def _add_tone(mix: list[float], tone: Tone, sample_rate: int) -> None:
    start = round(tone.at_ms * sample_rate / 1000)
    length = min(round(tone.ms * sample_rate / 1000), len(mix) - start)
    weights = (1.0, *tone.overtones)
    # Partials above Nyquist would alias into harsh low tones: leave them out.
    partials = [
        (2 * math.pi * tone.hz * number / sample_rate, weight / sum(weights))
        for number, weight in enumerate(weights, start=1)
        if tone.hz * number < sample_rate / 2
    ]
    attack = max(1, round(ATTACK_MS * sample_rate / 1000))
    release = max(1, min(round(RELEASE_MS * sample_rate / 1000), length // 2))
    decay = tone.decay_ms * sample_rate / 1000
    for n in range(length):
        level = tone.gain
        if n < attack:
            level *= n / attack
        if decay:
            level *= math.exp(-n / decay)
        if n >= length - release:  # a cosine fade to exactly zero at the tone's end
            level *= 0.5 * (1 + math.cos(math.pi * (n - (length - release) + 1) / release))
        mix[start + n] += level * sum(weight * math.sin(step * n) for step, weight in partials)


def write_wav(path: Path, earcon: Earcon, sample_rate: int) -> None:
    """One earcon as a WAV file, to listen to."""
    with wave.open(str(path), "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(SAMPLE_WIDTH)
        writer.setframerate(sample_rate)
        writer.writeframes(synthesize(earcon, sample_rate))


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        print(
            "usage: python -m skill.local.voice.earcons DIR  (writes DIR/<earcon>.wav)",
            file=sys.stderr,
        )
        return 2
    folder = Path(args[0])
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for earcon in known_earcons().values():
            write_wav(folder / f"{earcon.id}.wav", earcon, 22050)
            print(f"{folder / earcon.id}.wav  {earcon.duration_ms} ms  {earcon.marks}")
    except (OSError, EarconError) as error:
        print(f"earcons: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover - exercised through main()
    raise SystemExit(main())
