"""Understanding, once: hearing's hypotheses and the dialog's context to one meaning.

No audio here: the hypotheses are written out as hearing hands them over.
"""

from __future__ import annotations

import functools

import pytest

from skill.local.hearing.hypotheses import Hypotheses, Reading
from skill.local.hearing.language_model import corpus
from skill.local.understanding.choosing import (
    CONFIRMING_READINGS,
    COVERAGE_THRESHOLD,
    MAX_COMMAND_SECONDS,
    DialogContext,
    Understander,
)
from skill.local.understanding.nlu import LocalNLU


@pytest.fixture(scope="module")
def understander() -> Understander:
    sentences = frozenset(" ".join(sentence.words) for sentence in corpus("en-US"))
    return Understander(LocalNLU.for_locale("en-US"), sentences)


@pytest.fixture
def read(understander):
    return functools.partial(understander._read, elicit=None)


def heard_as(*readings: Reading, seconds: float = 1.0) -> Hypotheses:
    return Hypotheses(tuple(readings), start=0.5, end=0.5 + seconds, seconds=seconds)


def plain(text: str, coverage: float = 1.0, *others: str) -> Reading:
    return Reading(text, coverage, (text, *others) if text else ())


# --- rejection --------------------------------------------------------------------------


def test_nothing_decoded_is_nothing_understood(understander) -> None:
    heard = understander.decide(Hypotheses((), start=1.0, end=1.1, seconds=0.1))
    assert not heard.understood and heard.confidence == 0.0 and heard.start == 1.0


def test_a_guess_and_a_long_utterance_are_rejected(understander) -> None:
    guess = understander.decide(heard_as(plain("next", COVERAGE_THRESHOLD - 0.01)))
    assert not guess.understood and guess.hypothesis == "next"
    talk = understander.decide(heard_as(plain("next"), seconds=MAX_COMMAND_SECONDS + 0.5))
    assert not talk.understood


def test_a_command_is_understood_once_with_its_meaning(understander) -> None:
    heard = understander.decide(heard_as(plain("start russian push ups")))
    assert heard.understood and heard.text == "start russian push ups"
    assert heard.intent == "StartWorkoutIntent"
    assert heard.understanding.slots["exercise"].id == "russian_pushups"


def test_an_elicited_slot_is_read_with_the_context(understander) -> None:
    context = DialogContext(elicit=("StartWorkoutIntent", "exercise"))
    heard = understander.decide(heard_as(plain("planks")), context)
    assert heard.intent == "StartWorkoutIntent"
    assert heard.understanding.slots["exercise"].id == "forearm_plank"


def test_an_answer_led_by_no_after_a_question_is_that_answer(understander) -> None:
    """Hands-free as typed: after "Shall we stop for today?" a decoded "no, keep going
    gently" is the no; without the question it is not read as one."""
    said = heard_as(plain("no keep going gently please"))
    asked = understander.decide(said, DialogContext(question=True, in_workout=True))
    assert asked.intent == "AMAZON.NoIntent"
    unasked = understander.decide(said, DialogContext(in_workout=True))
    assert unasked.intent != "AMAZON.NoIntent"


# --- fewer wrong actions ----------------------------------------------------------------


def test_a_consequential_command_another_version_heard_otherwise_is_not_acted_on(understander):
    """'let's do clamshells' read as 'be quiet' by one version: not a stop."""
    heard = understander.decide(
        heard_as(plain("uh"), plain("be quiet"), plain("lets do clamshells"))
    )
    assert heard.intent == "AMAZON.StopIntent"
    assert not heard.understood and not heard.sure and heard.hypothesis == "be quiet"


def test_a_consequential_command_among_readings_of_nothing_is_acted_on(understander):
    """In steady noise the suppressed version often hears the command alone."""
    heard = understander.decide(heard_as(plain("to"), plain("to"), plain("cancel")))
    assert heard.understood and heard.intent == "AMAZON.CancelIntent" and heard.sure


def strict(text: str, coverage: float = 1.0) -> Reading:
    """The strict model's reading, first: hearing took the room for talkers."""
    return Reading(text, coverage, (text,), strict=True)


