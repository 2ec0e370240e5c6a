"""Local language understanding: typed words to an Alexa intent and slots, without Alexa.

The local runner needs what Alexa's NLU would hand the skill for an utterance. This module
builds that from the same ``interaction_models/<locale>.json`` the Alexa console gets, plus
common phrasings of the AMAZON built-in intents (which Alexa trains itself, beyond a
model's samples). It is deterministic and explainable: every answer names the sample it
matched and a score, and nothing is learned or downloaded.

How an utterance is read:

1. **Normalise** (:mod:`skill.local.utterance`): words and their matching keys. A word
   the model does not know but that nearly spells one it does (a typo: "russain") is
   read as that word, at a cost.
2. **Find slot values.** Every run of words whose joined keys equal a slot value or
   synonym of a slot type (so "pushups", "push ups" and "push-ups" all meet) is a
   candidate span, resolving to that value's id (``ER_SUCCESS_MATCH``).
3. **Align with the samples.** Each sample is aligned word by word with the utterance
   (a weighted edit distance: missing or extra words cost their weight, function words
   such as "the", "to", "what" cost less than content words; a ``{slot}`` consumes one of
   the spans found in step 2). The score is ``1 - cost / (sample weight + utterance
   weight)``: 1.0 for an exact match, falling towards 0 as words differ.
4. **Unknown slot values.** Like Alexa, a carrier phrase with a real verb or noun in it
   ("start {exercise}", "explain {topic}") takes whatever words fill the slot's place,
   resolved as ``ER_SUCCESS_NO_MATCH`` ("start underwater basket weaving"), but only when
   the rest of the utterance is exactly that carrier and the unknown words are not the
   skill's own command words; bare question words ("what's {topic}") never do, so
   "what's the weather" is not mistaken for a question about a topic.
5. **Fallback.** Below :data:`ACCEPT_SCORE` the answer is ``AMAZON.FallbackIntent``.

When the previous response elicited a slot (``Dialog.ElicitSlot``), a bare answer fills
that slot of that intent, unless it is plainly another request ("stop", "help").
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from skill.alexa.requests import ER_SUCCESS_MATCH, ER_SUCCESS_NO_MATCH
from skill.local.builtin_phrases import BUILTIN_PHRASES
from skill.local.utterance import FUNCTION_WORDS, key_of, raw_words, strip_phrases, words_of
from skill.settings import INTERACTION_MODELS_DIR

FALLBACK_INTENT = "AMAZON.FallbackIntent"

# Below this score an utterance is out of domain: AMAZON.FallbackIntent.
ACCEPT_SCORE = 0.55
# Score of a reading whose slot holds words that match no slot value: exact carrier phrase,
# unknown value. Any reasonable reading with a known value beats it.
NO_MATCH_SCORE = 0.75
# While a slot is being elicited, another intent wins only with a near-exact match.
ELICIT_ESCAPE_SCORE = 0.9
# Weights of words in the alignment: content words count fully, function words less.
CONTENT_WEIGHT = 1.0
FUNCTION_WEIGHT = 0.4
# Cost of a sample's slot that the utterance leaves empty ("start" for "start {exercise}").
EMPTY_SLOT_WEIGHT = 1.0
# Longest slot value, in words, looked for in an utterance.
MAX_SPAN_WORDS = 6
# How alike an unknown word must be to a known one to be read as a typo of it (difflib ratio).
TYPO_CUTOFF = 0.84
# Cost of reading a word as a typo of a known one, on top of how different they are.
TYPO_BASE_COST = 0.15
# Unknown words remembered per model, so a long session stays fast without growing forever.
TYPO_CACHE_SIZE = 10_000


# Alexa's phrases that open a skill by name: "open step coach", "talk to step coach".
_LAUNCH_VERBS: tuple[tuple[str, ...], ...] = (
    ("open",), ("launch",), ("start",), ("begin",), ("load",), ("run",), ("play",),
    ("resume",), ("use",), ("talk", "to"), ("ask",), ("tell",), ("do",), ("start", "playing"),
)  # fmt: skip
# ... and that open it with a request: "ask step coach to ...", "tell step coach that ...".
_ONE_SHOT_VERBS: tuple[tuple[str, ...], ...] = (
    ("ask",), ("tell",), ("use",), ("open",), ("launch",), ("start",), ("begin",),
    ("load",), ("run",),
)  # fmt: skip
# Words between the name and the request, or between a request and the name
# ("start planks with step coach").
_ONE_SHOT_CONNECTORS = frozenset({"to", "about", "for", "if", "whether", "that", "and"})
_TRAILING_CONNECTORS = frozenset({"using", "with", "from", "by", "in", "on"})

_SLOT_IN_SAMPLE = re.compile(r"\{(\w+)\}")


class UnknownLocale(ValueError):
    """No interaction model for the locale; the message lists the ones there are."""


# --- data -------------------------------------------------------------------------------


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


@dataclass(frozen=True)
class Invocation:
    """How an utterance addresses the skill by name: a launch, or a one-shot request."""

    kind: str  # "launch" or "intent"
    utterance: str | None = None  # the request part of a one-shot


@dataclass(frozen=True)
class _SlotRef:
    name: str
    slot_type: str


@dataclass(frozen=True)
class _Sample:
    intent: str
    text: str
    items: tuple[str | _SlotRef, ...]  # word keys and slots, in order
    literal_weight: float
    anchored: bool  # has a content word, so it may take an unknown slot value
    slots: tuple[_SlotRef, ...]
    literal_keys: frozenset[str]


@dataclass(frozen=True)
class _Carrier:
    """A one-slot sample that may take an unknown value: the words around its slot."""

    sample: _Sample
    slot: _SlotRef
    suffix: tuple


@dataclass(frozen=True)
class _Span:
    start: int
    end: int
    cost: float
    weight: float
    value: SlotValue


@dataclass(frozen=True)
class _Tokens:
    words: tuple[str, ...]  # as heard, lower case, apostrophes kept
    keys: tuple[str, ...]  # matching keys (typos corrected)
    weights: tuple[float, ...]
    fix_costs: tuple[float, ...]  # cost of a typo correction, 0 for known words


def _weight(key: str) -> float:
    return FUNCTION_WEIGHT if key in FUNCTION_WORDS else CONTENT_WEIGHT


def _joined(keys: Iterable[str]) -> str:
    return "".join(keys)


# --- the model ----------------------------------------------------------------------------


def _load_model(locale: str) -> dict[str, Any]:
    path = INTERACTION_MODELS_DIR / f"{locale}.json"
    with path.open(encoding="utf-8") as handle:
        return json.load(handle)["interactionModel"]


def available_locales() -> tuple[str, ...]:
    """Locales with an interaction model on disk, e.g. ("en-AU", "en-CA", ...)."""
    return tuple(sorted(path.stem for path in Path(INTERACTION_MODELS_DIR).glob("*.json")))


class LocalNLU:
    """Understands typed utterances with one locale's interaction model.

    Build with :meth:`for_locale` (models are read once per process); then
    :meth:`understand` is a pure function of the utterance and the dialog state.
    """

    _instances: ClassVar[dict[str, LocalNLU]] = {}  # one per locale, per process

    def __init__(self, interaction_model: Mapping[str, Any], locale: str = "en-US") -> None:
        self.locale = locale
        language = interaction_model["languageModel"]
        self.invocation_name: str = language["invocationName"]
        self.intent_slots: dict[str, dict[str, str]] = {
            intent["name"]: {slot["name"]: slot["type"] for slot in intent.get("slots", [])}
            for intent in language["intents"]
        }
        dialog = interaction_model.get("dialog", {})
        self.dialog_intents = frozenset(intent["name"] for intent in dialog.get("intents", []))
        self._values = self._index_values(language.get("types", []))
        self._phrases = {
            slot_type["name"]: [
                phrase
                for value in slot_type.get("values", [])
                for phrase in (value["name"]["value"], *value["name"].get("synonyms", []))
            ]
            for slot_type in language.get("types", [])
        }
        self._samples = self._build_samples(language["intents"])
        self._vocabulary = self._build_vocabulary()
        self._known = frozenset(self._vocabulary)
        self._typos: dict[str, tuple[str, float]] = {}
        self._command_words = frozenset(
            item
            for sample in self._samples
            for item in sample.items
            if isinstance(item, str) and item not in FUNCTION_WORDS
        )
        self._index_samples()
        self._invocation_keys = tuple(key_of(w) for w in raw_words(self.invocation_name))

    def _index_samples(self) -> None:
        """Lookups that keep :meth:`understand` fast: exact phrases, words, slot types."""
        self._exact: dict[tuple, _Sample] = {}
        self._by_key: dict[str, list[int]] = {}
        self._slotted_by_type: dict[str, list[int]] = {}
        self._carriers: dict[tuple, list[_Carrier]] = {}
        for index, sample in enumerate(self._samples):
            if not sample.slots:
                self._exact.setdefault(sample.items, sample)
            for key in sample.literal_keys:
                self._by_key.setdefault(key, []).append(index)
            for slot in sample.slots:
                self._slotted_by_type.setdefault(slot.slot_type, []).append(index)
            if len(sample.slots) == 1 and sample.anchored:
                at = sample.items.index(sample.slots[0])
                carrier = _Carrier(sample, sample.slots[0], sample.items[at + 1 :])
                self._carriers.setdefault(sample.items[:at], []).append(carrier)

    @classmethod
    def for_locale(cls, locale: str = "en-US") -> LocalNLU:
        """The NLU for a locale's model ("en-GB"; "en_gb" is fine), loaded once per process."""
        if locale not in cls._instances:
            wanted = locale.strip().replace("_", "-").lower()
            known = next((k for k in available_locales() if k.lower() == wanted), None)
            if known is None:
                raise UnknownLocale(
                    f"unknown locale {locale!r}; interaction models exist for "
                    + ", ".join(available_locales())
                )
            cls._instances[locale] = cls._instances.get(known) or cls(_load_model(known), known)
        return cls._instances[locale]

    # --- building -------------------------------------------------------------------------

    @staticmethod
    def _index_values(types: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, tuple]]:
        """slot type -> joined key of a value or synonym -> (id, canonical name)."""
        index: dict[str, dict[str, tuple]] = {}
        for slot_type in types:
            values: dict[str, tuple] = {}
            for value in slot_type.get("values", []):
                name = value["name"]["value"]
                entry = (value.get("id") or name, name)
                for phrase in (name, *value["name"].get("synonyms", [])):
                    values.setdefault(_joined(key_of(w) for w in raw_words(phrase)), entry)
            index[slot_type["name"]] = values
        return index

    def _build_samples(self, intents: Sequence[Mapping[str, Any]]) -> list[_Sample]:
        samples: list[_Sample] = []
        seen: set[tuple] = set()
        for intent in intents:
            slot_types = self.intent_slots[intent["name"]]
            for text in intent.get("samples", []):
                sample = self._compile(intent["name"], text, slot_types)
                if sample is not None and sample.items not in seen:
                    seen.add(sample.items)
                    samples.append(sample)
        for intent_name, phrases in BUILTIN_PHRASES.items():
            if intent_name not in self.intent_slots:
                continue
            for text in phrases:
                sample = self._compile(intent_name, text, {})
                if sample is not None and sample.items not in seen:
                    seen.add(sample.items)
                    samples.append(sample)
        return samples

    @staticmethod
    def _compile(intent: str, text: str, slot_types: Mapping[str, str]) -> _Sample | None:
        """A sample as word keys and slots, with the same filler stripping as utterances."""
        parts = _SLOT_IN_SAMPLE.split(text)  # text, slot name, text, slot name, ...
        slots = {f"zzslot{i}zz": parts[i] for i in range(1, len(parts), 2)}
        spelled = "".join(f" zzslot{i}zz " if i % 2 else part for i, part in enumerate(parts))
        items: list[str | _SlotRef] = []
        for word in strip_phrases(raw_words(spelled)):
            name = slots.get(word)
            if name is None:
                items.append(key_of(word))
            elif name in slot_types:
                items.append(_SlotRef(name, slot_types[name]))
            else:
                raise ValueError(f"sample {text!r} of {intent} names an undeclared slot")
        if not items:
            return None
        literal = [item for item in items if isinstance(item, str)]
        return _Sample(
            intent=intent,
            text=text,
            items=tuple(items),
            literal_weight=sum(_weight(k) for k in literal),
            anchored=any(k not in FUNCTION_WORDS for k in literal),
            slots=tuple(item for item in items if isinstance(item, _SlotRef)),
            literal_keys=frozenset(literal),
        )

    def _build_vocabulary(self) -> tuple[str, ...]:
        """Every word key the model knows (samples, values, synonyms), for typo reading."""
        words = {item for s in self._samples for item in s.items if isinstance(item, str)}
        for slot_type in self._phrases.values():
            for phrase in slot_type:
                words.update(key_of(w) for w in raw_words(phrase))
        return tuple(sorted(words))

    # --- reading an utterance -------------------------------------------------------------

    def _tokens(self, words: Sequence[str]) -> _Tokens:
        keys, fixes = [], []
        for word in words:
            key, fix = self._correct(key_of(word))
            keys.append(key)
            fixes.append(fix)
        return _Tokens(
            words=tuple(words),
            keys=tuple(keys),
            weights=tuple(_weight(k) for k in keys),
            fix_costs=tuple(fixes),
        )

    def _correct(self, key: str) -> tuple[str, float]:
        """A known key for a likely typo ("russain" -> "russian"), with its cost."""
        known = self._typos.get(key)
        if known is None:
            known = (key, 0.0)
            if key not in self._known and len(key) >= 5 and key.isalpha():
                close = difflib.get_close_matches(key, self._vocabulary, n=1, cutoff=TYPO_CUTOFF)
                if close:
                    ratio = difflib.SequenceMatcher(None, key, close[0]).ratio()
                    known = (close[0], TYPO_BASE_COST + (1.0 - ratio))
            if len(self._typos) < TYPO_CACHE_SIZE:
                self._typos[key] = known
        return known

    def _spans(self, tokens: _Tokens) -> dict[str, list[list[_Span]]]:
        """slot type -> for each end position, the value spans ending there."""
        n = len(tokens.keys)
        found: dict[str, list[list[_Span]]] = {}
        for slot_type, values in self._values.items():
            by_end: list[list[_Span]] = [[] for _ in range(n + 1)]
            any_found = False
            for start in range(n):
                for end in range(start + 1, min(n, start + MAX_SPAN_WORDS) + 1):
                    entry = values.get(_joined(tokens.keys[start:end]))
                    if entry is None:
                        continue
                    any_found = True
                    words = tokens.words[start:end]
                    by_end[end].append(
                        _Span(
                            start,
                            end,
                            cost=sum(tokens.fix_costs[start:end]),
                            weight=sum(tokens.weights[start:end]),
                            value=SlotValue(
                                name="", value=" ".join(words), slot_type=slot_type,
                                id=entry[0], resolved=entry[1],
                            ),
                        )
                    )  # fmt: skip
            if any_found:
                found[slot_type] = by_end
        return found

    def understand(self, utterance: str, *, elicit: tuple[str, str] | None = None) -> Understanding:
        """The intent and slots Alexa would most likely send for this utterance.

        ``elicit`` is ``(intent, slot)`` when the previous response carried a
        ``Dialog.ElicitSlot`` directive for that slot.
        """
        tokens = self._tokens(words_of(utterance))
        if not tokens.keys:
            return Understanding(FALLBACK_INTENT, score=0.0)
        best = self._best_reading(tokens)
        if elicit is not None:
            answer = self._with_elicitation(tokens, best, elicit)
            if answer is not None:
                return answer
        if best.score < ACCEPT_SCORE:
            return Understanding(FALLBACK_INTENT, score=best.score, sample=None)
        return best

    def _best_reading(self, tokens: _Tokens) -> Understanding:
        exact = self._exact.get(tokens.keys)
        if exact is not None and not any(tokens.fix_costs):
            return Understanding(exact.intent, {}, 1.0, exact.text)
        spans = self._spans(tokens)
        candidates: set[int] = set()
        for key in set(tokens.keys):
            candidates.update(self._by_key.get(key, ()))
        for slot_type in spans:
            candidates.update(self._slotted_by_type.get(slot_type, ()))
        utterance_weight = sum(tokens.weights)
        coverage = self._coverage(spans)
        bounded = sorted(
            ((self._score_bound(self._samples[i], tokens, coverage, utterance_weight), i)
             for i in candidates),
            key=lambda pair: (-pair[0], pair[1]),
        )  # fmt: skip
        best: tuple[tuple, Understanding] | None = None
        for bound, index in bounded:
            if best is not None and bound < best[0][0] - 1e-9:
                break  # sorted by bound: no later sample can do better
            sample = self._samples[index]
            cost, sample_weight, fills = _align(sample.items, tokens, spans)
            total = sample_weight + utterance_weight
            score = max(0.0, 1.0 - cost / total) if total else 0.0
            rank = (round(score, 6), -len(sample.slots), -index)
            if best is None or rank > best[0]:
                slots = {name: _named(value, name) for name, value in fills}
                best = (rank, Understanding(sample.intent, slots, score, sample.text))
        unknown = self._unknown_value_reading(tokens)
        if unknown is not None and (best is None or unknown.score > best[1].score):
            return unknown
        return best[1] if best is not None else Understanding(FALLBACK_INTENT, score=0.0)

    @staticmethod
    def _coverage(spans: Mapping[str, list[list[_Span]]]) -> dict[str, tuple[frozenset, float]]:
        """slot type -> (word positions some span covers, weight of the widest span)."""
        coverage = {}
        for slot_type, by_end in spans.items():
            positions: set[int] = set()
            widest = EMPTY_SLOT_WEIGHT
            for ending in by_end:
                for span in ending:
                    positions.update(range(span.start, span.end))
                    widest = max(widest, span.weight)
            coverage[slot_type] = (frozenset(positions), widest)
        return coverage

    @staticmethod
    def _score_bound(
        sample: _Sample,
        tokens: _Tokens,
        coverage: Mapping[str, tuple[frozenset, float]],
        utterance_weight: float,
    ) -> float:
        """An upper bound of the sample's score, cheap enough to skip hopeless samples.

        Words of the utterance that neither appear in the sample nor sit in a slot span it
        could use must be extra; sample words absent from the utterance must be missing.
        """
        coverable: frozenset[int] = frozenset()
        cost = slot_weight = 0.0
        for slot in sample.slots:
            covered = coverage.get(slot.slot_type)
            if covered is None:
                cost += EMPTY_SLOT_WEIGHT
                slot_weight += EMPTY_SLOT_WEIGHT
            else:
                coverable = coverable | covered[0]
                slot_weight += covered[1]
        literal = sample.literal_keys
        for key in literal.difference(tokens.keys):
            cost += _weight(key)
        for j, key in enumerate(tokens.keys):
            if key not in literal and j not in coverable:
                cost += tokens.weights[j]
        total = sample.literal_weight + slot_weight + utterance_weight
        return 1.0 - cost / total if total else 0.0

    def _unknown_value_reading(self, tokens: _Tokens) -> Understanding | None:
        """Words in a slot's place that match no value: Alexa's ``ER_SUCCESS_NO_MATCH``.

        Only for an exact carrier phrase with a content word in it, and only when the
        unknown words are not the skill's own command words; the longest carrier wins.
        """
        keys, n = tokens.keys, len(tokens.keys)
        best: tuple[int, _Carrier, int, int] | None = None
        for start in range(n):
            for carrier in self._carriers.get(keys[:start], ()):
                end = n - len(carrier.suffix)
                if end <= start or keys[end:] != carrier.suffix:
                    continue
                if any(k in self._command_words for k in keys[start:end]):
                    continue
                size = start + len(carrier.suffix)
                if best is None or size > best[0]:
                    best = (size, carrier, start, end)
        if best is None:
            return None
        _, carrier, start, end = best
        slot = carrier.slot
        value = SlotValue(slot.name, " ".join(tokens.words[start:end]), slot.slot_type)
        return Understanding(
            carrier.sample.intent, {slot.name: value}, NO_MATCH_SCORE, carrier.sample.text
        )

    def _with_elicitation(
        self, tokens: _Tokens, best: Understanding, elicit: tuple[str, str]
    ) -> Understanding | None:
        """Read an answer to ``Dialog.ElicitSlot`` as the elicited slot, as Alexa does.

        A value of the slot's type fills it ("russian push ups", even though that alone
        would start a workout; "um, the glute bridges I think"), unless the answer is a
        near-exact other request ("stop", "help"); anything else fills the slot
        unresolved. None when the elicited slot is not in the model.
        """
        intent, slot_name = elicit
        slot_type = self.intent_slots.get(intent, {}).get(slot_name)
        if slot_type is None:
            return None
        if best.intent == intent and slot_name in best.slots:
            return best
        cost, sample_weight, fills = _align(
            (_SlotRef(slot_name, slot_type),), tokens, self._spans(tokens)
        )
        score = max(0.0, 1.0 - cost / (sample_weight + sum(tokens.weights)))
        answer = Understanding(
            intent, {name: _named(value, name) for name, value in fills}, score, f"{{{slot_name}}}"
        )
        if fills and score >= best.score:
            return answer
        if best.intent != FALLBACK_INTENT and best.score >= ELICIT_ESCAPE_SCORE:
            return best
        if fills:
            return answer
        value = SlotValue(slot_name, " ".join(tokens.words), slot_type)
        return Understanding(intent, {slot_name: value}, NO_MATCH_SCORE, f"{{{slot_name}}}")

    # --- invocation ---------------------------------------------------------------------

    def parse_invocation(self, utterance: str) -> Invocation | None:
        """Read "open step coach" (a launch) or "ask step coach to start planks" (a one-shot).

        None when the utterance does not name the skill. Follows Alexa's documented
        phrases: "<verb> <name>", "ask|tell|use|open... <name> [to|about|for|that|and]
        <request>" and "<request> from|with|using... <name>".
        """
        words = strip_phrases(raw_words(utterance))
        keys = [key_of(w) for w in words]
        name = self._invocation_keys
        where = next(
            (i for i in range(len(keys) - len(name) + 1) if tuple(keys[i : i + len(name)]) == name),
            None,
        )
        if where is None:
            return None
        before, after = keys[:where], words[where + len(name) :]
        if before and before[-1] == "the":
            before = before[:-1]
        if not after:
            if not before or tuple(before) in _LAUNCH_VERBS:
                return Invocation("launch")
            if before[-1] in _TRAILING_CONNECTORS and len(before) > 1:
                return Invocation("intent", " ".join(words[: len(before) - 1]))
            return None
        if tuple(before) not in _ONE_SHOT_VERBS:
            return None
        if after[0] in _ONE_SHOT_CONNECTORS and len(after) > 1:
            after = after[1:]
        return Invocation("intent", " ".join(after))


