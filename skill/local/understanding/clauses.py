"""Reading an utterance beyond its best single match: clauses, frames and answers.

The text NLU (:mod:`skill.local.understanding.nlu`) reads an utterance against every
sample. What this module adds is how people talk around a request:

- **Two clauses.** A weak reading is tried as two clauses, one near-exact and the other
  saying the same, an aside ("hang on, I need some water") or a context ("I keep getting
  tired, make it easier"); two clauses that make one request together
  (:data:`JOINED_CLAUSES`) win over these.
- **Frames.** A question word first makes a question win over starting the exercise it
  names; a negator before a yes ("not sure", "niet zeker") is no yes.
- **Answers.** After a yes/no question, an utterance that opens with a yes or no word is
  that answer, unless its other words are plainly another request.

:class:`ClauseReading` is a part of :class:`~skill.local.understanding.nlu.LocalNLU`; it
reads through the NLU's own best reading and slot spans.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from skill.local.understanding.alignment import Span, Tokens
from skill.local.understanding.meaning import FALLBACK_INTENT, Understanding
from skill.local.understanding.model_index import ModelIndex
from skill.local.understanding.utterance import Wording

# Below this score an utterance is out of domain: AMAZON.FallbackIntent.
ACCEPT_SCORE = 0.55
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


class ClauseReading:
    """The clause, frame and answer readings of :class:`LocalNLU`."""

    wording: Wording
    index: ModelIndex
    intent_slots: Mapping[str, Mapping[str, str]]

    if TYPE_CHECKING:  # LocalNLU's own readings, which these build on

        def _best_reading(
            self, tokens: Tokens, exclude: frozenset[str] = frozenset()
        ) -> Understanding: ...

        def _spans(self, tokens: Tokens) -> dict[str, list[list[Span]]]: ...

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


def _part(tokens: Tokens, start: int, end: int) -> Tokens:
    return Tokens(
        words=tokens.words[start:end],
        keys=tokens.keys[start:end],
        weights=tokens.weights[start:end],
        fix_costs=tokens.fix_costs[start:end],
    )


def _same_values(one: Understanding, other: Understanding) -> bool:
    """Whether two readings name the same slot values (by id), and some."""
    ids = {slot.id for slot in one.slots.values() if slot.id}
    return bool(ids) and ids == {slot.id for slot in other.slots.values() if slot.id}
