"""The per-language held-out set stays held out, and its scoring can fail.

The accuracy target lives in ``./dev bench`` (bench.languages), not here: these tests only
keep the set honest (40 or more phrasings per language, none a sample of that language's
interaction model, filled or not, a built-in phrasing or a row of its NLU case table) and
check that a wrong reading is scored as one.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pytest

from bench import languages
from skill.coach.language import content_languages, language_data
from skill.coach.locales import DEFAULT_LANGUAGE
from skill.local.builtin_phrases import phrases_for
from skill.local.understanding.nlu import LocalNLU
from skill.settings import INTERACTION_MODELS_DIR

TESTS = Path(__file__).parent
CASES = languages.load()


def test_every_language_has_forty_held_out_phrasings_and_every_content_language_is_there():
    assert all(len(cases) >= 40 for cases in CASES.values())
    assert content_languages() <= set(CASES)


def _used(language: str, nlu: LocalNLU) -> set[tuple[str, ...]]:
    """Every phrasing the tests or the model use in a language, as the NLU's words."""
    locale = language_data(language)["locales"][0]
    model = json.loads((INTERACTION_MODELS_DIR / f"{locale}.json").read_text(encoding="utf-8"))
    model = model["interactionModel"]["languageModel"]
    values = {
        slot_type["name"]: [
            phrase
            for value in slot_type["values"]
            for phrase in (value["name"]["value"], *value["name"]["synonyms"])
        ]
        for slot_type in model["types"]
    }
    texts = [phrase for phrases in phrases_for(language).values() for phrase in phrases]
    for intent in model["intents"]:
        slot_types = {slot["name"]: slot["type"] for slot in intent.get("slots", [])}
        for sample in intent["samples"]:
            names = re.findall(r"\{(\w+)\}", sample)
            texts.append(sample)
            for name in names:
                texts += [
                    sample.replace(f"{{{name}}}", phrase) for phrase in values[slot_types[name]]
                ]
    table = "nlu_cases.toml" if language == DEFAULT_LANGUAGE else f"nlu_cases_{language}.toml"
    if (TESTS / table).is_file():
        texts += [row["say"] for row in tomllib.loads((TESTS / table).read_text())["case"]]
    return {tuple(nlu.words_of(text)) for text in texts}


@pytest.mark.parametrize("language", sorted(set(CASES) & content_languages()))
def test_no_held_out_phrasing_is_a_sample_or_a_test_row(language: str) -> None:
    nlu = LocalNLU.for_locale(language_data(language)["locales"][0])
    used = _used(language, nlu)
    assert not [case["say"] for case in CASES[language] if tuple(nlu.words_of(case["say"])) in used]


def test_a_wrong_reading_counts_as_a_miss() -> None:
    nlu = LocalNLU.for_locale("en-US")
    right = languages.read_case(nlu, "en", {"say": "start planks", "intent": "StartWorkoutIntent",
                                            "slots": {"exercise": "forearm_plank"}})  # fmt: skip
    assert right.right, right
    for wrong in (
        {"say": "start planks", "intent": "StartWorkoutIntent", "slots": {"exercise": "clamshell"}},
        {"say": "start planks", "intent": "StartWorkoutIntent"},  # a slot filled, none wanted
        {"say": "what's the weather", "intent": "AMAZON.HelpIntent"},
    ):
        assert not languages.read_case(nlu, "en", wrong).right, wrong
    assert 'miss (en): "what\'s the weather" -> AMAZON.FallbackIntent' in languages.table(
        {"en": [right, languages.read_case(nlu, "en", wrong)]}
    )
