"""Speech in, meaning out: the one path every recording takes.

``--hear``, the microphone (turns and barge-in) and ``bench.hearing`` all go through
:class:`SpeechInput`: hearing (:class:`~skill.local.hearing.recognizer.Recognizer`) cuts
and decodes each utterance into hypotheses, understanding
(:class:`~skill.local.understanding.choosing.Understander`) decides on one meaning with
the dialog's context.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import numpy as np

from skill.local.hearing.audio import read_wav
from skill.local.hearing.microphone import SimulatedMicrophone
from skill.local.hearing.recognizer import Recognizer
from skill.local.understanding.choosing import DialogContext, Heard, Understander
from skill.local.understanding.nlu import LocalNLU


class SpeechInput:
    """A locale's hearing and understanding; build once per process and reuse it."""

    def __init__(self, recognizer: Recognizer, understander: Understander) -> None:
        self.recognizer = recognizer
        self.understander = understander

    @classmethod
    def for_locale(
        cls, locale: str = "en-US", *, cache_dir: Path | None = None, **hearing: bool
    ) -> SpeechInput:
        """Raises ``LanguageModelError`` for a locale hearing cannot speak."""
        recognizer = Recognizer(locale, cache_dir=cache_dir, **hearing)
        understander = Understander(LocalNLU.for_locale(locale), recognizer.model.sentences)
        return cls(recognizer, understander)

    @property
    def threshold(self) -> float:
        return self.understander.threshold

    @property
    def in_speech(self) -> bool:
        """Whether the stream being heard is in the middle of an utterance right now."""
        return self.recognizer.in_speech

    def utterances(
        self,
        blocks: Iterable[np.ndarray],
        context: DialogContext | Callable[[], DialogContext] | None = None,
    ) -> Iterator[Heard]:
        """Every utterance in a stream of 16 kHz blocks, understood as it ends.

        ``context`` may be a callable, read when each utterance ends (the dialog moves on).
        """
        for hypotheses in self.recognizer.utterances(blocks):
            now = context() if callable(context) else context
            yield self.understander.decide(hypotheses, now)

    def turn(
        self, blocks: Iterable[np.ndarray], context: DialogContext | None = None
    ) -> Heard | None:
        """One turn: its first understood utterance (a cough before a command is skipped),
        else the last one heard, else None when it holds no speech at all."""
        last = None
        for heard in self.utterances(blocks, context):
            if heard.understood:
                return heard
            last = heard
        return last

    def hear(self, blocks: Iterable[np.ndarray], context: DialogContext | None = None) -> Heard:
        """:meth:`turn`, with silence as empty text and zero confidence."""
        return self.turn(blocks, context) or Heard("", 0.0)

    def hear_recording(
        self, samples: np.ndarray, context: DialogContext | None = None
    ) -> Heard | None:
        """A recording as one turn, fed as a microphone would feed it."""
        return self.turn(SimulatedMicrophone(samples).blocks(), context)

    def hear_file(self, path: str | Path, context: DialogContext | None = None) -> Heard:
        """A WAV file as one turn of what the microphone heard (``--hear``)."""
        return self.hear_recording(read_wav(path), context) or Heard("", 0.0)
