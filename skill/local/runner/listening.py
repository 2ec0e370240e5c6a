"""Hands-free turns, taken as an Echo takes them.

After an answer that keeps the session open the microphone opens (a "listening" mark on
the terminal), the endpointer finds the end of what the person says, and the words go to
the skill as a typed line would. Eight seconds of silence play the reprompt; a second
silence ends the session. Speech the recogniser cannot make out gets "Sorry, I didn't
catch that" and the microphone opens again; nothing is sent to the skill.

The coach must not hear itself, yet must hear "pause" in the middle of a five-minute
paced set. So while it speaks, the microphone's sound reaches the recogniser only in the
answer's silences (the SSML pauses: holds, rests, the gaps between counts), a quarter of
a second after the voice stops, and everything else is replaced by silence. A command
heard there (pause, stop, next, ...) stops the playback at once and is acted on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Protocol
from xml.sax.saxutils import escape

import numpy as np

from skill.local.audio_clock import AudioClock, SystemAudioClock
from skill.local.hearing.audio import SAMPLE_RATE
from skill.local.runner.console import Console
from skill.local.runner.conversation import Conversation, Voice
from skill.local.understanding.choosing import SWITCHING_INTENT, DialogContext, Heard
from skill.local.understanding.speech_input import SpeechInput
from skill.local.voice.playback import Playback

# Silence after the coach's question before the reprompt, then before the session ends.
SILENCE_TIMEOUT_S = 8.0
# What the runner says when speech was heard but not understood (no request is sent).
DIDNT_CATCH = "<speak>Sorry, I didn't catch that.</speak>"
# What the runner says when a switch of workouts it asked about is declined.
CARRYING_ON = "<speak>Okay, carrying on.</speak>"
# Answers to the runner's own question before it switches workouts.
YES_INTENT = "AMAZON.YesIntent"
NO_INTENT = "AMAZON.NoIntent"
# Commands that may cut an answer short: the controls of a workout in progress.
BARGE_IN_INTENTS = frozenset(
    {
        "AMAZON.PauseIntent",
        "AMAZON.StopIntent",
        "AMAZON.CancelIntent",
        "AMAZON.NextIntent",
        "AMAZON.PreviousIntent",
        "AMAZON.RepeatIntent",
    }
)
# While the coach speaks, listen only in its pauses, from this long after its voice stops
# (the room's echo of the last word) ...
QUIET_LEAD_S = 0.25
# ... to this long before it speaks again, and only in pauses at least this long.
QUIET_TAIL_S = 0.05
MIN_QUIET_S = 0.8
LISTENING_MARK = "(listening…)"


class SoundSource(Protocol):
    """What the listener hears through: a microphone, or a scripted room in tests."""

    def blocks(self) -> Iterator[np.ndarray]: ...

    def drain(self) -> None: ...

    def close(self) -> None: ...


class Listener:
    """The runner's ears: speech input, one microphone, and the rules for when to listen."""

    def __init__(
        self,
        speech: SpeechInput,
        microphone: SoundSource,
        *,
        clock: AudioClock | None = None,
        silence_s: float = SILENCE_TIMEOUT_S,
    ) -> None:
        self.speech = speech
        self.microphone = microphone
        # What the dialog makes likely now; the conversation that owns this listener sets it.
        self.context: Callable[[], DialogContext] = DialogContext
        self.clock = clock or SystemAudioClock()
        self.silence_s = silence_s
        self.last_playback: Playback | None = None
        self.cut_short: Playback | None = None  # the last answer a command stopped

    def listen(self, timeout_s: float | None) -> Heard | None:
        """The next thing said, understood or not; None after ``timeout_s`` of silence."""
        self.microphone.drain()  # what it caught while the coach spoke is not the user's turn
        utterances = self.speech.utterances(self._until_silent(timeout_s), self.context)
        return next(iter(utterances), None)

    def _until_silent(self, timeout_s: float | None) -> Iterator[np.ndarray]:
        waited = 0.0
        for block in self.microphone.blocks():
            yield block
            waited += len(block) / SAMPLE_RATE
            if timeout_s is not None and waited >= timeout_s and not self.speech.in_speech:
                return

    def speak_listening(self, speaker: Voice, ssml: str) -> Heard | None:
        """Play an answer, listening in its pauses; a command heard there stops it."""
        playback = speaker.stream(ssml, self.clock)
        if playback is None:
            return None
        audio = playback.audio
        self.last_playback = playback
        windows = [
            (start + QUIET_LEAD_S, end - QUIET_TAIL_S)
            for start, end in audio.quiet
            if end - start >= MIN_QUIET_S
        ]
        if not windows:
            playback.wait()
            return None
        self.microphone.drain()
        for heard in self.speech.utterances(self._during(playback, windows), self._paced):
            if heard.understood and heard.intent in BARGE_IN_INTENTS:
                playback.stop()
                self.cut_short = playback
                return heard
        playback.wait()
        return None

    def _during(
        self, playback: Playback, windows: list[tuple[float, float]]
    ) -> Iterator[np.ndarray]:
        """The microphone while ``playback`` lasts, silenced wherever the coach speaks.

        A block passes only when it lies wholly inside a window, whether it holds the sound
        just before the moment it is read (a sound card's) or just after (a scripted
        room's): a block that straddles a window's end would carry the onset of the
        coach's next words, which a decoder can take for "end" or "next".
        """
        for block in self.microphone.blocks():
            if playback.done():
                return
            moment = playback.elapsed_s()
            span = len(block) / SAMPLE_RATE
            if any(start <= moment - span and moment + span <= end for start, end in windows):
                yield block
            else:
                yield np.zeros_like(block)

    def _paced(self) -> DialogContext:
        """The dialog's context while an answer plays: a paced set, where stop is likely."""
        return replace(self.context(), paced_set=True)


