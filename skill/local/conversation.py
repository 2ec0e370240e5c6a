"""A conversation as a device holds it: what was said goes out, the answer is shown and spoken."""

from __future__ import annotations

import time
from typing import Any

from skill.alexa.requests import EXCEEDED_MAX_REPROMPTS, USER_INITIATED
from skill.local.console import Console, Exchange
from skill.local.dialog_files import SkillIoRecorder
from skill.local.session import (
    LocalSession,
    Outgoing,
)
from skill.local.transports import Skill
from skill.local.utterance import words_of

# Typed alone at the prompt (or in a script), these leave the runner instead of going to
# the skill; an open session gets a SessionEndedRequest, as "Alexa, exit" would send.
QUIT_WORDS = frozenset({"quit", "exit"})


class Conversation:
    """Turns typed words into requests, and answers into text and sound."""

    def __init__(
        self,
        session: LocalSession,
        skill: Skill,
        speaker: Any,
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
        self.listener: Any = None
        self.interrupted: Any = None
        self.reprompt: str | None = None
        self._unanswered = False  # the reprompt has been played once already
        self._speech_failed = False
        self._understood_s = 0.0

    def say(self, utterance: str, heard: Any = None) -> bool:
        """Handle one typed line (or one heard utterance); False when the user leaves.

        ``heard`` is the recogniser's result the text came from: its turn shows as one
        record, with what was heard and how sure.
        """
        text = utterance.strip()
        if words_of(text) and set(words_of(text)) <= QUIT_WORDS:
            self.leave(text)
            return False
        if not text:
            self.silence()
            return True
        self._unanswered = False
        if self.recorder is not None:
            self.recorder.utterance_started(text, new_session=not self.session.is_open)
        started = time.perf_counter()
        prepared = self.session.prepare(text)
        self._understood_s = time.perf_counter() - started
        for number, sent in enumerate(prepared, start=1):
            last = number == len(prepared)
            self._exchange(sent, heard if last else None, show=heard is None or last)
        if self.recorder is not None:
            self.recorder.utterance_finished()
        return True

    def silence(self, heard: Any = None) -> None:
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
                self.console.notice("(no answer: the session has ended, as Alexa would end it)")

    def leave(self, utterance: str = "") -> None:
        """The user quits: an open session hears ``SessionEndedRequest(USER_INITIATED)``."""
        ended = self.session.end(USER_INITIATED, utterance)
        if ended is not None:
            self._exchange(ended)

    def unheard(self, confidence: float, apology: str | None) -> None:
        """Speech that was not understood (with an apology) or no speech at all (without)."""
        self.console.show(Exchange.unheard(confidence, apology))
        if apology:
            self._speak(apology)

    def _exchange(self, sent: Outgoing, heard: Any = None, *, show: bool = True) -> None:
        started = time.perf_counter()
        response = self.skill.send(sent.envelope)
        answered = time.perf_counter()
        if self.recorder is not None:
            self.recorder.exchanged(sent.envelope, response, (answered - started) * 1000)
        self.session.absorb(sent, response)
        record = Exchange.of(sent, response)
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

    def _speak(self, ssml: str) -> None:
        if self.speaker is None or self._speech_failed:
            return
        try:
            if self.listener is not None:
                self.interrupted = self.listener.speak_listening(self.speaker, ssml)
            else:
                self.speaker.speak(ssml)
        except Exception as failure:  # the third-party engine must never end the session
            self._speech_failed = True
            self.console.notice(f"Speech failed ({failure}); continuing in text.")
