"""pyttsx3 and espeak-ng, tamed: one engine, voices, and the quirks designed around.

pyttsx3 2.99's espeak driver has quirks this module is built around (each confirmed on
Linux with espeak-ng 1.51):

* Only the last text queued before ``runAndWait()`` is spoken, and a ``runAndWait()``
  with nothing queued speaks the previous text again. So every segment gets exactly one
  ``save_to_file()`` followed by one ``runAndWait()``.
* ``save_to_file()`` is sticky: the target file is never cleared, so a later ``say()``
  on the same engine silently overwrites that file instead of playing. So this module
  never calls ``say()``: every turn is rendered to a file and the file is played.
* Each saved file is announced with ``print("Audio saved to ...")`` on stdout. The
  runner's ``--json`` mode needs stdout to carry only JSON, so stdout is silenced, at
  the Python and the file-descriptor level, while the engine runs.
* Live ``say()`` audio is played by shelling out to ``aplay``; that fails in containers
  and CI without a sound card, and exists only on Linux. Here playback is PortAudio's
  (:mod:`skill.local.voice.playback`), whose failure is reported once and then leaves the
  coach running silently.
* ``save_to_file("")`` fails an ``assert``; errors inside the driver (a bad voice name,
  for instance) are swallowed by pyttsx3's command queue. So empty text is never
  rendered, voices are checked against the engine's list before use, and a rendered
  file that does not appear is treated as a failed segment.
* pyttsx3 starts espeak in its asynchronous mode, so ``runAndWait()`` can return before
  the file is written (measured: 10 ms after the call, the file of a long text appeared
  0.7 s later), and a rate or voice change still queued inside espeak when the loop
  ends is cancelled, so the utterance comes out at the old rate. So settings are let
  to settle, and each utterance is waited for, before going on.
* ``getProperty("rate")`` does not reliably report the rate in use (it often says 175,
  espeak's default), and espeak's trailing pause varies by some 30 ms between renders
  of the same text.
* Output is 16-bit mono 22050 Hz WAV; the format of silences and of the whole-run WAV
  is still read from the first rendered file rather than assumed.
* Without libespeak-ng, ``pyttsx3.init()`` raises ``RuntimeError``; the coach then
  carries on in text.

espeak is given plain text (pyttsx3 does not enable its SSML mode), so pauses are
rendered here as silence and prosody, emphasis and the like are not voiced.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger("skill.local.voice.speaker")

# espeak-ng's speaking-rate range in words per minute; pyttsx3's default is 200.
MIN_RATE_WPM = 80
MAX_RATE_WPM = 450
DEFAULT_RATE_WPM = 200

# Longest wait for espeak to finish one utterance on its own thread (a long one takes ~1 s).
UTTERANCE_TIMEOUT_S = 60.0
# Longest wait for espeak's command queue to empty before the next command.
IDLE_TIMEOUT_S = 10.0
# Extra wait for pyttsx3's "finished-utterance" once espeak is idle (or not in use).
FINISH_GRACE_S = 0.05

# pyttsx3 reuses one engine per process and espeak-ng's state is global, so rendering
# (which also redirects the process's stdout) is serialised across all speakers.
ENGINE_LOCK = threading.RLock()
# The engine's voice as first seen, restored for speakers that do not choose one.
ENGINE_DEFAULTS: dict[str, Any] = {}


@dataclass(frozen=True)
class VoiceInfo:
    """An installed voice, as the runner's ``--list-voices`` shows it."""

    id: str
    name: str
    languages: tuple[str, ...]
    gender: str | None = None


# pyttsx3's driver for each platform (sys.platform's prefix): SAPI 5 on Windows,
# NSSpeechSynthesizer on a Mac ...
PLATFORM_DRIVERS = {"win32": "sapi5", "cygwin": "sapi5", "darwin": "nsss"}
# ... and espeak-ng everywhere else (Linux, the BSDs).
DEFAULT_DRIVER = "espeak"
# What pyttsx3's espeak driver prints after writing each file.
_SAVED_ANNOUNCEMENT = "Audio saved to "


@contextlib.contextmanager
def stdout_silenced() -> Iterator[None]:
    """Keep anything the engine prints off our stdout, Python prints and C writes alike.

    Python-level output is caught in a buffer: pyttsx3's "Audio saved to ..." lines are
    logged at debug level, anything else (another thread's print) is passed on afterwards.
    File descriptor 1 points at /dev/null meanwhile, for output from the C library. Both
    redirections are process-wide, which is why callers hold ``ENGINE_LOCK``.
    """
    captured = io.StringIO()
    with contextlib.ExitStack() as stack:
        with contextlib.suppress(AttributeError, ValueError, OSError):
            sys.stdout.flush()
        try:
            saved_fd = os.dup(1)
        except OSError:
            saved_fd = None  # no fd 1 at all: nothing to protect at that level
        if saved_fd is not None:
            devnull_fd = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull_fd, 1)
            os.close(devnull_fd)

            def restore() -> None:
                os.dup2(saved_fd, 1)
                os.close(saved_fd)

            stack.callback(restore)
        stack.enter_context(contextlib.redirect_stdout(captured))
        yield
    passed_on = []
    for line in captured.getvalue().splitlines(keepends=True):
        if line.startswith(_SAVED_ANNOUNCEMENT):
            logger.debug("speech engine said: %s", line.rstrip())
        else:
            passed_on.append(line)
    if passed_on:
        sys.stdout.write("".join(passed_on))


