"""What understanding hands the session: an intent, its slots, how sure, and why.

Shared by the text NLU that produces it and the session that turns it into a request.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from skill.alexa.requests import ER_SUCCESS_MATCH, ER_SUCCESS_NO_MATCH

# What Alexa sends for words the model cannot place.
FALLBACK_INTENT = "AMAZON.FallbackIntent"


@dataclass(frozen=True)
class SlotValue:
    """A filled slot as Alexa reports it: the words heard and, when they resolved, the id.

    ``id`` is None for words that match no value of the slot type; Alexa then still fills
    the slot, with an ``ER_SUCCESS_NO_MATCH`` resolution.
    """

    name: str
    value: str
    slot_type: str
    id: str | None = None
    resolved: str | None = None  # the value's canonical name, when it resolved

    @property
    def status(self) -> str:
        return ER_SUCCESS_MATCH if self.id is not None else ER_SUCCESS_NO_MATCH


@dataclass(frozen=True)
class Understanding:
    """What the utterance means: intent, slots, how sure, and which sample said so."""

    intent: str
    slots: dict[str, SlotValue] = field(default_factory=dict)
    score: float = 0.0
    sample: str | None = None  # the sample phrase (or built-in phrasing) that matched

    def explain(self) -> str:
        """One line for a developer: intent, slots, score, and the sample that matched."""
        slots = " ".join(
            f"{name}={slot.value!r}->{slot.id or ER_SUCCESS_NO_MATCH}"
            for name, slot in self.slots.items()
        )
        via = f" via {self.sample!r}" if self.sample is not None else ""
        return f"{self.intent}{' ' + slots if slots else ''} (score {self.score:.2f}){via}"

    def meaning(self) -> tuple[str, tuple[tuple[str, str | None], ...]]:
        """The intent and each slot's resolved id: what two readings share when they mean
        the same thing, however differently worded."""
        return self.intent, tuple(sorted((name, slot.id) for name, slot in self.slots.items()))
