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
5. **Two clauses.** A weak reading is tried as two clauses, one near-exact and the other
   saying the same or an aside ("hang on, I need some water").
6. **Frames.** A question word first ("how", "waarom", "wofür") makes a question win over
   starting the exercise it names ("how do I do a plank properly"); a negator before a yes
   ("not sure", "niet zeker") is no yes: a no when the words read as one, else nothing.
7. **Fallback.** Below :data:`ACCEPT_SCORE` the answer is ``AMAZON.FallbackIntent``.

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
from skill.local.understanding.invocation import Invocation, parse_invocation
from skill.local.understanding.meaning import FALLBACK_INTENT, SlotValue, Understanding
from skill.local.understanding.model_index import ModelIndex, available_locales, load_model
from skill.local.understanding.utterance import Wording, wording_for

# Below this score an utterance is out of domain: AMAZON.FallbackIntent.
ACCEPT_SCORE = 0.55
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
# An utterance read below this score is tried as two clauses, one read at least this well;
# the other says the same (the pair scored as their mean, discounted) or is an aside that
# reads as nothing (the pair scored as the near-exact clause, discounted more).
CLAUSE_SCORE = 0.8
CLAUSE_READING_SCORE = 0.9
CLAUSE_DISCOUNT = 0.9
ASIDE_DISCOUNT = 0.7
# A context clause (a reason, a complaint: "I keep getting runner's knee") beside a
# near-exact request: the pair scored as the request, discounted like an aside, when the
# context reads this much less surely than the request.
CONTEXT_MARGIN = 0.15
# The intents a request clause never sets aside: pain is always answered.
NEVER_ASIDE = frozenset({"PainIntent"})
# Two clauses that are one request together: "skip this, I want to go straight to glute
# bridges" is a skip to glute bridges (the first intent, with the second's slots).
JOINED_CLAUSES = {
    ("SkipIntent", "StartWorkoutIntent"): "SkipIntent",
    ("AMAZON.NextIntent", "StartWorkoutIntent"): "SkipIntent",
    ("AMAZON.NextIntent", "SkipIntent"): "SkipIntent",
    # "I keep getting runner's knee, I want something for my knees": pain, which is always
    # answered (with the safety advice; pain in the knees gets the knee routine offered).
    # "my back hurts, let's do planks" too.
    ("PainIntent", "ProtectKneesIntent"): "PainIntent",
    ("PainIntent", "StartWorkoutIntent"): "PainIntent",
}
# Least score of the clause of a joined pair's first intent (the other needs ACCEPT_SCORE).
JOINED_READING_SCORE = 0.65
# Starting an exercise, which a question frame ("how do I do {exercise} properly") is not.
START_INTENT = "StartWorkoutIntent"
YES_INTENT = "AMAZON.YesIntent"
NO_INTENT = "AMAZON.NoIntent"
# A question about the exercise a loose start names ("how do you do a clamshell the right
# way") is taken down to this score.
QUESTION_FRAME_SCORE = 0.4
# Score of a yes or no read from its first word after a yes/no question.
ANSWER_SCORE = 0.8
# Unknown words remembered per model, so a long session stays fast without growing forever.
TYPO_CACHE_SIZE = 10_000


class UnknownLocale(ValueError):
    """No interaction model for the locale; the message lists the ones there are."""


