"""The local NLU: the utterance table, every model sample, slots, elicitation, invocation."""

from __future__ import annotations

import json
import re
import time
import tomllib
from pathlib import Path
from typing import Any

import pytest

from skill.alexa.requests import ER_SUCCESS_MATCH, ER_SUCCESS_NO_MATCH
from skill.local.understanding.nlu import (
    FALLBACK_INTENT,
    LocalNLU,
    UnknownLocale,
    available_locales,
)
from skill.local.understanding.utterance import wording_for
from skill.local.understanding.values import LOOSE_WORD_COST, RECOMBINED_COST, SlotValues
from skill.settings import INTERACTION_MODELS_DIR

CASES_FILE = Path(__file__).with_name("nlu_cases.toml")
TABLE: dict[str, Any] = tomllib.loads(CASES_FILE.read_text(encoding="utf-8"))
CASES: list[dict[str, Any]] = TABLE["case"]
INVOCATIONS: list[dict[str, Any]] = TABLE["invocation"]
ENGLISH = wording_for("en-US")
words_of, key_of = ENGLISH.words_of, ENGLISH.key_of


def understand(case: dict[str, Any]):
    nlu = LocalNLU.for_locale(case.get("locale", "en-US"))
    elicit = tuple(case["elicit"]) if "elicit" in case else None
    return nlu.understand(case["say"], elicit=elicit, question=case.get("question", False))


def matches(case: dict[str, Any]) -> bool:
    result = understand(case)
    resolved = {name: slot.id for name, slot in result.slots.items() if slot.id is not None}
    unresolved = {name: slot.value for name, slot in result.slots.items() if slot.id is None}
    return (
        result.intent == case["intent"]
        and resolved == case.get("slots", {})
        and unresolved == case.get("raw", {})
    )


def case_id(case: dict[str, Any]) -> str:
    asked = " [after a yes/no question]" if case.get("question") else ""
    return case["say"] + (f" [eliciting {case['elicit'][1]}]" if "elicit" in case else asked)


def test_table_is_big_and_varied() -> None:
    assert len(CASES) >= 120
    intents = {case["intent"] for case in CASES}
    assert FALLBACK_INTENT in intents
    assert len(intents) >= 18


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_utterance(case: dict[str, Any]) -> None:
    result = understand(case)
    assert matches(case), f"{case['say']!r} -> {result.explain()}"


def test_accuracy_on_the_table() -> None:
    """The whole table as one figure (see it with ``pytest -s``); every case must pass."""
    passed = sum(matches(case) for case in CASES)
    print(f"NLU accuracy: {passed}/{len(CASES)}")
    assert passed == len(CASES)


def _model(locale: str) -> dict[str, Any]:
    path = INTERACTION_MODELS_DIR / f"{locale}.json"
    return json.loads(path.read_text(encoding="utf-8"))["interactionModel"]["languageModel"]


def _filled_samples(language: dict[str, Any]):
    """Every sample, with each slot filled by every value and synonym of its type."""
    values = {
        slot_type["name"]: [
            (value["id"], phrase)
            for value in slot_type["values"]
            for phrase in (value["name"]["value"], *value["name"]["synonyms"])
        ]
        for slot_type in language["types"]
    }
    for intent in language["intents"]:
        slot_types = {slot["name"]: slot["type"] for slot in intent.get("slots", [])}
        for sample in intent["samples"]:
            names = re.findall(r"\{(\w+)\}", sample)
            if not names:
                yield intent["name"], sample, {}
                continue
            (name,) = names
            for value_id, phrase in values[slot_types[name]]:
                yield intent["name"], sample.replace(f"{{{name}}}", phrase), {name: value_id}