def test_a_stop_during_a_paced_set_is_likely(understander):
    hypotheses = heard_as(strict("next"), plain("what are"), plain("next"), plain("stop"))
    assert not understander.decide(hypotheses).understood
    heard = understander.decide(hypotheses, DialogContext(paced_set=True))
    assert heard.understood and heard.intent == "AMAZON.StopIntent"


def test_a_version_that_explained_less_of_the_speech_does_not_count_against_it(understander):
    """Among talkers, a version that read part of the room as words ("next" at 0.6) does
    not outweigh the reading that explained all of it."""
    less = heard_as(strict("next", 0.5), plain("next", 0.6), plain("cancel"), plain("to"))
    heard = understander.decide(less)
    assert heard.understood and heard.intent == "AMAZON.CancelIntent"
    fully = heard_as(strict("next", 0.5), plain("next"), plain("cancel"), plain("to"))
    assert not understander.decide(fully).understood


def test_a_command_the_strict_model_read_may_have_any_version_dissent(understander):
    """The tests' babble alone: the strict model read "my legs hurt", two plain versions
    something like it, one "what should do" at 0.71. Not a pain report; the same readings
    with the strict model's "to" are."""
    readings = (plain("i hurt glute"), plain("my legs ugh", 0.94), plain("what should do", 0.71))
    assert not understander.decide(heard_as(strict("my legs hurt"), *readings)).understood
    heard = understander.decide(heard_as(strict("hurt", 0.5), *readings))
    assert heard.understood and heard.intent == "PainIntent"


def test_the_same_command_with_fewer_slots_does_not_count_against_it(understander):
    """ "my shoulder" and "it hurts" are one pain report; "start planks" and "start
    squats" are not one workout."""
    pain = heard_as(strict("my shoulder"), plain("it hurts"), plain("my shoulder"), plain("to"))
    assert understander.decide(pain).understood
    switch = heard_as(strict("start planks"), plain("start squats"), plain("start planks"))
    assert not understander.decide(switch, DialogContext(in_workout=True)).understood


def test_in_steady_noise_the_suppressed_versions_sentence_is_sure(understander):
    """No talkers (no strict reading): the raw versions read the noise as words ("i do"),
    the noise-suppressed one, decoded last, heard the command; among talkers it is not
    trusted so, and a switch of workouts mid-workout is still asked about."""
    steady = heard_as(plain("what"), plain("i do"), plain("exit"))
    assert understander.decide(steady).understood
    assert understander.decide(steady).intent == "AMAZON.StopIntent"
    talkers = heard_as(strict("exit"), plain("what"), plain("i do"), plain("exit"))
    assert not understander.decide(talkers).understood
    switch = heard_as(plain("start squats"), plain("what are the"), plain("start planks"))
    assert not understander.decide(switch, DialogContext(in_workout=True)).understood


def test_starting_another_workout_mid_workout_needs_agreement(understander):
    hypotheses = heard_as(plain("start squats"), plain("what are the"), plain("start planks"))
    assert understander.decide(hypotheses).understood  # nothing in progress: no harm
    assert not understander.decide(hypotheses, DialogContext(in_workout=True)).understood


def test_words_outside_the_corpus_that_the_nlu_reads_weakly_are_a_guess(understander):
    """ "start again" decoded as "are to again" reads as a repeat, weakly: not acted on."""
    quiet = understander.decide(heard_as(plain("are to again")))
    assert not quiet.understood and not quiet.sure and quiet.intent == "AMAZON.RepeatIntent"
    noisy = understander.decide(heard_as(plain("what"), plain("ready on")))
    assert not noisy.understood and noisy.intent == "AMAZON.NextIntent"
    said = understander.decide(heard_as(plain("what"), plain("start again")))
    assert said.understood and said.intent == "AMAZON.StartOverIntent"


def test_an_everyday_command_needs_no_agreement(understander):
    heard = understander.decide(heard_as(plain("why are to"), plain("next"), plain("what")))
    assert heard.understood and heard.intent == "AMAZON.NextIntent"


# --- choosing among the readings --------------------------------------------------------


