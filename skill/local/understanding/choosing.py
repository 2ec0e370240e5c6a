"""Understanding, once: an utterance's hypotheses and the dialog's context to one meaning.

Hearing hands over every decoded version's readings (:mod:`skill.local.hearing.hypotheses`);
this reads each text with the text NLU once (a cache: the readings are ranked, confirmed,
voted and checked against the corpus again and again) and decides:

- *rejection*: the best coverage below :data:`COVERAGE_THRESHOLD` is a guess; speech longer
  than :data:`MAX_COMMAND_SECONDS` is a TV, a person chatting, the coach talking;
- *the reading*: the best-covered one, on a tie the one the NLU is surer of, then the later
  (more trusted) version; a version heard as a sentence of the skill's corpus beats one that
  is not; when the best reading is word salad (FallbackIntent), a corpus sentence that is
  most of a reading, or else the N-best readings' vote, names the command;
- *sureness*: a command read from words outside the skill's corpus needs a fair NLU score
  (there the words are mostly the decoder's guess), and a command that ends or changes
  the session or a setting
  (:data:`CONSEQUENTIAL_INTENTS`, and starting a workout in the middle of one) is acted on
  only when no decoded version that explained the speech as well heard a different
  command, or, in steady noise, the noise-suppressed version heard it as a sentence of the
  corpus, or the dialog makes it likely (a stop, pause or cancel during a paced set).
  Otherwise it is not understood: the runner
  says "Sorry, I didn't catch that" (or, for a new workout, asks first) rather than do
  something else. Right after a question, a yes or no among the readings is taken when
  nothing else was made of the utterance.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from skill.local.hearing.hypotheses import Hypotheses, Reading
from skill.local.understanding.nlu import FALLBACK_INTENT, LocalNLU, Understanding

# Least coverage (share of the speech command words explain) of an accepted command.
COVERAGE_THRESHOLD = 0.75
# Longest command worth acting on, in seconds of speech.
MAX_COMMAND_SECONDS = 4.5
# A reading of rank r in the N-best vote weighs 1 / (r + 1) ** VOTE_POWER.
VOTE_POWER = 1.0
# Commands that end or change the session or a setting: acted on only when sure. A pain
# report stops the set and asks whether to stop for today.
CONSEQUENTIAL_INTENTS = frozenset(
    {
        "AMAZON.StopIntent",
        "AMAZON.CancelIntent",
        "AMAZON.StartOverIntent",
        "SetSoundsIntent",
        "SetPaceIntent",
        "PainIntent",
    }
)
# Starting a workout is consequential in the middle of one (it drops the one in progress).
SWITCHING_INTENT = "StartWorkoutIntent"
# Likely during a paced set: the controls a person calls out mid-exercise, and pain.
PACED_SET_INTENTS = frozenset(
    {"AMAZON.StopIntent", "AMAZON.PauseIntent", "AMAZON.CancelIntent", "PainIntent"}
)
# Likely right after a question.
ANSWER_INTENTS = frozenset({"AMAZON.YesIntent", "AMAZON.NoIntent"})
# The NLU score a command needs when its words are not a sentence of the corpus, in a quiet
# room (one decoded version) and a noisy one. On a third of bench.hearing's set, readings
# outside the corpus were right 2 / 4 / 3 times and another command 3 / 12 / 6 times
# (clean / pink / babble), mostly scoring 0.56-0.83.
GUESS_SCORE_QUIET = 0.75
GUESS_SCORE_NOISY = 0.85
# The strict reading (a room of talkers) is kept when a plain decode's this many best
# readings hold its meaning. bench.hearing's 420 babble commands, right / wrong actions:
# 5: 280 / 28, 10: 283 / 32, all 25: 286 / 34 (before: 283 / 34).
CONFIRMING_READINGS = 10


@dataclass(frozen=True)
class DialogContext:
    """What the coach just did, which makes some answers likely."""

    elicit: tuple[str, str] | None = None  # (intent, slot) a Dialog.ElicitSlot asked for
    question: bool = False  # the coach's last words asked a question
    paced_set: bool = False  # a paced set is playing (barge-in)
    in_workout: bool = False  # a workout is in progress


@dataclass(frozen=True)
class Heard:
    """One utterance, understood or not: the words (empty when rejected) and how sure."""

    text: str
    confidence: float  # the chosen reading's coverage (0..1)
    hypothesis: str = ""  # what the decoder said, even when rejected
    start: float = 0.0  # seconds into the stream
    end: float = 0.0
    capped: bool = False  # the utterance hit the endpointer's longest utterance
    understanding: Understanding | None = field(default=None, compare=False)
    sure: bool = True  # enough versions agreed, or the dialog made it likely

    @property
    def understood(self) -> bool:
        return bool(self.text)

    @property
    def intent(self) -> str | None:
        return self.understanding.intent if self.understanding is not None else None


class Understander:
    """The text NLU over hearing's hypotheses, with the dialog's context."""

    def __init__(
        self,
        nlu: LocalNLU,
        sentences: Collection[str],
        *,
        threshold: float = COVERAGE_THRESHOLD,
    ) -> None:
        self.nlu = nlu
        self.sentences = sentences  # the language model's corpus: what the skill expects
        self.threshold = threshold
        self._read = functools.lru_cache(maxsize=2048)(self._read_uncached)

    def _read_uncached(
        self, text: str, elicit: tuple[str, str] | None, question: bool = False
    ) -> Understanding:
        return self.nlu.understand(text, elicit=elicit, question=question)

    def decide(self, hypotheses: Hypotheses, context: DialogContext | None = None) -> Heard:
        """The one meaning of an utterance, or a Heard with empty text when there is none."""
        context = context or DialogContext()
        timing = {"start": hypotheses.start, "end": hypotheses.end, "capped": hypotheses.capped}
        readings = list(hypotheses.readings)
        if not readings:
            return Heard("", 0.0, **timing)
        elicit, question = context.elicit, context.question

        def read(text: str) -> Understanding:
            return self._read(text, elicit, question)

        if readings[0].strict:
            readings = self._confirmed(readings, read)
        best, rank = Reading("", 0.0), (0.0, 0.0)
        for reading in readings:
            ranked = (round(reading.coverage, 3), read(reading.text).score)
            if reading.text and ranked >= rank:
                best, rank = reading, ranked
        confidence = rank[0]
        if confidence < self.threshold or hypotheses.seconds > MAX_COMMAND_SECONDS:
            return Heard("", confidence, best.text, **timing)
        texts = [reading.text for reading in readings]
        text = self._sentence(best.text, texts)
        if read(text).intent == FALLBACK_INTENT:
            text = self._sentence_within(texts) or text
        if read(text).intent == FALLBACK_INTENT:
            text = self._vote([reading.nbest for reading in readings], read) or text
        if context.question and read(text).intent == FALLBACK_INTENT:
            text = self._answer(readings, read) or text
        understanding = read(text)
        steady = len(readings) > 1 and not hypotheses.talkers
        if not self._sure(text, understanding, confidence, readings, steady, read, context):
            return Heard("", confidence, text, understanding=understanding, sure=False, **timing)
        return Heard(text, confidence, best.text, understanding=understanding, **timing)

    # --- sureness ---------------------------------------------------------------------------

    def _sure(
        self,
        text: str,
        understanding: Understanding,
        confidence: float,
        readings: Sequence[Reading],
        steady: bool,
        read,
        context: DialogContext,
    ) -> bool:
        """Whether a command may be acted on.

        Any command read from words the skill's corpus does not hold needs a fair NLU
        score (:data:`GUESS_SCORE_QUIET`, :data:`GUESS_SCORE_NOISY`): there the words are
        mostly the decoder's guess ("are to again" for "start again"). A consequential one
        also needs no version to dissent (:meth:`_dissents`); a reading that means
        nothing, the room read as words, does not count against it. In steady noise (no
        talkers: ``steady``) the noise-suppressed version, decoded last, is the one to
        trust: RNNoise removes most of the noise, and the raw versions read what is left as
        words ("i do" beside "exit"), so its sentence of the corpus is sure; a switch of
        workouts mid-workout is still asked about. Among talkers, a command only the
        strict model read as such may have any version dissent, however little of the
        speech it explained: that model makes a command of almost anything (the tests'
        babble alone as "my legs hurt", which two plain versions heard as pain too). What
        the dialog made likely is sure: a stop during a paced set, a yes or no after a
        question, an answer to an elicited slot.
        """
        intent = understanding.intent
        if intent == FALLBACK_INTENT:
            return True  # nothing is done with it: the skill says it did not understand
        if context.paced_set and intent in PACED_SET_INTENTS:
            return True
        if context.question and intent in ANSWER_INTENTS:
            return True
        if context.elicit is not None and intent == context.elicit[0]:
            return True
        bar = GUESS_SCORE_NOISY if len(readings) > 1 else GUESS_SCORE_QUIET
        if text not in self.sentences and understanding.score < bar:
            return False
        switching = intent == SWITCHING_INTENT and context.in_workout
        if intent not in CONSEQUENTIAL_INTENTS and not switching:
            return True
        if steady and not switching and readings[-1].text == text in self.sentences:
            return True  # the noise-suppressed version heard a sentence of the skill
        if readings[0].strict and readings[0].text == text:
            coverage = 0.0  # the strict model's command: every version may dissent
        else:
            meaning = understanding.meaning()
            heard = [r.coverage for r in readings if read(r.text).meaning() == meaning]
            coverage = max(heard, default=confidence)
        return not any(
            self._dissents(reading, understanding, coverage, read) for reading in readings
        )

    @staticmethod
    def _dissents(reading: Reading, understanding: Understanding, coverage: float, read) -> bool:
        """Whether a version heard another command, and explained the speech as well as the
        versions that heard the chosen one (``coverage``): a version that explained less of
        it read part of the room as words (in pink noise the raw versions' "can you go on"
        at 0.59 beside the suppressed one's "can you count quickly" at 1.0). The same
        intent with fewer slots is the same command ("it hurts" beside "my shoulder")."""
        if not reading.text or reading.coverage < coverage:
            return False
        other = read(reading.text)
        if other.intent == understanding.intent:  # the same command, unless a slot differs
            ids = {name: slot.id for name, slot in understanding.slots.items()}
            return any(ids.get(name, slot.id) != slot.id for name, slot in other.slots.items())
        return other.intent != FALLBACK_INTENT

    # --- choosing ---------------------------------------------------------------------------

    def _answer(self, readings: Sequence[Reading], read) -> str:
        """Right after a question, a yes or no among the versions' N-best readings, the
        best-ranked first, when nothing else was made of the utterance; or ""."""
        depth = max((len(reading.nbest) for reading in readings), default=0)
        for rank in range(depth):
            for reading in reversed(readings):  # the more trusted version first
                if rank < len(reading.nbest) and read(reading.nbest[rank]).intent in ANSWER_INTENTS:
                    return reading.nbest[rank]
        return ""

    def _confirmed(self, readings: list[Reading], read) -> list[Reading]:
        """A room of talkers' decodes without the strict model's reading, unless one of the
        others' :data:`CONFIRMING_READINGS` best readings means what it read.

        The strict model keeps to the corpus's word sequences, which finds commands the
        talkers' words hide, but it also makes a command of talkers alone, or of the
        coach's own voice ("regular", "slower please"); a command that is there, the plain
        model mostly hears among its guesses.
        """
        strict, *plain = readings
        meanings = {
            read(text).meaning()
            for reading in plain
            for text in reading.nbest[:CONFIRMING_READINGS]
        }
        kept = strict.text and read(strict.text).meaning() in meanings
        return readings if kept else plain

    def _sentence(self, best: str, texts: list[str]) -> str:
        """The best-covered reading, unless it is not a sentence of the skill's corpus and
        another version's reading is: then that one (in a noisy room one version often
        hears the command whole, another reads the room as words around it)."""
        if best in self.sentences:
            return best
        return next((text for text in texts if text in self.sentences), best)

    def _sentence_within(self, texts: list[str]) -> str:
        """The longest sentence of the skill's corpus that makes up more than half of the
        words of one of the versions' best readings (the first such on a tie), or "".

        For a best reading the text NLU cannot place: the room read as words around a
        command ("i missed back to the menu"). Half is not enough: "repeat the last step",
        decoded right, holds "last step". A reading the NLU does understand is left alone:
        "what's a glute bridges" (glute bridges, in pink noise) holds "what's a glute".
        """
        found = ""
        for text in texts:
            words = text.split()
            for size in range(len(words), max(len(words) // 2, len(found.split())), -1):
                spans = (" ".join(words[i : i + size]) for i in range(len(words) - size + 1))
                match = next((span for span in spans if span in self.sentences), "")
                if match:
                    found = match
                    break
        return found

    def _vote(self, nbests: list[tuple[str, ...]], read) -> str:
        """The command that the versions' N-best lists vote for, when the best reading is
        none: empty when readings the text NLU cannot place (FallbackIntent) outvote every
        command.

        Readings that the NLU takes as the same intent and slots pool their votes; the
        winner's best-ranked reading is the text. Fallback readings vote too: a launch
        phrase ("talk to step coach") or chatter read a dozen ways stays what it is.
        """
        votes: dict[tuple, float] = {}
        first: dict[tuple, str] = {}
        for nbest in nbests:
            for rank, text in enumerate(nbest):
                key = read(text).meaning()
                votes[key] = votes.get(key, 0.0) + 1.0 / (rank + 1) ** VOTE_POWER
                first.setdefault(key, text)
        winner = max(votes, key=votes.__getitem__, default=None)
        return "" if winner is None or winner[0] == FALLBACK_INTENT else first[winner]
