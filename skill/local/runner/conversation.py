"""A conversation as a device holds it: what was said goes out, the answer is shown and spoken."""

from __future__ import annotations

import contextlib
import time
from dataclasses import replace
from typing import TYPE_CHECKING, Protocol

from skill.alexa.requests import EXCEEDED_MAX_REPROMPTS, USER_INITIATED
from skill.alexa.ssml import estimated_speech_ms
from skill.local.runner.console import Console, Exchange
from skill.local.runner.dialog_files import SkillIoRecorder
from skill.local.runner.session import (
    LocalSession,
    Outgoing,
)
from skill.local.runner.transports import RunnerError, Skill, SkillFailed
from skill.local.understanding.choosing import DialogContext, Heard

if TYPE_CHECKING:  # the voice loads only when the runner speaks
    from skill.local.audio_clock import AudioClock
    from skill.local.voice.playback import Playback, SpeechAudio

# The SessionEndedRequest reason Alexa sends when the skill gave no usable answer.
ERROR = "ERROR"
# One turn, capped as Alexa caps one: a typed (or scripted, or replayed) line holds at most
# this many characters (Amazon Lex, Alexa's sibling, caps text input at 1,024; a spoken
# command is a few dozen) ...
MAX_UTTERANCE_CHARS = 1_024
# ... and a --hear recording at most this many seconds: the 8 s the runner waits for speech
# to start, then the 7 s the endpointer caps an utterance at.
MAX_RECORDING_SECONDS = 15.0


def utterance_problem(text: str) -> str | None:
    """Why ``text`` cannot be one turn (too long, not valid Unicode), or None."""
    if len(text) > MAX_UTTERANCE_CHARS:
        return f"{len(text):,} characters; one turn holds at most {MAX_UTTERANCE_CHARS:,}"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "not valid Unicode (it holds a lone surrogate)"
    return None


class Voice(Protocol):
    """What speaks the coach's answers: the speaker (:mod:`skill.local.voice.speaker`)."""

    def speak(self, ssml: str) -> SpeechAudio | None:
        """Play a turn to its end: its audio (``played``: whether it was heard), or None."""
        ...

    def stream(self, ssml: str, clock: AudioClock | None = None) -> Playback | None:
        """Start a turn and return while it plays: barge-in listens in its pauses."""
        ...


class BargeIn(Protocol):
    """What plays an answer while listening for a command in its pauses
    (:class:`skill.local.runner.listening.Listener`)."""

    def speak_listening(self, speaker: Voice, ssml: str) -> Heard | None: ...


