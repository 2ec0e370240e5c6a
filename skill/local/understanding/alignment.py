"""Aligning a sample with an utterance: a weighted edit distance over word keys and slots.

Missing or extra words cost their weight (the language's function words, such as "the",
"to", "what", less than content words); a ``{slot}`` consumes one of the value spans found
in the utterance.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from skill.local.understanding.meaning import SlotValue

# Cost of a sample's slot that the utterance leaves empty ("start" for "start {exercise}").
EMPTY_SLOT_WEIGHT = 1.0


@dataclass(frozen=True)
class SlotRef:
    name: str
    slot_type: str


@dataclass(frozen=True)
class Sample:
    intent: str
    text: str
    items: tuple[str | SlotRef, ...]  # word keys and slots, in order
    weights: tuple[float, ...]  # each item's weight (a slot's is unused)
    literal_weight: float
    anchored: bool  # has a content word, so it may take an unknown slot value
    slots: tuple[SlotRef, ...]
    literal_keys: frozenset[str]


@dataclass(frozen=True)
class Carrier:
    """A one-slot sample that may take an unknown value: the words around its slot."""

    sample: Sample
    slot: SlotRef
    suffix: tuple


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    cost: float
    weight: float
    value: SlotValue


@dataclass(frozen=True)
class Tokens:
    words: tuple[str, ...]  # as heard, lower case, apostrophes kept
    keys: tuple[str, ...]  # matching keys (typos corrected)
    weights: tuple[float, ...]
    fix_costs: tuple[float, ...]  # cost of a typo correction, 0 for known words


def joined(keys: Iterable[str]) -> str:
    return "".join(keys)


def better(a: tuple, b: tuple | None) -> bool:
    """Lower cost wins; at equal cost, the reading that explains more words."""
    return b is None or a[0] < b[0] - 1e-9 or (abs(a[0] - b[0]) <= 1e-9 and a[1] > b[1])


def align(
    items: Sequence[str | SlotRef],
    item_weights: Sequence[float],
    tokens: Tokens,
    spans: Mapping[str, list[list[Span]]],
) -> tuple[float, float, tuple]:
    """Weighted edit distance between a sample and the utterance.

    Returns ``(cost, sample weight, slot fills)``. Rows are sample items, columns the
    utterance words; a cell holds ``(cost, weight, fills)`` of the best alignment so far.
    """
    keys, weights, fixes = tokens.keys, tokens.weights, tokens.fix_costs
    n = len(keys)
    row: list[tuple] = [(0.0, 0.0, ())]
    for j in range(n):
        row.append((row[j][0] + weights[j], 0.0, ()))
    for item, item_weight in zip(items, item_weights, strict=True):
        new: list[tuple] = [()] * (n + 1)
        if isinstance(item, str):
            for j in range(n + 1):
                cost, weight, fills = row[j]
                best = (cost + item_weight, weight + item_weight, fills)  # word missing
                if j:
                    cost, weight, fills = row[j - 1]
                    if keys[j - 1] == item:
                        candidate = (cost + fixes[j - 1], weight + item_weight, fills)
                        if better(candidate, best):
                            best = candidate
                    cost, weight, fills = new[j - 1]
                    candidate = (cost + weights[j - 1], weight, fills)  # extra word
                    if better(candidate, best):
                        best = candidate
                new[j] = best
        else:
            by_end = spans.get(item.slot_type)
            for j in range(n + 1):
                cost, weight, fills = row[j]
                best = (cost + EMPTY_SLOT_WEIGHT, weight + EMPTY_SLOT_WEIGHT, fills)
                if j:
                    cost, weight, fills = new[j - 1]
                    candidate = (cost + weights[j - 1], weight, fills)
                    if better(candidate, best):
                        best = candidate
                    for span in by_end[j] if by_end else ():
                        cost, weight, fills = row[span.start]
                        candidate = (
                            cost + span.cost,
                            weight + span.weight,
                            (*fills, (item.name, span.value)),
                        )
                        if better(candidate, best):
                            best = candidate
                new[j] = best
        row = new
    return row[n]