def _named(value: SlotValue, name: str) -> SlotValue:
    return SlotValue(name, value.value, value.slot_type, value.id, value.resolved)


def _better(a: tuple, b: tuple | None) -> bool:
    """Lower cost wins; at equal cost, the reading that explains more words."""
    return b is None or a[0] < b[0] - 1e-9 or (abs(a[0] - b[0]) <= 1e-9 and a[1] > b[1])


def _align(
    items: Sequence[str | _SlotRef], tokens: _Tokens, spans: Mapping[str, list[list[_Span]]]
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
    for item in items:
        new: list[tuple] = [()] * (n + 1)
        if isinstance(item, str):
            item_weight = _weight(item)
            for j in range(n + 1):
                cost, weight, fills = row[j]
                best = (cost + item_weight, weight + item_weight, fills)  # word missing
                if j:
                    cost, weight, fills = row[j - 1]
                    if keys[j - 1] == item:
                        candidate = (cost + fixes[j - 1], weight + item_weight, fills)
                        if _better(candidate, best):
                            best = candidate
                    cost, weight, fills = new[j - 1]
                    candidate = (cost + weights[j - 1], weight, fills)  # extra word
                    if _better(candidate, best):
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
                    if _better(candidate, best):
                        best = candidate
                    for span in by_end[j] if by_end else ():
                        cost, weight, fills = row[span.start]
                        candidate = (
                            cost + span.cost,
                            weight + span.weight,
                            (*fills, (item.name, span.value)),
                        )
                        if _better(candidate, best):
                            best = candidate
                new[j] = best
        row = new
    return row[n]
