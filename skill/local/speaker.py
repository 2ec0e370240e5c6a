"""Speaking the skill's SSML responses on a local machine, through pyttsx3 and espeak-ng.

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
  and CI without a sound card. Here playback is our own ``aplay -q`` call, whose failure
  is reported once and then leaves the coach running silently.
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
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import wave
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TextIO

from skill.alexa.ssml import Segment, parse_segments
from skill.local import earcons

logger = logging.getLogger(__name__)

# Command that plays a WAV file given as its last argument; -q keeps aplay quiet.
PLAYER_COMMAND: tuple[str, ...] = ("aplay", "-q")
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

NO_ENGINE_NOTICE = (
    "No speech engine found: install espeak-ng (sudo apt-get install espeak-ng) for voice; "
    "continuing in text."
)
NO_AUDIO_DEVICE_NOTICE = "No audio device: {reason}; continuing without sound."

# pyttsx3 reuses one engine per process and espeak-ng's state is global, so rendering
# (which also redirects the process's stdout) is serialised across all speakers.
_ENGINE_LOCK = threading.RLock()
# The engine's voice as first seen, restored for speakers that do not choose one.
_ENGINE_DEFAULTS: dict[str, Any] = {}


@dataclass(frozen=True)
class SpeechAudio:
    """What one spoken turn produced.

    ``path`` is this turn's WAV; it stays valid until the next ``speak()`` or ``close()``
    of the same speaker, which keeps a long session from filling the temporary directory.
    """

    path: Path
    duration_s: float
    played: bool


@dataclass(frozen=True)
class VoiceInfo:
    """An installed voice, as the runner's ``--list-voices`` shows it."""

    id: str
    name: str
    languages: tuple[str, ...]
    gender: str | None = None


@dataclass(frozen=True)
class _AudioFormat:
    channels: int
    sample_width: int
    frame_rate: int

    @classmethod
    def of(cls, reader: wave.Wave_read) -> _AudioFormat:
        return cls(reader.getnchannels(), reader.getsampwidth(), reader.getframerate())

    def apply_to(self, writer: wave.Wave_write) -> None:
        writer.setnchannels(self.channels)
        writer.setsampwidth(self.sample_width)
        writer.setframerate(self.frame_rate)

    def earcon(self, src: str, milliseconds: int) -> bytes:
        """The Sound Library sound ``src`` made here; silence as long, if we cannot make it."""
        earcon = earcons.earcon_for(src)
        if earcon is None or (self.channels, self.sample_width) != (1, earcons.SAMPLE_WIDTH):
            return self.silence(milliseconds)
        return earcons.synthesize(earcon, self.frame_rate)

    def silence(self, milliseconds: int) -> bytes:
        frames = round(milliseconds * self.frame_rate / 1000)
        # 8-bit WAV is unsigned, so its silence is 0x80; wider samples are signed.
        sample = b"\x80" if self.sample_width == 1 else b"\x00" * self.sample_width
        return sample * (frames * self.channels)


# What pyttsx3's espeak driver prints after writing each file.
_SAVED_ANNOUNCEMENT = "Audio saved to "


