"""One slot type's values, and the value a run of an utterance's words names.

A run names a value when its joined keys are the value's or a synonym's, so "push ups" and
"pushups" meet. Beyond that, as a person varies a phrasing the model lists:

- it may differ in function words only ("zet die piepjes maar uit" for "zet de piepjes
  uit"), at :data:`LOOSE_WORD_COST` per word differing;
- a two-word value may hold a few words inside it, as a separable verb takes its object
  ("speed the count up" for "speed up", "mach die Töne aus"), at the cost of those words;
- it may take the first word of one phrasing of a value and the rest of another phrasing
  of the same value ("kill the beeps" from "kill the sounds" and "stop the beeps"), at
  :data:`RECOMBINED_COST`; only where the rest is two words or more, so "too" of "too
  fast" (slower) never meets "quickly" of "more quickly" (faster).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from skill.local.understanding.alignment import joined

# Cost of each function word a slot value's words differ in ("die" for "de", an extra "maar").
LOOSE_WORD_COST = 0.2
# Most words a two-word slot value may hold inside it ("speed the count up" for "speed up").
MAX_SPLIT_GAP = 2
# Cost of a value said with one phrasing's first word and another phrasing's rest.
RECOMBINED_COST = 0.3

Entry = tuple[str, str]  # a value's id and its canonical name


class SlotValues:
    """A slot type's values and synonyms, indexed by their words' matching keys."""

    def __init__(self, function_keys: frozenset[str]) -> None:
        self.function = function_keys
        self.exact: dict[str, Entry] = {}  # joined keys of a phrasing
        self.loose: dict[str, tuple[Entry, Counter]] = {}  # joined content keys, its function words
        self.split: dict[tuple[str, str], Entry] = {}  # the two keys of a two-word phrasing
        self.heads: dict[str, dict[str, Entry]] = {}  # first key of a longer phrasing: id -> entry
        self.tails: dict[str, set[str]] = {}  # the rest of a longer phrasing, joined: ids

    def add(self, entry: Entry, keys: Sequence[str]) -> None:
        """Index one phrasing (as matching keys) of the value ``entry``."""
        self.exact.setdefault(joined(keys), entry)
        content = [key for key in keys if key not in self.function]
        if len(content) >= 2:
            function_words = Counter(key for key in keys if key in self.function)
            self.loose.setdefault(joined(content), (entry, function_words))
        if len(keys) == 2:
            self.split.setdefault((keys[0], keys[1]), entry)
        if len(keys) >= 3:
            self.heads.setdefault(keys[0], {}).setdefault(entry[0], entry)
            self.tails.setdefault(joined(keys[1:]), set()).add(entry[0])

    def find(self, keys: Sequence[str], weights: Sequence[float]) -> tuple[Entry | None, float]:
        """The value the words (their keys and weights) name, and the cost of reading them
        so; ``(None, 0.0)`` when they name none."""
        entry = self.exact.get(joined(keys))
        if entry is not None:
            return entry, 0.0
        if len(keys) < 2 or keys[0] in self.function or keys[-1] in self.function:
            return None, 0.0
        content = [key for key in keys if key not in self.function]
        found = self.loose.get(joined(content)) if len(content) >= 2 else None
        if found is not None:
            entry, function_words = found
            said = Counter(key for key in keys if key in self.function)
            differing = sum(((said - function_words) + (function_words - said)).values())
            return entry, LOOSE_WORD_COST * differing
        if len(keys) <= 2 + MAX_SPLIT_GAP:
            entry = self.split.get((keys[0], keys[-1]))
            if entry is not None:
                return entry, sum(weights[1:-1])
        heads = self.heads.get(keys[0], {})
        ids = [key for key in heads if key in self.tails.get(joined(keys[1:]), ())]
        if len(ids) == 1:
            return heads[ids[0]], RECOMBINED_COST
        return None, 0.0