@pytest.mark.parametrize("locale", available_locales())
def test_every_sample_parses_back_to_its_intent(locale: str) -> None:
    """Each sample, with every slot value, reads as its own intent and value.

    The exceptions are a filled sample that is word for word another intent's sample
    ("{exercise}" filled with the synonym "protect my knees" is ProtectKneesIntent's
    sample): there either reading is right, and the sample without a slot wins; and one
    that is word for word another intent's sample filled with the same id ("tell me about
    {exercise}" and "tell me about {topic}" with Russian push-ups, an exercise and a topic).
    """
    nlu = LocalNLU.for_locale(locale)

    def words_of(text: str) -> list[str]:  # the locale's own keys (stemmer, fillers, compounds)
        return [nlu.wording.key_of(word) for word in nlu.words_of(text)]

    language = _model(locale)
    literal = {
        tuple(words_of(sample)): intent["name"]
        for intent in language["intents"]
        for sample in intent["samples"]
        if "{" not in sample
    }
    wrong = []
    checked = 0
    for intent, text, slots in _filled_samples(language):
        checked += 1
        result = nlu.understand(text)
        got = {name: slot.id for name, slot in result.slots.items()}
        if (result.intent, got) == (intent, slots):
            continue
        if literal.get(tuple(words_of(text))) == result.intent:
            continue
        if sorted(got.values()) == sorted(slots.values()) and result.sample:
            filled = result.sample
            for name, slot in result.slots.items():
                filled = filled.replace(f"{{{name}}}", slot.value)
            if words_of(filled) == words_of(text):
                continue
        wrong.append(f"{text!r} ({intent}) -> {result.explain()}")
    assert checked > 1000
    assert not wrong, "\n".join(wrong)


def test_resolved_slot_carries_id_and_canonical_name() -> None:
    result = LocalNLU.for_locale("en-US").understand("let's do some Russian press-ups")
    slot = result.slots["exercise"]
    assert slot.status == ER_SUCCESS_MATCH
    assert (slot.id, slot.resolved, slot.value) == (
        "russian_pushups",
        "russian push ups",
        "russian press ups",
    )
    assert slot.slot_type == "EXERCISE"


def test_unknown_slot_value_is_filled_but_unresolved() -> None:
    result = LocalNLU.for_locale("en-US").understand("start underwater basket weaving")
    assert result.intent == "StartWorkoutIntent"
    slot = result.slots["exercise"]
    assert slot.status == ER_SUCCESS_NO_MATCH
    assert slot.id is None and slot.resolved is None
    assert slot.value == "underwater basket weaving"


def test_unknown_words_of_the_skill_itself_are_not_taken_as_a_value() -> None:
    """ "go to the main menu" is not SetPaceIntent with the pace "to the main menu"."""
    result = LocalNLU.for_locale("en-US").understand("go to the main menu")
    assert result.intent == "AMAZON.NavigateHomeIntent"


def test_elicitation_fills_the_elicited_slot() -> None:
    """Alone, "russian push ups" starts a workout; as the answer to "what about?", a topic."""
    nlu = LocalNLU.for_locale("en-US")
    assert nlu.understand("russian push ups").intent == "StartWorkoutIntent"
    elicited = nlu.understand("russian push ups", elicit=("ExplainIntent", "topic"))
    assert elicited.intent == "ExplainIntent"
    assert elicited.slots["topic"].id == "russian_pushups"


def test_elicitation_lets_other_requests_through() -> None:
    nlu = LocalNLU.for_locale("en-US")
    for utterance, intent in (("cancel", "AMAZON.CancelIntent"), ("next", "AMAZON.NextIntent")):
        assert nlu.understand(utterance, elicit=("StartWorkoutIntent", "exercise")).intent == intent


def test_elicitation_of_an_undeclared_slot_is_ignored() -> None:
    result = LocalNLU.for_locale("en-US").understand("next", elicit=("NoSuchIntent", "x"))
    assert result.intent == "AMAZON.NextIntent"


