"""Local language understanding: typed words to an Alexa intent and slots, without Alexa.

The local runner needs what Alexa's NLU would hand the skill for an utterance. This module
builds that from the same ``interaction_models/<locale>.json`` the Alexa console gets, plus
common phrasings of the AMAZON built-in intents (which Alexa trains itself, beyond a
model's samples). It is deterministic and explainable: every answer names the sample it
matched and a score, and nothing is learned or downloaded.

How an utterance is read:

1. **Normalise** (:mod:`skill.local.understanding.utterance`): words and their matching
   keys, by the language's rules and stemmer; a compound the model's words spell is read
   as those words (:mod:`skill.local.understanding.compounds`). A word the model does not
   know but that nearly spells one it does (a typo: "russain") is read as that word, at a
   cost.
2. **Find slot values.** Every run of words whose joined keys equal a slot value or
   synonym of a slot type (so "pushups", "push ups" and "push-ups" all meet), or vary one
   as people do (:mod:`skill.local.understanding.values`), is a candidate span,
   resolving to that value's id (``ER_SUCCESS_MATCH``).
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
5. **Two clauses and frames** (:mod:`skill.local.understanding.clauses`). A weak reading
   is tried as two clauses, one near-exact and the other saying the same or an aside
   ("hang on, I need some water"). A question word first ("how", "waarom", "wofür") makes
   a question win over starting the exercise it names ("how do I do a plank properly"); a
   negator before a yes ("not sure", "niet zeker") is no yes.
6. **Fallback.** Below :data:`ACCEPT_SCORE` the answer is ``AMAZON.FallbackIntent``.

When the previous response elicited a slot (``Dialog.ElicitSlot``), a bare answer fills
that slot of that intent, unless it is plainly another request ("stop", "help"). When it
asked a yes/no question, an utterance that opens with a yes or no word ("no, carry on but
gently") is that answer, unless its other words are plainly another request.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from skill.coach.language import builtin_phrases as language_phrases
from skill.coach.language import language_of
from skill.local.understanding.alignment import (
    EMPTY_SLOT_WEIGHT,
    Carrier,
    Sample,
    SlotRef,
    Span,
    Tokens,
    align,
)
from skill.local.understanding.clauses import ACCEPT_SCORE, ClauseReading
from skill.local.understanding.invocation import Invocation, parse_invocation
from skill.local.understanding.meaning import FALLBACK_INTENT, SlotValue, Understanding
from skill.local.understanding.model_index import ModelIndex, available_locales, load_model
from skill.local.understanding.utterance import Wording, wording_for

# Score of a reading whose slot holds words that match no slot value: exact carrier phrase,
# unknown value. Any reasonable reading with a known value beats it.
NO_MATCH_SCORE = 0.75
# While a slot is being elicited, another intent wins only with a near-exact match.
ELICIT_ESCAPE_SCORE = 0.9
# Longest slot value, in words (a compound's parts counted apart), looked for in an utterance.
MAX_SPAN_WORDS = 9
# How alike an unknown word must be to a known one to be read as a typo of it (difflib ratio).
TYPO_CUTOFF = 0.84
# Cost of reading a word as a typo of a known one, on top of how different they are.
TYPO_BASE_COST = 0.15
# Unknown words remembered per model, so a long session stays fast without growing forever.
TYPO_CACHE_SIZE = 10_000


class UnknownLocale(ValueError):
    """No interaction model for the locale; the message lists the ones there are."""


class LocalNLU(ClauseReading):
    """Understands typed utterances with one locale's interaction model.

    Build with :meth:`for_locale` (models are read once per process); then
    :meth:`understand` is a pure function of the utterance and the dialog state.
    """

    _instances: ClassVar[dict[str, LocalNLU]] = {}  # one per locale, per process

    def __init__(
        self,
        interaction_model: Mapping[str, Any],
        locale: str = "en-US",
        *,
        wording: Wording | None = None,
        builtin_phrases: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        """``wording`` and ``builtin_phrases`` default to those of the locale's language."""
        self.locale = locale
        self.wording = wording or wording_for(locale)
        if builtin_phrases is None:
            builtin_phrases = language_phrases(language_of(locale))
        self.index = ModelIndex(interaction_model, self.wording, builtin_phrases)
        self.invocation_name = self.index.invocation_name
        self.intent_slots = self.index.intent_slots
        self.dialog_intents = self.index.dialog_intents
        self._typos: dict[str, tuple[str, float]] = {}

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
            cls._instances[locale] = cls._instances.get(known) or cls(load_model(known), known)
        return cls._instances[locale]

    # --- reading an utterance -------------------------------------------------------------

    def _tokens(self, words: Sequence[str]) -> Tokens:
        keys, fixes = [], []
        for word in words:
            key, fix = self._correct(self.wording.key_of(word))
            keys.append(key)
            fixes.append(fix)
        return Tokens(
            words=tuple(words),
            keys=tuple(keys),
            weights=tuple(self.wording.weight(k) for k in keys),
            fix_costs=tuple(fixes),
        )

    def _correct(self, key: str) -> tuple[str, float]:
        """A known key for a likely typo ("russain" -> "russian"), with its cost."""
        known = self._typos.get(key)
        if known is None:
            known = (key, 0.0)
            if key not in self.index.known and len(key) >= 5 and key.isalpha():
                close = difflib.get_close_matches(
                    key, self.index.vocabulary, n=1, cutoff=TYPO_CUTOFF
                )
                if close:
                    ratio = difflib.SequenceMatcher(None, key, close[0]).ratio()
                    known = (close[0], TYPO_BASE_COST + (1.0 - ratio))
            if len(self._typos) < TYPO_CACHE_SIZE:
                self._typos[key] = known
        return known

    def _spans(self, tokens: Tokens) -> dict[str, list[list[Span]]]:
        """slot type -> for each end position, the value spans ending there.

        A run of words that names a value (:mod:`skill.local.understanding.values`) is a
        span, at the cost of its typos and of how it differs from the value's phrasings;
        two spans of one value joined by a function word ("isolation and compound
        exercises") are one span too.
        """
        n = len(tokens.keys)
        found: dict[str, list[list[Span]]] = {}
        for slot_type, values in self.index.values.items():
            by_end: list[list[Span]] = [[] for _ in range(n + 1)]
            any_found = False
            for start in range(n):
                for end in range(start + 1, min(n, start + MAX_SPAN_WORDS) + 1):
                    entry, cost = values.find(tokens.keys[start:end], tokens.weights[start:end])
                    if entry is None:
                        continue
                    any_found = True
                    cost += sum(tokens.fix_costs[start:end])
                    by_end[end].append(_span(tokens, start, end, cost, slot_type, entry))
            if any_found:
                self._join_same_values(tokens, by_end)
                found[slot_type] = by_end
        return found

    def _join_same_values(self, tokens: Tokens, by_end: list[list[Span]]) -> None:
        """Add a span for two of one value with a function word between them."""
        for end in range(len(by_end)):
            for second in list(by_end[end]):
                link = second.start - 1
                if link < 1 or tokens.keys[link] not in self.wording.function_keys:
                    continue
                for first in by_end[link]:
                    if first.value.id == second.value.id:
                        entry = (first.value.id, first.value.resolved)
                        cost = first.cost + second.cost
                        by_end[end].append(
                            _span(tokens, first.start, end, cost, first.value.slot_type, entry)
                        )

    def understand(
        self,
        utterance: str,
        *,
        elicit: tuple[str, str] | None = None,
        question: bool = False,
    ) -> Understanding:
        """The intent and slots Alexa would most likely send for this utterance.

        ``elicit`` is ``(intent, slot)`` when the previous response carried a
        ``Dialog.ElicitSlot`` directive for that slot; ``question`` is whether it asked a
        yes/no question.
        """
        tokens = self._tokens(self.words_of(utterance))
        if not tokens.keys:
            return Understanding(FALLBACK_INTENT, score=0.0)
        best = self._reading(tokens)
        if question and elicit is None:
            best = self._answer(tokens, best)
        if elicit is not None:
            answer = self._with_elicitation(tokens, best, elicit)
            if answer is not None:
                return answer
        if best.score < ACCEPT_SCORE:
            return Understanding(FALLBACK_INTENT, score=best.score, sample=None)
        return best

    def _best_reading(self, tokens: Tokens, exclude: frozenset[str] = frozenset()) -> Understanding:
        exact = self.index.exact.get(tokens.keys)
        if exact is not None and not any(tokens.fix_costs) and exact.intent not in exclude:
            return Understanding(exact.intent, {}, 1.0, exact.text)
        spans = self._spans(tokens)
        candidates: set[int] = set()
        for key in set(tokens.keys):
            candidates.update(self.index.by_key.get(key, ()))
        for slot_type in spans:
            candidates.update(self.index.slotted_by_type.get(slot_type, ()))
        utterance_weight = sum(tokens.weights)
        coverage = self._coverage(spans)
        bounded = sorted(
            ((self._score_bound(self.index.samples[i], tokens, coverage, utterance_weight), i)
             for i in candidates),
            key=lambda pair: (-pair[0], pair[1]),
        )  # fmt: skip
        best: tuple[tuple, Understanding] | None = None
        for bound, index in bounded:
            if best is not None and bound < best[0][0] - 1e-9:
                break  # sorted by bound: no later sample can do better
            sample = self.index.samples[index]
            if sample.intent in exclude:
                continue
            cost, sample_weight, fills = align(sample.items, sample.weights, tokens, spans)
            total = sample_weight + utterance_weight
            score = max(0.0, 1.0 - cost / total) if total else 0.0
            rank = (round(score, 6), -len(sample.slots), -index)
            if best is None or rank > best[0]:
                slots = {name: _named(value, name) for name, value in fills}
                best = (rank, Understanding(sample.intent, slots, score, sample.text))
        unknown = self._unknown_value_reading(tokens)
        if unknown is not None and unknown.intent in exclude:
            unknown = None
        if unknown is not None and (best is None or unknown.score > best[1].score):
            return unknown
        return best[1] if best is not None else Understanding(FALLBACK_INTENT, score=0.0)

    @staticmethod
    def _coverage(spans: Mapping[str, list[list[Span]]]) -> dict[str, tuple[frozenset, float]]:
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

    def _score_bound(
        self,
        sample: Sample,
        tokens: Tokens,
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
            cost += self.wording.weight(key)
        for j, key in enumerate(tokens.keys):
            if key not in literal and j not in coverable:
                cost += tokens.weights[j]
        total = sample.literal_weight + slot_weight + utterance_weight
        return 1.0 - cost / total if total else 0.0

    def _unknown_value_reading(self, tokens: Tokens) -> Understanding | None:
        """Words in a slot's place that match no value: Alexa's ``ER_SUCCESS_NO_MATCH``.

        Only for an exact carrier phrase with a content word in it, and only when the
        unknown words are not the skill's own command words; the longest carrier wins.
        """
        keys, n = tokens.keys, len(tokens.keys)
        best: tuple[int, Carrier, int, int] | None = None
        for start in range(n):
            for carrier in self.index.carriers.get(keys[:start], ()):
                end = n - len(carrier.suffix)
                if end <= start or keys[end:] != carrier.suffix:
                    continue
                if any(k in self.index.command_words for k in keys[start:end]):
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
        self, tokens: Tokens, best: Understanding, elicit: tuple[str, str]
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
        cost, sample_weight, fills = align(
            (SlotRef(slot_name, slot_type),), (0.0,), tokens, self._spans(tokens)
        )
        score = max(0.0, 1.0 - cost / (sample_weight + sum(tokens.weights)))
        answer = Understanding(
            intent, {name: _named(value, name) for name, value in fills}, score, f"{{{slot_name}}}"
        )
        if fills and score >= best.score:
            return answer
        # Another request that only carries the same value ("naar de {exercise}" for "de
        # glute bridge") is the answer, not an escape from the question.
        named = {slot.id for slot in answer.slots.values() if slot.id}
        if named and named == {slot.id for slot in best.slots.values() if slot.id}:
            return answer
        if best.intent != FALLBACK_INTENT and best.score >= ELICIT_ESCAPE_SCORE:
            return best
        if fills:
            return answer
        value = SlotValue(slot_name, " ".join(tokens.words), slot_type)
        return Understanding(intent, {slot_name: value}, NO_MATCH_SCORE, f"{{{slot_name}}}")

    # --- invocation ---------------------------------------------------------------------

    def parse_invocation(self, utterance: str) -> Invocation | None:
        """Read "open step coach" (a launch) or "ask step coach to start planks" (a one-shot),
        or None when the utterance does not name the skill."""
        words = self.index.utterance_words(utterance)
        return parse_invocation(words, self.index.invocation_keys, self.wording)

    def words_of(self, utterance: str) -> list[str]:
        """The words of an utterance that matter, as the NLU reads them (compounds as
        their parts)."""
        return self.index.utterance_words(utterance)


def _span(tokens: Tokens, start: int, end: int, cost: float, slot_type: str, entry: tuple) -> Span:
    value = SlotValue(
        name="", value=" ".join(tokens.words[start:end]), slot_type=slot_type,
        id=entry[0], resolved=entry[1],
    )  # fmt: skip
    return Span(start, end, cost=cost, weight=sum(tokens.weights[start:end]), value=value)


def _named(value: SlotValue, name: str) -> SlotValue:
    return SlotValue(name, value.value, value.slot_type, value.id, value.resolved)
