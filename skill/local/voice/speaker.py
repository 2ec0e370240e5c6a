"""Speaking the skill's SSML responses on a local machine: segments, silences, playback.

Each response is read into text runs and pauses (:mod:`skill.alexa.ssml`); every text run
is rendered to WAV through the engine (:mod:`skill.local.voice.espeak`), every pause becomes
silence generated here (:mod:`skill.local.voice.audio_format`), and the joined turn is played
through PortAudio (:mod:`skill.local.voice.playback`) and, with ``--wav``, appended to one
recording of the whole run. Every turn is streamed (:meth:`Speaker.stream`): the output
starts on the first segment's sound and the rest is fed to it as it renders, so the coach
answers one segment's rendering after the request.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import tempfile
import threading
import wave
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TextIO

from skill.alexa.ssml import Segment, parse_segments
from skill.local.audio_clock import AudioClock, SystemAudioClock
from skill.local.voice.audio_format import AudioFormat
from skill.local.voice.espeak import (
    DEFAULT_RATE_WPM,
    ENGINE_DEFAULTS,
    ENGINE_LOCK,
    FINISH_GRACE_S,
    UTTERANCE_TIMEOUT_S,
    clamp_rate,
    init_engine,
    resolve_voice,
    stdout_silenced,
    voices_of,
    wait_until_espeak_idle,
)
from skill.local.voice.playback import (
    NoAudioDevice,
    OpenOutput,
    Playback,
    PlayerFeed,
    SpeechAudio,
    open_sound_device,
)

logger = logging.getLogger(__name__)

NO_ENGINE_NOTICE = (
    "No speech engine found: install espeak-ng (sudo apt-get install espeak-ng) for voice; "
    "continuing in text."
)
NO_AUDIO_DEVICE_NOTICE = "No audio device: {reason}; continuing without sound."


class Speaker:
    """Speaks SSML turns aloud, and/or records them to a WAV, through pyttsx3.

    Each turn is rendered segment by segment (one utterance per ``runAndWait``), with
    silences generated here for the SSML pauses, and streamed to the sound device as it
    renders.
    Without an engine or a sound card the speaker degrades to doing nothing audible,
    saying why once on ``notices`` (never on stdout).
    """

    def __init__(
        self,
        *,
        mute: bool = False,
        voice: str | None = None,
        rate: int | None = None,
        wav_path: str | os.PathLike[str] | None = None,
        notices: TextIO | None = None,
        open_output: OpenOutput = open_sound_device,
    ) -> None:
        """Set up a speaker; nothing starts until the first turn, so start-up stays fast.

        ``voice`` may be an espeak voice id ("gmw/en-us"), a voice name or a locale
        ("en-GB"); an unknown one falls back to the default with a notice. ``rate`` is in
        words per minute (pyttsx3's default is 200), clamped to 80-450. ``wav_path``
        receives every turn, back to back, whether or not audio can be played.
        ``notices`` defaults to whatever ``sys.stderr`` is when a notice is printed.
        ``open_output`` opens the output stream for a turn's format (the default sound
        device through PortAudio; tests pass a fake stream).
        """
        self.mute = mute
        self.voice = voice
        self.rate = None if rate is None else clamp_rate(rate)
        self.wav_path = None if wav_path is None else Path(wav_path)
        self._notices = notices
        self.open_output = open_output

        self._engine: Any = None
        self._engine_tried = False
        self._voice_id: str | None = None
        self._format: AudioFormat | None = None
        self._work_dir: Path | None = None
        self._turn_count = 0
        self._last_turn_path: Path | None = None
        self._run_writer: wave.Wave_write | None = None
        self._player_works: bool | None = None  # None: not tried yet
        self._noticed: set[str] = set()
        self._closed = False
        self._quiet: tuple[tuple[float, float], ...] = ()

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
                self._engine = init_engine()
            except Exception:  # missing library, driver or anything else: carry on in text
                logger.debug("speech engine failed to start", exc_info=True)
                self._notice("engine", NO_ENGINE_NOTICE)
            else:
                self._voice_id = self._choose_voice()
        return self._engine

    def _choose_voice(self) -> str | None:
        if self.voice is None:
            return ENGINE_DEFAULTS.get("voice")
        with ENGINE_LOCK:
            voice_id = resolve_voice(voices_of(self._engine), self.voice)
        if voice_id is None:
            self._notice("voice", f"Voice {self.voice!r} not found; using the default voice.")
            return ENGINE_DEFAULTS.get("voice")
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
        """Say one turn: stream it to the player unless muted, append it to the whole-run WAV.

        Returns None when nothing was rendered: muted without a WAV to write, or no
        speech engine. Playback blocks until the turn has been heard, so the caller's
        timing follows the voice; the voice starts with the first segment (:meth:`stream`).
        """
        if self._closed:
            raise RuntimeError("Speaker is closed")
        if self.mute and self.wav_path is None:
            return None  # nothing would use the audio, so do not even start the engine
        playback = self.stream(ssml)
        if playback is None:
            return None
        return replace(playback.audio, played=self._heard(playback))

    def stream(self, ssml: str, clock: AudioClock | None = None) -> Playback | None:
        """Play a turn as it renders: the player starts with the first segment's sound.

        The rest renders while that plays (espeak-ng renders many times faster than it
        speaks), so the coach starts answering one segment's rendering after the request,
        not the whole turn's. Returns when the turn is rendered, with its playback under way;
        None when nothing was rendered.
        """
        clock = clock or SystemAudioClock()
        started: float | None = None
        feed: PlayerFeed | None = None

        def play(frames: bytes) -> None:
            nonlocal started, feed
            if started is None:
                started = clock.now()
                if not self.mute and self._format is not None:
                    feed = self._start_feed(self._format)
            if feed is not None:
                feed.write(frames)

        try:
            audio = self.render(ssml, on_frames=play)
        finally:
            if feed is not None:
                feed.close()
        if audio is None:
            return None
        if feed is None:
            return Playback(audio, clock, started=started)
        return Playback(audio, clock, feed, started, ended=self._player_ended)

    def render(
        self, ssml: str, on_frames: Callable[[bytes], None] | None = None
    ) -> SpeechAudio | None:
        """Render one turn to its WAV (and the whole-run WAV) without playing it.

        ``on_frames`` is given each piece of the turn's audio, in order, as it is made.
        """
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

        frames = self._render_frames(engine, segments, work_dir, on_frames)
        audio_format = self._format
        if frames is None or audio_format is None:
            return None
        with wave.open(str(turn_path), "wb") as writer:
            audio_format.apply_to(writer)
            writer.writeframes(frames)
        self._append_to_run(audio_format, frames)
        frame_count = len(frames) // (audio_format.sample_width * audio_format.channels)
        return SpeechAudio(
            path=turn_path,
            duration_s=frame_count / audio_format.frame_rate,
            played=False,
            quiet=self._quiet,
        )

    def _ensure_work_dir(self) -> Path:
        if self._work_dir is None:
            self._work_dir = Path(tempfile.mkdtemp(prefix="step-coach-tts-"))
        return self._work_dir

    def _render_frames(
        self,
        engine: Any,
        segments: list[Segment],
        work_dir: Path,
        on_frames: Callable[[bytes], None] | None = None,
    ) -> bytes | None:
        """The turn's audio: each text segment rendered, each pause generated as silence,
        each earcon synthesized (:mod:`skill.local.voice.earcons`), as long as Alexa's sound.

        None when the engine has never produced a file to learn the audio format from.
        """
        frames: list[bytes] = []
        for segment in segments:
            if segment.is_pause and self._format is None:
                self._render_text(engine, " ", work_dir)  # a pause came first: learn the format
                if self._format is None:
                    return None
            if not segment.is_pause:
                piece = self._render_text(engine, segment.text, work_dir)
            elif segment.audio:
                piece = self._format.earcon(segment.audio, segment.pause_ms)
            else:
                piece = self._format.silence(segment.pause_ms)
            frames.append(piece)
            if on_frames is not None and piece:
                on_frames(piece)
        if self._format is None:
            self._render_text(engine, " ", work_dir)  # a turn of nothing at all
        audio_format = self._format
        if audio_format is None:
            return None
        per_second = audio_format.frame_rate * audio_format.sample_width * audio_format.channels
        self._quiet = _quiet_intervals(
            [
                (len(frame) / per_second, segment.is_pause and not segment.audio)
                for frame, segment in zip(frames, segments, strict=True)
            ]
        )
        return b"".join(frames)

    def _render_text(self, engine: Any, text: str, work_dir: Path) -> bytes:
        """Frames for one utterance; b"" (with a notice) when the engine writes nothing."""
        segment_path = work_dir / "segment.wav"
        segment_path.unlink(missing_ok=True)
        finished = threading.Event()
        with ENGINE_LOCK, stdout_silenced():
            # Set on every utterance (the engine is shared, another speaker may differ), then
            # let espeak apply them: a change still queued when runAndWait() ends its loop
            # is cancelled, and the utterance comes out at the old rate or voice.
            if self._voice_id is not None:
                engine.setProperty("voice", self._voice_id)
            engine.setProperty("rate", self.rate or DEFAULT_RATE_WPM)
            wait_until_espeak_idle()
            token = engine.connect("finished-utterance", lambda **_: finished.set())
            try:
                engine.save_to_file(text, str(segment_path))
                engine.runAndWait()
                # runAndWait() may return while espeak is still synthesising on its own
                # thread; the file (and its "Audio saved" print) only exists after this.
                wait_until_espeak_idle(UTTERANCE_TIMEOUT_S)
                finished.wait(FINISH_GRACE_S)  # set by now, in every run measured
            finally:
                engine.disconnect(token)
        if not segment_path.exists():
            self._notice("render", f"The speech engine produced no audio for {text!r}.")
            return b""
        with wave.open(str(segment_path), "rb") as reader:
            segment_format = AudioFormat.of(reader)
            frames = reader.readframes(reader.getnframes())
        if self._format is None:
            self._format = segment_format
        elif segment_format != self._format:
            raise RuntimeError(f"speech engine changed format: {segment_format} != {self._format}")
        return frames

    def _append_to_run(self, audio_format: AudioFormat, frames: bytes) -> None:
        if self.wav_path is None:
            return
        if self._run_writer is None:
            self.wav_path.parent.mkdir(parents=True, exist_ok=True)
            # Stays open across turns until close(), hence no context manager.
            self._run_writer = wave.open(str(self.wav_path), "wb")  # noqa: SIM115
            audio_format.apply_to(self._run_writer)
        self._run_writer.writeframes(frames)

    def _start_feed(self, audio_format: AudioFormat) -> PlayerFeed | None:
        """The turn's output stream, or None (said once, on the notices stream) when no
        sound can be played here."""
        if self._player_works is False:
            return None
        try:
            return PlayerFeed(self.open_output(audio_format))
        except NoAudioDevice as missing:
            self._player_failed(str(missing))
            return None

    def _heard(self, playback: Playback) -> bool:
        """Wait until the output has played the turn: whether it did."""
        if playback.feed is None:
            return False
        playback.feed.wait()  # not playback.wait(): a failed output's turn is not waited out
        return playback.feed_ended() is None

    def _player_ended(self, playback: Playback, failure: str | None) -> None:
        """An output's first failure (the device went away) is said once; the speaker
        stays silent after it. Typed and hands-free turns alike end here."""
        if failure is None:
            self._player_works = True
        elif self._player_works is None:  # it has never worked: there is no sound here
            self._player_failed(f"playback failed ({failure})")

    def _player_failed(self, reason: str) -> None:
        self._player_works = False
        self._notice("audio", NO_AUDIO_DEVICE_NOTICE.format(reason=reason))


def _quiet_intervals(pieces: Sequence[tuple[float, bool]]) -> tuple[tuple[float, float], ...]:
    """(start, end) of each run of silent pieces, given (seconds, is_silence) in order."""
    quiet: list[tuple[float, float]] = []
    position = 0.0
    for seconds, silent in pieces:
        if silent and seconds > 0:
            if quiet and abs(quiet[-1][1] - position) < 1e-9:
                quiet[-1] = (quiet[-1][0], position + seconds)
            else:
                quiet.append((position, position + seconds))
        position += seconds
    return tuple(quiet)