@contextlib.contextmanager
def _stdout_silenced() -> Iterator[None]:
    """Keep anything the engine prints off our stdout, Python prints and C writes alike.

    Python-level output is caught in a buffer: pyttsx3's "Audio saved to ..." lines are
    logged at debug level, anything else (another thread's print) is passed on afterwards.
    File descriptor 1 points at /dev/null meanwhile, for output from the C library. Both
    redirections are process-wide, which is why callers hold ``_ENGINE_LOCK``.
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


def _wait_until_espeak_idle(timeout_s: float = IDLE_TIMEOUT_S) -> None:
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


def _init_engine() -> Any:
    """Start pyttsx3 or raise; pyttsx3 hands every caller the same live engine."""
    import pyttsx3  # deferred: importing is cheap, but keeps this module usable without it

    with _ENGINE_LOCK, _stdout_silenced():
        engine = pyttsx3.init()
        if "voice" not in _ENGINE_DEFAULTS:
            voice = engine.getProperty("voice")
            if voice:
                _ENGINE_DEFAULTS["voice"] = voice
    return engine


def _voices_of(engine: Any) -> list[VoiceInfo]:
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
        engine = _init_engine()
        with _ENGINE_LOCK:
            return _voices_of(engine)
    except Exception:  # any failure of the third-party engine means "no voices"
        logger.debug("no speech engine", exc_info=True)
        return []


def _pick_voice_for_locale(voices: Sequence[VoiceInfo], locale: str) -> str | None:
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
    return _pick_voice_for_locale(list_voices(), locale)


def _resolve_voice(voices: Sequence[VoiceInfo], wanted: str) -> str | None:
    """Accept a voice id ("gmw/en-us"), a name ("English (America)") or a locale."""
    lowered = wanted.strip().lower()
    for voice in voices:
        if lowered in (voice.id.lower(), voice.name.lower()):
            return voice.id
    return _pick_voice_for_locale(voices, wanted)


def _clamp_rate(rate: int) -> int:
    """espeak-ng clamps below 80 wpm itself; above 450 it needs sonic and turns to mush."""
    return max(MIN_RATE_WPM, min(MAX_RATE_WPM, int(rate)))


class Speaker:
    """Speaks SSML turns aloud, and/or records them to a WAV, through pyttsx3.

    Each turn is rendered segment by segment to WAV files (one utterance per
    ``runAndWait``), joined with silences generated here for the SSML pauses, then
    played with ``aplay``. Without an engine or a sound card the speaker degrades to
    doing nothing audible, saying why once on ``notices`` (never on stdout).
    """

    def __init__(
        self,
        *,
        mute: bool = False,
        voice: str | None = None,
        rate: int | None = None,
        wav_path: str | os.PathLike[str] | None = None,
        notices: TextIO | None = None,
        player_command: Sequence[str] = PLAYER_COMMAND,
    ) -> None:
        """Set up a speaker; nothing starts until the first turn, so start-up stays fast.

        ``voice`` may be an espeak voice id ("gmw/en-us"), a voice name or a locale
        ("en-GB"); an unknown one falls back to the default with a notice. ``rate`` is in
        words per minute (pyttsx3's default is 200), clamped to 80-450. ``wav_path``
        receives every turn, back to back, whether or not audio can be played.
        ``notices`` defaults to whatever ``sys.stderr`` is when a notice is printed.
        ``player_command`` gets the WAV path appended, for another player or for tests.
        """
        self.mute = mute
        self.voice = voice
        self.rate = None if rate is None else _clamp_rate(rate)
        self.wav_path = None if wav_path is None else Path(wav_path)
        self._notices = notices
        self.player_command = tuple(player_command)

        self._engine: Any = None
        self._engine_tried = False
        self._voice_id: str | None = None
        self._format: _AudioFormat | None = None
        self._work_dir: Path | None = None
        self._turn_count = 0
        self._last_turn_path: Path | None = None
        self._run_writer: wave.Wave_write | None = None
        self._player_works: bool | None = None  # None: not tried yet
        self._noticed: set[str] = set()
        self._closed = False

    # --- lifecycle -----------------------------------------------------------------

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Finish the whole-run WAV (its header is only complete after this) and tidy up."""
        if self._closed:
            return
        self._closed = True
        if self._run_writer is not None:
            self._run_writer.close()
            self._run_writer = None
        if self._work_dir is not None:
            shutil.rmtree(self._work_dir, ignore_errors=True)
            self._work_dir = None

    # --- engine --------------------------------------------------------------------

    @property
    def engine_available(self) -> bool:
        """Whether speech can be rendered; starts the engine on first use."""
        return self._get_engine() is not None

    def _get_engine(self) -> Any:
        if not self._engine_tried:
            self._engine_tried = True
            try:
                self._engine = _init_engine()
            except Exception:  # missing library, driver or anything else: carry on in text
                logger.debug("speech engine failed to start", exc_info=True)
                self._notice("engine", NO_ENGINE_NOTICE)
            else:
                self._voice_id = self._choose_voice()
        return self._engine

    def _choose_voice(self) -> str | None:
        if self.voice is None:
            return _ENGINE_DEFAULTS.get("voice")
        with _ENGINE_LOCK:
            voice_id = _resolve_voice(_voices_of(self._engine), self.voice)
        if voice_id is None:
            self._notice("voice", f"Voice {self.voice!r} not found; using the default voice.")
            return _ENGINE_DEFAULTS.get("voice")
        return voice_id

    def _notice(self, key: str, message: str) -> None:
        """Print a notice once per speaker, on the notices stream only."""
        if key in self._noticed:
            return
        self._noticed.add(key)
        # sys.stderr is looked up now, not at definition time, so redirections apply.
        stream = sys.stderr if self._notices is None else self._notices
        print(message, file=stream, flush=True)

    # --- speaking ------------------------------------------------------------------

    def speak(self, ssml: str) -> SpeechAudio | None:
        """Say one turn: render it, play it unless muted, append it to the whole-run WAV.

        Returns None when nothing was rendered: muted without a WAV to write, or no
        speech engine. Playback blocks until the turn has been heard, so the caller's
        timing follows the voice.
        """
        if self._closed:
            raise RuntimeError("Speaker is closed")
        if self.mute and self.wav_path is None:
            return None  # nothing would use the audio, so do not even start the engine
        turn = self.render(ssml)
        if turn is None:
            return None
        played = False if self.mute else self._play(turn.path)
        return SpeechAudio(path=turn.path, duration_s=turn.duration_s, played=played)

    def render(self, ssml: str) -> SpeechAudio | None:
        """Render one turn to its WAV (and the whole-run WAV) without playing it."""
        if self._closed:
            raise RuntimeError("Speaker is closed")
        engine = self._get_engine()
        if engine is None:
            return None
        segments = parse_segments(ssml)
        work_dir = self._ensure_work_dir()
        self._turn_count += 1
        turn_path = work_dir / f"turn-{self._turn_count:05d}.wav"
        if self._last_turn_path is not None:
            self._last_turn_path.unlink(missing_ok=True)
        self._last_turn_path = turn_path

        frames = self._render_frames(engine, segments, work_dir)
        audio_format = self._format
        if frames is None or audio_format is None:
            return None
        with wave.open(str(turn_path), "wb") as writer:
            audio_format.apply_to(writer)
            writer.writeframes(frames)
        self._append_to_run(audio_format, frames)
        frame_count = len(frames) // (audio_format.sample_width * audio_format.channels)
        return SpeechAudio(
            path=turn_path, duration_s=frame_count / audio_format.frame_rate, played=False
        )

    def _ensure_work_dir(self) -> Path:
        if self._work_dir is None:
            self._work_dir = Path(tempfile.mkdtemp(prefix="step-coach-tts-"))
        return self._work_dir

    def _render_frames(self, engine: Any, segments: list[Segment], work_dir: Path) -> bytes | None:
        """The turn's audio: each text segment rendered, each pause generated as silence,
        each earcon synthesized (:mod:`skill.local.earcons`), as long as Alexa's sound.

        None when the engine has never produced a file to learn the audio format from.
        """
        pieces: list[bytes | Segment] = [
            segment if segment.is_pause else self._render_text(engine, segment.text, work_dir)
            for segment in segments
        ]
        if self._format is None:
            self._render_text(engine, " ", work_dir)  # a turn of pure silence came first
        audio_format = self._format
        if audio_format is None:
            return None
        return b"".join(
            piece
            if isinstance(piece, bytes)
            else audio_format.earcon(piece.audio, piece.pause_ms)
            if piece.audio
            else audio_format.silence(piece.pause_ms)
            for piece in pieces
        )

    def _render_text(self, engine: Any, text: str, work_dir: Path) -> bytes:
        """Frames for one utterance; b"" (with a notice) when the engine writes nothing."""
        segment_path = work_dir / "segment.wav"
        segment_path.unlink(missing_ok=True)
        finished = threading.Event()
        with _ENGINE_LOCK, _stdout_silenced():
            # Set on every utterance (the engine is shared, another speaker may differ), then
            # let espeak apply them: a change still queued when runAndWait() ends its loop
            # is cancelled, and the utterance comes out at the old rate or voice.
            if self._voice_id is not None:
                engine.setProperty("voice", self._voice_id)
            engine.setProperty("rate", self.rate or DEFAULT_RATE_WPM)
            _wait_until_espeak_idle()
            token = engine.connect("finished-utterance", lambda **_: finished.set())
            try:
                engine.save_to_file(text, str(segment_path))
                engine.runAndWait()
                # runAndWait() may return while espeak is still synthesising on its own
                # thread; the file (and its "Audio saved" print) only exists after this.
                _wait_until_espeak_idle(UTTERANCE_TIMEOUT_S)
                finished.wait(FINISH_GRACE_S)  # set by now, in every run measured
            finally:
                engine.disconnect(token)
        if not segment_path.exists():
            self._notice("render", f"The speech engine produced no audio for {text!r}.")
            return b""
        with wave.open(str(segment_path), "rb") as reader:
            segment_format = _AudioFormat.of(reader)
            frames = reader.readframes(reader.getnframes())
        if self._format is None:
            self._format = segment_format
        elif segment_format != self._format:
            raise RuntimeError(f"speech engine changed format: {segment_format} != {self._format}")
        return frames

    def _append_to_run(self, audio_format: _AudioFormat, frames: bytes) -> None:
        if self.wav_path is None:
            return
        if self._run_writer is None:
            self.wav_path.parent.mkdir(parents=True, exist_ok=True)
            # Stays open across turns until close(), hence no context manager.
            self._run_writer = wave.open(str(self.wav_path), "wb")  # noqa: SIM115
            audio_format.apply_to(self._run_writer)
        self._run_writer.writeframes(frames)

    def _play(self, path: Path) -> bool:
        """Play a WAV and wait for it; after the first failure, stay silent for good."""
        if self._player_works is False:
            return False
        program = shutil.which(self.player_command[0]) if self.player_command else None
        if program is None:
            name = self.player_command[0] if self.player_command else "player"
            self._player_works = False
            self._notice(
                "audio",
                NO_AUDIO_DEVICE_NOTICE.format(
                    reason=f"{name} not found (install alsa-utils for aplay)"
                ),
            )
            return False
        try:
            result = subprocess.run(
                [program, *self.player_command[1:], str(path)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                check=False,
            )
        except OSError as error:
            failure = str(error)
        else:
            if result.returncode == 0:
                self._player_works = True
                return True
            errors = result.stderr.decode(errors="replace").strip().splitlines()
            failure = errors[-1] if errors else f"exit status {result.returncode}"
        self._player_works = False
        self._notice("audio", NO_AUDIO_DEVICE_NOTICE.format(reason=f"playback failed ({failure})"))
        return False