def test_empty_and_filler_only_utterances_fall_back() -> None:
    nlu = LocalNLU.for_locale("en-US")
    for utterance in ("", "   ", "um uh", "?!"):
        result = nlu.understand(utterance)
        assert result.intent == FALLBACK_INTENT
        assert result.slots == {}


def test_understanding_explains_itself() -> None:
    result = LocalNLU.for_locale("en-US").understand("start planks")
    assert result.sample == "start {exercise}"
    assert "StartWorkoutIntent" in result.explain() and "forearm_plank" in result.explain()


def test_normalisation() -> None:
    assert words_of("Um, Alexa, could you PLEASE start the push-ups?") == [
        "start",
        "the",
        "push",
        "ups",
    ]
    assert words_of("I wanna do it, thanks") == ["do", "it"]
    assert words_of("okay") == ["okay"]  # an opener alone is still an answer
    assert [key_of(w) for w in ("glutes", "injuries", "medius", "press", "is")] == [
        "glute",
        "injury",
        "medius",
        "press",
        "is",
    ]


def test_a_value_is_found_as_people_vary_its_phrasings() -> None:
    """Function words differ, a separable verb takes its object, one phrasing's first word
    goes with another's rest; a gap too long, or a one-word rest, names nothing."""
    values = SlotValues(frozenset({"the", "it", "my"}))
    off, fast, slow = ("off", "sounds off"), ("fast", "faster"), ("slow", "slower")
    for entry, phrase in (
        (off, "stop the beeps"), (off, "kill the sounds"), (fast, "speed up"),
        (fast, "more quickly"), (slow, "too fast"),
    ):  # fmt: skip
        values.add(entry, tuple(phrase.split()))

    def find(said: str) -> tuple:
        keys = said.split()
        return values.find(keys, [0.4 if key in values.function else 1.0 for key in keys])

    assert find("stop the beeps") == (off, 0.0)
    assert find("stop my beeps") == (off, pytest.approx(2 * LOOSE_WORD_COST))
    assert find("kill the beeps") == (off, RECOMBINED_COST)
    assert find("speed the count up") == (fast, pytest.approx(1.4))
    assert find("speed it all the way up") == (None, 0.0)
    assert find("too quickly") == (None, 0.0)  # never faster: "too" is slower's, rest one word
    assert find("the beeps") == (None, 0.0)


@pytest.mark.parametrize("case", INVOCATIONS, ids=lambda case: case["say"])
def test_invocation(case: dict[str, Any]) -> None:
    invocation = LocalNLU.for_locale("en-US").parse_invocation(case["say"])
    if case["kind"] == "none":
        assert invocation is None
    else:
        assert invocation is not None
        assert invocation.kind == case["kind"]
        assert invocation.utterance == case.get("rest")


def test_unknown_locale() -> None:
    with pytest.raises(UnknownLocale, match="en-US"):
        LocalNLU.for_locale("xx-XX")


def test_models_are_loaded_once() -> None:
    assert LocalNLU.for_locale("en-GB") is LocalNLU.for_locale("en-GB")


def test_understanding_is_fast() -> None:
    """Well under a millisecond per utterance on a laptop; generous here for busy CI."""
    nlu = LocalNLU.for_locale("en-US")
    utterances = [case["say"] for case in CASES]
    started = time.perf_counter()
    for utterance in utterances:
        nlu.understand(utterance)
    per_call = (time.perf_counter() - started) / len(utterances)
    print(f"understand(): {per_call * 1e6:.0f} µs per utterance")
    assert per_call < 0.02


@pytest.mark.parametrize(
    "utterance",
    ["let's do clamshells instead", "no, let's do clamshells instead", "clamshells instead"],
)
def test_a_new_request_instead_of_yes_or_no_is_that_request(utterance: str) -> None:
    understood = LocalNLU.for_locale("en-US").understand(utterance)
    assert understood.intent == "StartWorkoutIntent"
    assert understood.slots["exercise"].id == "clamshell"
