"""What hearing hands over: every decoded version's readings with their scores, and timing.

Hearing never chooses a meaning (it imports neither the text NLU nor the speaker); the
understanding step (:mod:`skill.local.understanding`) reads these with the dialog's
context and decides once.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Reading:
    """One decode of one version of an utterance."""

    text: str  # the decoder's best reading, fillers removed ("" when it heard no words)
    coverage: float  # the share of the speech that command words explain (0..1)
    nbest: tuple[str, ...] = ()  # its best readings, best first (the first is ``text``'s)
    strict: bool = False  # read with the strict language model (a room of talkers)


@dataclass(frozen=True)
class Hypotheses:
    """One utterance as heard: its versions' readings, the least trusted first.

    No readings: too short to be speech (a click, a cough), nothing decoded.
    """

    readings: tuple[Reading, ...]
    start: float = 0.0  # seconds into the stream
    end: float = 0.0
    seconds: float = 0.0  # how long the decoded audio is
    capped: bool = False  # the utterance hit the endpointer's longest utterance

    @property
    def talkers(self) -> bool:
        """Whether hearing took the room for talkers (it then adds the strict reading, first)."""
        return bool(self.readings) and self.readings[0].strict