def test_a_command_outvotes_fallback_readings_in_the_n_best(understander, read):
    """When the best reading means nothing to the text NLU, the N-best lists vote: a
    command read in several ways wins over scattered word salad, but readings the NLU
    cannot place win when they are the most (a launch phrase stays one)."""
    babble = [
        ["why are to the", "pause", "why are to pause", "pause the workout", "why are to pause it"],
        ["pause", "why are to i am the"],
    ]
    assert read(understander._vote(babble, read)).intent == "AMAZON.PauseIntent"
    launch = [["talk to step coach", "talk to step coach to", "pause", "talk step coach"]]
    assert understander._vote(launch, read) == ""
    assert understander._vote([(), ()], read) == ""


def test_the_strict_reading_counts_only_when_a_plain_one_heard_it_too(understander, read):
    """In a room of talkers the strict model makes a command of almost anything; its
    reading is kept only when the plain decodes' N-best readings hold the same meaning."""
    strict = Reading("one second", 0.7, ("one second",), strict=True)
    heard = [Reading("why are to one", 1.0, ("why are to one", "give me one second"))]
    assert understander._confirmed([strict, *heard], read) == [strict, *heard]
    unheard = [Reading("go a little", 1.0, ("go a little", "fire leg to what")), plain("")]
    regular = Reading("regular", 0.74, ("regular",), strict=True)
    assert understander._confirmed([regular, *unheard], read) == unheard
    assert understander._confirmed([Reading("", 0.0, (), strict=True), *heard], read) == heard
    far = ("why are to one", *("why are to" for _ in range(CONFIRMING_READINGS)), "one second")
    guessed = [Reading("why are to one", 1.0, far)]
    assert understander._confirmed([strict, *guessed], read) == guessed


def test_a_version_heard_as_a_sentence_of_the_skill_beats_one_that_is_not(understander):
    """Every version of a noisy utterance is decoded; when the better-covered reading is
    not a sentence the skill expects and another version's is, that one wins."""
    sentence = understander._sentence
    assert sentence(
        "are the russian push ups", ["are the russian push ups", "russian push ups"]
    ) == ("russian push ups")
    assert sentence("next", ["why next", "next"]) == "next"
    assert sentence("why are to next", ["why are to next", "a next"]) == "why are to next"


def test_a_sentence_of_the_skill_holding_most_of_a_reading_is_what_was_said(understander):
    """When the best reading means nothing to the text NLU (the room read as words around
    a command), a sentence of the corpus making up more than half of a reading's words is
    taken for what was said (the longest over the versions' readings); half is not enough:
    a paraphrase decoded right keeps its meaning."""
    within = understander._sentence_within
    assert "i missed back to the menu" not in understander.sentences
    assert within(["i missed back to the menu"]) == "back to the menu"
    assert within(["why are russian push ups", "why are ask step coach to take a break"]) == (
        "ask step coach to take a break"
    )
    assert within(["are the russian push ups please"]) == ""  # 3 of 6 words
    assert within(["repeat the last step"]) == ""  # "last step" is a sentence, 2 of 4 words
    assert within(["why are to does get hurt can we"]) == ""
    assert within(["", "next"]) == "next"


@pytest.mark.parametrize(
    ("coverages", "expected"),
    [((1.0, 1.0), "are the russian push ups"), ((0.9, 1.0), "is glute workout for on")],
)
def test_on_equal_coverage_the_reading_the_nlu_is_surer_of_wins(understander, coverages, expected):
    """Most readings are explained whole, so coverage ties; the NLU's score breaks the tie
    (then the suppressed version, the second), and better coverage still comes first."""
    said = ["are the russian push ups", "is glute workout for on"]
    readings = [plain(text, coverage) for text, coverage in zip(said, coverages, strict=True)]
    heard = understander.decide(heard_as(*readings))
    assert heard.hypothesis == expected  # neither is the corpus's: both are guesses
    assert heard.confidence == max(coverages)


def test_right_after_a_question_a_yes_among_the_readings_is_the_answer(understander) -> None:
    hypotheses = heard_as(
        Reading("why are to", 1.0, ("why are to", "to the", "yes")),
        Reading("why are", 1.0, ("why are", "i the")),
    )
    assert understander.decide(hypotheses).intent == "AMAZON.FallbackIntent"
    heard = understander.decide(hypotheses, DialogContext(question=True))
    assert heard.understood and heard.intent == "AMAZON.YesIntent" and heard.text == "yes"