def _switching(conversation: Conversation, heard: Heard) -> bool:
    """An unsure start of another workout in the middle of one: worth asking about."""
    return heard.intent == SWITCHING_INTENT and conversation.context().in_workout


def _switch_question(heard: Heard) -> str:
    assert heard.understanding is not None
    named = " ".join(slot.resolved or slot.value for slot in heard.understanding.slots.values())
    what = named or "another workout"
    return f"<speak>Did you want to switch to {escape(what)}?</speak>"


def take_turn(conversation: Conversation, heard: Heard | None) -> bool:
    """Act on one spoken turn as an Echo would; False when the user leaves.

    Silence plays the reprompt (or, the second time, ends the session); speech that was
    not understood gets an apology and sends nothing; words go to the skill. A new workout
    heard unsurely in the middle of one is asked about first ("Did you want to switch to
    planks?"): yes sends it, no carries on with the one in progress.
    """
    if heard is None:
        if conversation.session.is_open:
            conversation.silence(heard=Heard("", 0.0))
        else:
            conversation.unheard(0.0, None)
        return True
    pending, conversation.pending_switch = conversation.pending_switch, None
    if pending is not None and heard.intent in (YES_INTENT, NO_INTENT):
        if heard.intent == NO_INTENT:
            conversation.unheard(heard.confidence, CARRYING_ON)
            return True
        heard = pending  # yes: the workout asked about
    elif not heard.understood and _switching(conversation, heard):
        conversation.pending_switch = replace(heard, text=heard.hypothesis, sure=True)
        conversation.unheard(heard.confidence, _switch_question(heard))
        return True
    if not heard.understood:
        conversation.unheard(heard.confidence, DIDNT_CATCH)
        return True
    staying = conversation.say(heard.text, heard)
    while staying and conversation.interrupted is not None:  # a command cut an answer short
        interruption, conversation.interrupted = conversation.interrupted, None
        staying = conversation.say(interruption.text, interruption)
    return staying


def hands_free(conversation: Conversation, listener: Listener, console: Console) -> None:
    """Listen and answer until the user leaves (Ctrl-C, "quit") or the microphone ends."""
    conversation.listener = listener
    listener.context = conversation.context
    console.notice(
        'Listening. Say "open step coach", or a request like "start Russian push-ups". '
        "Ctrl-C leaves."
    )
    while True:
        in_session = conversation.session.is_open
        console.notice(LISTENING_MARK)
        heard = listener.listen(listener.silence_s if in_session else None)
        if heard is None and not in_session:
            return  # no timeout was set: the microphone has nothing more to give
        if not take_turn(conversation, heard):
            return