def wait_until_espeak_idle(timeout_s: float = IDLE_TIMEOUT_S) -> None:
    """Wait for espeak's command queue to drain, when the espeak driver is the one in use.

    pyttsx3 starts espeak in its asynchronous retrieval mode: settings and text go to a
    queue served by espeak's own thread, and pyttsx3 cancels whatever is still queued
    when its loop ends. Waiting here is what makes a rate or voice change stick.
    """
    espeak = sys.modules.get("pyttsx3.drivers._espeak")
    is_playing = getattr(espeak, "IsPlaying", None)
    if is_playing is None:
        return
    deadline = time.monotonic() + timeout_s
    while is_playing() and time.monotonic() < deadline:
        time.sleep(0.001)


def driver_name(platform: str | None = None) -> str:
    """The pyttsx3 driver this platform speaks through."""
    platform = sys.platform if platform is None else platform
    return next(
        (driver for prefix, driver in PLATFORM_DRIVERS.items() if platform.startswith(prefix)),
        DEFAULT_DRIVER,
    )


def init_engine() -> Any:
    """Start pyttsx3 or raise; pyttsx3 hands every caller the same live engine."""
    import pyttsx3  # deferred: importing is cheap, but keeps this module usable without it

    with ENGINE_LOCK, stdout_silenced():
        engine = pyttsx3.init(driverName=driver_name())
        if "voice" not in ENGINE_DEFAULTS:
            voice = engine.getProperty("voice")
            if voice:
                ENGINE_DEFAULTS["voice"] = voice
    return engine


def voices_of(engine: Any) -> list[VoiceInfo]:
    return [
        VoiceInfo(
            id=str(voice.id),
            name=str(voice.name),
            languages=tuple(str(language) for language in (voice.languages or ())),
            gender=voice.gender,
        )
        for voice in engine.getProperty("voices")
    ]


def list_voices() -> list[VoiceInfo]:
    """Installed voices; [] when there is no speech engine, so callers need no try."""
    try:
        engine = init_engine()
        with ENGINE_LOCK:
            return voices_of(engine)
    except Exception:  # any failure of the third-party engine means "no voices"
        logger.debug("no speech engine", exc_info=True)
        return []


def pick_voice_for_locale(voices: Sequence[VoiceInfo], locale: str) -> str | None:
    """Best voice for a locale: the exact language, then the bare language, then a relative.

    A voice is known by its languages and by the tail of its id: pyttsx3 reports only
    espeak-ng's first language per voice ("en-gb" for "gmw/en"), so "en-IN", which espeak
    lacks, finds "gmw/en" through its id, and "fr-CA" finds "roa/fr". MBROLA voices
    ("mb/...") are skipped: they fail unless the separate mbrola package is installed.
    """
    wanted = locale.strip().replace("_", "-").lower()
    if not wanted:
        return None
    base = wanted.split("-", 1)[0]
    candidates = [voice for voice in voices if not voice.id.lower().startswith("mb/")]

    def tags(voice: VoiceInfo) -> list[str]:
        return [voice.id.lower().rpartition("/")[2], *(lang.lower() for lang in voice.languages)]

    for matches in (
        lambda voice: wanted in tags(voice),
        lambda voice: base in tags(voice),
        lambda voice: any(tag.startswith(base + "-") for tag in tags(voice)),
    ):
        for voice in candidates:
            if matches(voice):
                return voice.id
    return None


def voice_for_locale(locale: str) -> str | None:
    """An installed voice id for a locale such as "en-GB" or "de_DE"; None if none fits."""
    return pick_voice_for_locale(list_voices(), locale)


def resolve_voice(voices: Sequence[VoiceInfo], wanted: str) -> str | None:
    """Accept a voice id ("gmw/en-us"), a name ("English (America)") or a locale."""
    lowered = wanted.strip().lower()
    for voice in voices:
        if lowered in (voice.id.lower(), voice.name.lower()):
            return voice.id
    return pick_voice_for_locale(voices, wanted)


def clamp_rate(rate: int) -> int:
    """espeak-ng clamps below 80 wpm itself; above 450 it needs sonic and turns to mush."""
    return max(MIN_RATE_WPM, min(MAX_RATE_WPM, int(rate)))