class LocalNLU:
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

    def _two_clauses(self, tokens: Tokens) -> Understanding | None:
        """An utterance cut in two clauses, one read near-exactly, read as that request.

        The other clause may say the same thing ("das ist zu einfach, mach es schwerer",
        "I'm back, carry on from there"): the pair scores the mean of the two, discounted.
        Or it may be an aside the model knows nothing of ("hang on, I need some water"):
        the pair scores the near-exact clause's score, discounted more. None when no cut
        gives a near-exact clause with such a partner, or the clauses name the same slot.
        A context clause ("I keep getting tired, make it easier") that reads as another
        request, clearly less surely, is set aside too, unless it is pain. Two clauses that
        make one request together (:data:`JOINED_CLAUSES`) win over any of these.
        """
        best: Understanding | None = None
        joined: Understanding | None = None
        n = len(tokens.keys)
        for cut in range(1, n):
            parts = _part(tokens, 0, cut), _part(tokens, cut, n)
            first, second = (self._best_reading(part) for part in parts)
            (strong, said), (other, aside) = sorted(
                zip((first, second), parts, strict=True), key=lambda pair: -pair[0].score
            )
            one = self._joined(first, second)
            if one is not None:
                if joined is None or one.score > joined.score:
                    joined = one
                continue
            if strong.intent == FALLBACK_INTENT or strong.score < CLAUSE_READING_SCORE:
                continue
            if other.intent == strong.intent and other.score >= ACCEPT_SCORE:
                if first.slots.keys() & second.slots.keys():
                    continue
                score = CLAUSE_DISCOUNT * (strong.score + other.score) / 2
                slots, sample = {**first.slots, **second.slots}, f"{first.sample} + {second.sample}"
            elif other.score < ACCEPT_SCORE and self._is_aside(said, aside):
                score = ASIDE_DISCOUNT * strong.score
                slots, sample = dict(strong.slots), f"{strong.sample} + an aside"
            elif (
                other.intent not in NEVER_ASIDE
                and other.score <= strong.score - CONTEXT_MARGIN
                and len(set(said.keys) - self.wording.function_keys) >= 2
            ):
                score = ASIDE_DISCOUNT * strong.score
                slots, sample = dict(strong.slots), f"{strong.sample} + a context"
            else:
                continue
            if best is None or score > best.score:
                best = Understanding(strong.intent, slots, score, sample)
        return joined or best  # two clauses that make one request explain more than an aside

    def _joined(self, first: Understanding, second: Understanding) -> Understanding | None:
        """Two clauses that make one request (:data:`JOINED_CLAUSES`): the clause of the
        pair's first intent read at least :data:`JOINED_READING_SCORE`, the other fairly;
        the joined intent takes the slots it has of either. Or None."""
        for lead, other in ((first, second), (second, first)):
            intent = JOINED_CLAUSES.get((lead.intent, other.intent))
            if intent is None or lead.score < JOINED_READING_SCORE:
                continue
            if other.score < ACCEPT_SCORE:
                continue
            takes = self.intent_slots.get(intent, {})
            slots = {
                name: value
                for reading in (first, second)
                for name, value in reading.slots.items()
                if name in takes
            }
            score = CLAUSE_DISCOUNT * (first.score + second.score) / 2
            return Understanding(intent, slots, score, f"{first.sample} + {second.sample}")
        return None

    def _is_aside(self, said: Tokens, aside: Tokens) -> bool:
        """Whether ``aside`` may be set aside beside the request ``said``: the request holds
        a content word ("wie" of "wie bitte" is no request), the aside names no slot
        value ("autsch, das Knie zwickt" is about the knee), and beside a one-word request
        it holds none of the model's words either, as typed ("again" does not set aside
        "let's start the whole thing"; "Moment" does set aside "es klingelt an der Tür",
        though "klingelt" might be a typo of "klingt")."""
        if self._spans(aside) or not set(said.keys) - self.wording.function_keys:
            return False
        typed = {key for key, fix in zip(aside.keys, aside.fix_costs, strict=True) if not fix}
        return len(said.keys) >= 2 or not typed & self.index.command_words

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

    def _reading(self, tokens: Tokens) -> Understanding:
        """The best reading of the whole, of two clauses, then of its frames."""
        best = self._best_reading(tokens)
        if best.score < CLAUSE_SCORE and len(tokens.keys) >= 3:
            both = self._two_clauses(tokens)
            if both is not None and both.score > best.score:
                best = both
        return self._framed(tokens, best)

    def _framed(self, tokens: Tokens, best: Understanding) -> Understanding:
        """The reading a question frame or a negated yes makes of ``best``.

        A question word first ("how do I do {exercise} properly", "waarom doe ik die
        {exercise}") reads a start that is not a near-exact sample ("how do I do a plank"
        is one) as the best other reading, when there is a fair one or one about the same
        exercise (but "what about doing {exercise}" suggests a start: the language's
        ``suggestions``). A yes or no read from words with a negator in them, not an exact
        sample, is no yes: a negator before a yes word ("I'm not sure", "niet zeker") is
        being unsure (FallbackIntent) unless a no reads near-exactly; otherwise it is a no
        when the words read fairly as one without the yes samples, else nothing.
        """
        keys, wording = tokens.keys, self.wording
        if best.score >= 1.0:
            return best
        if (
            best.intent == START_INTENT
            and best.score < CLAUSE_READING_SCORE
            and keys[0] in wording.question_keys
        ):
            other = self._best_reading(tokens, exclude=frozenset({START_INTENT}))
            if not self._suggests(keys):
                if other.score >= ACCEPT_SCORE:
                    return other
                if other.score >= QUESTION_FRAME_SCORE and _same_values(other, best):
                    # as sure as the start was: the exercise is the same, asked about
                    return Understanding(other.intent, other.slots, best.score, other.sample)
        negated = any(key in wording.negator_keys for key in keys)
        if negated and best.intent in (YES_INTENT, NO_INTENT):
            if best.intent == NO_INTENT and not self._negates_a_yes(keys):
                return best
            other = self._best_reading(tokens, exclude=frozenset({YES_INTENT}))
            bar = CLAUSE_READING_SCORE if self._negates_a_yes(keys) else ACCEPT_SCORE
            if other.intent == NO_INTENT and other.score >= bar:
                return other
            return Understanding(FALLBACK_INTENT, score=best.score, sample=None)
        return best

    def _suggests(self, keys: tuple[str, ...]) -> bool:
        """Whether the words open with a suggestion ("what about", "wie wär's mit")."""
        return any(keys[: len(phrase)] == phrase for phrase in self.wording.suggestion_keys)

    def _negates_a_yes(self, keys: tuple[str, ...]) -> bool:
        """Whether a negator stands right before a word that alone is a yes ("not sure",
        "nicht sicher", "niet zo zeker" with a function word between)."""
        for i, key in enumerate(keys):
            if key not in self.wording.negator_keys:
                continue
            for j in range(i + 1, min(i + 3, len(keys))):
                exact = self.index.exact.get((keys[j],))
                if keys[j] in self.wording.yes_keys or (exact and exact.intent == YES_INTENT):
                    return True
                if keys[j] not in self.wording.function_keys:
                    break
        return False

    def _answer(self, tokens: Tokens, best: Understanding) -> Understanding:
        """After a yes/no question, an utterance that opens with a yes or no word is that
        answer ("no, carry on but gently", "ja, lass uns aufhören"), unless the whole or
        its other words read near-exactly as another request ("no, skip to clamshells")."""
        first = tokens.keys[0]
        if first in self.wording.yes_keys:
            intent = YES_INTENT
        elif first in self.wording.no_keys:
            intent = NO_INTENT
        else:
            return best
        if len(tokens.keys) < 2 or best.score >= max(ANSWER_SCORE, CLAUSE_READING_SCORE):
            return best
        rest = self._reading(_part(tokens, 1, len(tokens.keys)))
        answers = (FALLBACK_INTENT, YES_INTENT, NO_INTENT)
        if rest.intent not in answers and rest.score >= CLAUSE_READING_SCORE:
            return rest
        word = tokens.words[0]
        return Understanding(intent, {}, ANSWER_SCORE, f"{word} + {rest.sample or 'the rest'}")

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


def _part(tokens: Tokens, start: int, end: int) -> Tokens:
    return Tokens(
        words=tokens.words[start:end],
        keys=tokens.keys[start:end],
        weights=tokens.weights[start:end],
        fix_costs=tokens.fix_costs[start:end],
    )


def _span(tokens: Tokens, start: int, end: int, cost: float, slot_type: str, entry: tuple) -> Span:
    value = SlotValue(
        name="", value=" ".join(tokens.words[start:end]), slot_type=slot_type,
        id=entry[0], resolved=entry[1],
    )  # fmt: skip
    return Span(start, end, cost=cost, weight=sum(tokens.weights[start:end]), value=value)


def _same_values(one: Understanding, other: Understanding) -> bool:
    """Whether two readings name the same slot values (by id), and some."""
    ids = {slot.id for slot in one.slots.values() if slot.id}
    return bool(ids) and ids == {slot.id for slot in other.slots.values() if slot.id}


def _named(value: SlotValue, name: str) -> SlotValue:
    return SlotValue(name, value.value, value.slot_type, value.id, value.resolved)