class Conversation:
    """Turns typed words into requests, and answers into text and sound."""

    def __init__(
        self,
        session: LocalSession,
        skill: Skill,
        speaker: Voice | None,
        console: Console,
        recorder: SkillIoRecorder | None = None,
    ) -> None:
        self.session = session
        self.skill = skill
        self.speaker = speaker
        self.console = console
        self.recorder = recorder
        # Hands-free: who plays the coach's answers while listening for "pause" or "next"
        # (a Listener); what it heard that cut an answer short waits in ``interrupted``.
        self.listener: BargeIn | None = None
        self.interrupted: Heard | None = None
        # A new workout heard unsurely mid-workout, asked about and waiting for a yes.
        self.pending_switch: Heard | None = None
        self.reprompt: str | None = None
        self._unanswered = False  # the reprompt has been played once already
        self._speech_failed = False
        self._understood_s = 0.0

    def say(self, utterance: str, heard: Heard | None = None) -> bool:
        """Handle one typed line (or one heard utterance); False when the user leaves.

        ``heard`` is the recogniser's result the text came from: its turn shows as one
        record, with what was heard and how sure.
        """
        text = utterance.strip()
        problem = utterance_problem(text)
        if problem is not None:
            self.console.notice(f"(not sent to the skill: {problem})")
            return True
        # Typed alone ("quit", "exit" in English), these leave the runner instead of going
        # to the skill; an open session gets a SessionEndedRequest, as "Alexa, exit" sends.
        words = self.session.nlu.wording.words_of(text)
        if words and set(words) <= self.session.words.quit_words:
            self.leave(text)
            return False
        if not text:
            self.silence()
            return True
        self._unanswered = False
        if self.recorder is not None:
            self.recorder.utterance_started(text, new_session=not self.session.is_open)
        started = time.perf_counter()
        understood = heard.understanding if heard is not None else None
        prepared = self.session.prepare(text, understood)
        self._understood_s = time.perf_counter() - started
        for number, sent in enumerate(prepared, start=1):
            last = number == len(prepared)
            self._exchange(sent, heard if last else None, show=heard is None or last)
        if self.recorder is not None:
            self.recorder.utterance_finished()
        return True

    def context(self) -> DialogContext:
        """What the dialog makes likely now, for understanding what is heard next."""
        context = self.session.context()
        return replace(context, question=True) if self.pending_switch else context

    def silence(self, heard: Heard | None = None) -> None:
        """Nothing said: Alexa plays the reprompt once, then closes the session."""
        if not self.session.is_open:
            return
        if self.reprompt and not self._unanswered:
            self._unanswered = True
            record = Exchange.reprompted(self.reprompt)
            if heard is not None:
                record.heard, record.confidence = heard.text, heard.confidence
            self.console.show(record)
            self._speak(self.reprompt)
            return
        ended = self.session.end(EXCEEDED_MAX_REPROMPTS)
        if ended is not None:
            self._exchange(ended, heard)
            if not self.console.json_lines:
                self.console.notice(self.session.words.no_answer)

    def leave(self, utterance: str = "") -> None:
        """The user quits: an open session hears ``SessionEndedRequest(USER_INITIATED)``."""
        ended = self.session.end(USER_INITIATED, utterance)
        if ended is not None:
            self._exchange(ended)

    def close(self) -> None:
        """The runner stops (a script's end, Ctrl-C, the microphone gone) with the session
        open: the skill hears ``SessionEndedRequest(USER_INITIATED)``, so it can keep where
        the user was, as when a person walks away from an Echo. Nothing is shown: the user
        said nothing."""
        self._end_quietly(USER_INITIATED)

    def unheard(self, confidence: float, apology: str | None) -> None:
        """Speech that was not understood (with an apology) or no speech at all (without)."""
        self.console.show(Exchange.unheard(confidence, apology))
        if apology:
            self._speak(apology)

    def _exchange(self, sent: Outgoing, heard: Heard | None = None, *, show: bool = True) -> None:
        started = time.perf_counter()
        try:
            response = self.skill.send(sent.envelope)
        except SkillFailed as failure:
            self._failed(sent, failure)
            raise
        answered = time.perf_counter()
        if self.recorder is not None:
            self.recorder.exchanged(sent.envelope, response, (answered - started) * 1000)
        self.session.absorb(sent, response)
        record = Exchange.of(sent, response, self.session.words)
        if heard is not None:
            record.heard, record.confidence = heard.text, heard.confidence
        self.reprompt = None if record.end_session else record.reprompt
        if show:
            self.console.show(record, sent)
        if record.request_type == "SessionEndedRequest":
            return  # Alexa does not speak a response to it
        if record.speech:
            self._speak(record.speech)
        if self.console.verbose:
            self.console.notice(
                f"  [understanding {self._understood_s * 1000:.1f} ms, "
                f"skill {(answered - started) * 1000:.1f} ms, "
                f"speech {(time.perf_counter() - answered) * 1000:.0f} ms]"
            )

    def _failed(self, sent: Outgoing, failure: SkillFailed) -> None:
        """No usable answer: the session ends with ``SessionEndedRequest(ERROR)``, as Alexa
        ends it after an invalid response or a timeout (best effort: the skill may be gone)."""
        if sent.request_type == "SessionEndedRequest" or sent.session_id != self.session.session_id:
            return
        self._end_quietly(ERROR, {"type": failure.alexa_error, "message": str(failure)})

    def _end_quietly(self, reason: str, error: dict[str, str] | None = None) -> None:
        """A ``SessionEndedRequest`` for the open session, not shown; a skill that cannot
        be reached then is not worth another error."""
        ended = self.session.end(reason, error=error)
        if ended is None:
            return
        with contextlib.suppress(RunnerError):
            self.skill.send(ended.envelope)

    def _speak(self, ssml: str) -> None:
        if self.speaker is None or self._speech_failed:
            self.session.listened(estimated_speech_ms(ssml))
            return
        try:
            if self.listener is not None:
                self.interrupted = self.listener.speak_listening(self.speaker, ssml)
            else:
                audio = self.speaker.speak(ssml)
                if audio is None or not audio.played:
                    self.session.listened(estimated_speech_ms(ssml))
        except Exception as failure:  # the third-party engine must never end the session
            self._speech_failed = True
            self.console.notice(f"Speech failed ({failure}); continuing in text.")
