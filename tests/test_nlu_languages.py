"""The local NLU in any language: nothing English in the code, compounds, tables per language.

A language the code has never seen (English with its letters enciphered: every word of the
model, the built-in phrasings and the ``[understanding]`` table) must be understood
exactly as English is, which fails if any English word or rule hides in the NLU. Dutch
and German compounds meet their split forms. Each content language's case table
(``tests/nlu_cases_<lang>.toml``) runs in its first locale.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from skill.coach.language import builtin_phrases as phrases_for
from skill.coach.language import content_languages, language_data
from skill.coach.locales import DEFAULT_LANGUAGE
from skill.coach.words import stemmer
from skill.local.understanding.compounds import Decompounder
from skill.local.understanding.nlu import LocalNLU
from skill.local.understanding.utterance import TABLE, Wording, wording
from skill.settings import INTERACTION_MODELS_DIR

TESTS = Path(__file__).parent
ENGLISH_CASES = tomllib.loads((TESTS / "nlu_cases.toml").read_text(encoding="utf-8"))["case"]

# A letter cipher that keeps the letters the light plural rule reads (e, i, s, u, y), so
# the enciphered language stems exactly as English does.
_MOVED = "abcdfghjklmnopqrtvwxz"
_CIPHER = str.maketrans(_MOVED, _MOVED[7:] + _MOVED[:7])
_PLAIN = str.maketrans(_MOVED[7:] + _MOVED[:7], _MOVED)


def cipher(text: str) -> str:
    """Words enciphered, {slot} names and Alexa's intent names left alone."""
    out, depth = [], 0
    for char in text:
        depth += char == "{"
        out.append(char if depth else char.lower().translate(_CIPHER))
        depth -= char == "}"
    return "".join(out)


def _enciphered(data: Any) -> Any:
    """Words enciphered wherever they are, a table's own key names left alone."""
    if isinstance(data, str):
        return cipher(data)
    if isinstance(data, list):
        return [_enciphered(item) for item in data]
    return data


def _enciphered_table(table: dict[str, Any]) -> dict[str, Any]:
    return {key: _enciphered(value) for key, value in table.items()}


def _enciphered_model(model: dict[str, Any]) -> dict[str, Any]:
    language = model["languageModel"]
    types = [
        {
            "name": slot_type["name"],
            "values": [
                {
                    "id": value["id"],
                    "name": {
                        "value": cipher(value["name"]["value"]),
                        "synonyms": [cipher(s) for s in value["name"].get("synonyms", [])],
                    },
                }
                for value in slot_type["values"]
            ],
        }
        for slot_type in language["types"]
    ]
    intents = [{**intent, "samples": [cipher(s) for s in intent["samples"]]}
               for intent in language["intents"]]  # fmt: skip
    return {
        **model,
        "languageModel": {
            **language,
            "invocationName": cipher(language["invocationName"]),
            "intents": intents,
            "types": types,
        },
    }


@pytest.fixture(scope="module")
def enciphered_nlu() -> LocalNLU:
    model = json.loads((INTERACTION_MODELS_DIR / "en-US.json").read_text(encoding="utf-8"))
    english = wording("en")
    plain_stem = english.stem

    def stem(word: str) -> str:
        return cipher(plain_stem(word.translate(_PLAIN)))

    table = _enciphered_table(language_data("en")[TABLE])
    phrases = {intent: [cipher(p) for p in texts] for intent, texts in phrases_for("en").items()}
    return LocalNLU(
        _enciphered_model(model["interactionModel"]),
        "xx-XX",
        wording=Wording.from_data(table, stem),
        builtin_phrases=phrases,
    )


def _meaning(result) -> tuple:
    return result.intent, {
        n: (s.id, s.value if s.id is None else None) for n, s in result.slots.items()
    }


def test_a_language_the_code_never_saw_is_read_as_english_is(enciphered_nlu) -> None:
    english = LocalNLU.for_locale("en-US")
    cases = [case for case in ENGLISH_CASES if case.get("locale", "en-US") == "en-US"]
    assert len(cases) > 100
    differ = []
    for case in cases:
        elicit = tuple(case["elicit"]) if "elicit" in case else None
        asked = case.get("question", False)
        plain = english.understand(case["say"], elicit=elicit, question=asked)
        coded = enciphered_nlu.understand(cipher(case["say"]), elicit=elicit, question=asked)
        want = (plain.intent, {n: (s.id, cipher(s.value) if s.id is None else None)
                               for n, s in plain.slots.items()})  # fmt: skip
        if _meaning(coded) != want or abs(coded.score - plain.score) > 1e-9:
            differ.append(f"{case['say']!r}: {plain.explain()} / {coded.explain()}")
    assert not differ, "\n".join(differ)


def test_the_enciphered_language_is_addressed_by_its_own_launch_phrases(enciphered_nlu) -> None:
    assert enciphered_nlu.parse_invocation(cipher("open step coach")).kind == "launch"
    one_shot = enciphered_nlu.parse_invocation(cipher("ask step coach to start planks"))
    assert one_shot.kind == "intent" and one_shot.utterance == cipher("start planks")
    assert enciphered_nlu.parse_invocation("open step coach") is None  # English is not it


# --- compounds -------------------------------------------------------------------------


def _nlu(samples: dict[str, list[str]], values: dict[str, list[str]], table: dict, algorithm: str):
    intents = [{"name": name, "samples": texts} for name, texts in samples.items()]
    intents.append(
        {"name": "StartWorkoutIntent", "slots": [{"name": "exercise", "type": "EXERCISE"}],
         "samples": ["start {exercise}", "doe {exercise}", "mach {exercise}"]}
    )  # fmt: skip
    types = [
        {
            "name": "EXERCISE",
            "values": [
                {"id": value_id, "name": {"value": names[0], "synonyms": names[1:]}}
                for value_id, names in values.items()
            ],
        }
    ]
    model = {"languageModel": {"invocationName": "stap coach", "intents": intents, "types": types}}
    return LocalNLU(
        model,
        "xx-XX",
        wording=Wording.from_data(table, stemmer(algorithm)),
        builtin_phrases={},
    )


DUTCH = {"function_words": ["ik", "de", "het", "voor", "mijn"], "compound_links": ["s", "en", "e"]}
GERMAN = {"function_words": ["ich", "die", "der", "wie"], "compound_links": ["s", "es", "n", "en"]}


@pytest.fixture(scope="module")
def dutch() -> LocalNLU:
    return _nlu(
        {
            "ProtectKneesIntent": ["hoe voorkom ik knieblessures", "ik wil bilspier oefeningen"],
            "PainIntent": ["mijn knie doet pijn"],
        },
        {
            "glute_bridge": ["bilbrug", "glute bridge"],
            "side_leg_raise": ["zijwaartse beenheffingen"],
        },
        DUTCH,
        "dutch",
    )


@pytest.fixture(scope="module")
def german() -> LocalNLU:
    return _nlu(
        {"ProtectKneesIntent": ["wie beuge ich Knieverletzungen vor"],
         "PainIntent": ["ich habe Rückenschmerzen"]},
        {"regular_pushups": ["Liegestütze", "Push-ups"], "glute_bridge": ["Beckenheben"]},
        GERMAN,
        "german",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("language", "said", "intent", "value"),
    [
        ("dutch", "hoe voorkom ik knie blessures", "ProtectKneesIntent", None),  # split form
        ("dutch", "hoe voorkom ik knieblessures", "ProtectKneesIntent", None),
        ("dutch", "ik wil bilspieroefeningen", "ProtectKneesIntent", None),  # the compound
        ("dutch", "start bil brug", "StartWorkoutIntent", "glute_bridge"),
        ("dutch", "start de zijwaartse been heffingen", "StartWorkoutIntent", "side_leg_raise"),
        ("dutch", "mijn knie doet pijn", "PainIntent", None),
        ("german", "Wie beuge ich Knie-Verletzungen vor?", "ProtectKneesIntent", None),
        ("german", "wie beuge ich knie verletzungen vor", "ProtectKneesIntent", None),
        ("german", "ich habe Rücken Schmerzen", "PainIntent", None),
        ("german", "mach Liege Stütze", "StartWorkoutIntent", "regular_pushups"),
        ("german", "mach Becken heben", "StartWorkoutIntent", "glute_bridge"),
        ("german", "mach push ups", "StartWorkoutIntent", "regular_pushups"),
    ],
)
def test_compounds_meet_their_split_forms(request, language, said, intent, value) -> None:
    result = request.getfixturevalue(language).understand(said)
    assert result.intent == intent, result.explain()
    assert result.score > 0.9, result.explain()
    if value:
        assert result.slots["exercise"].id == value


def _splitter(table: dict, algorithm: str, known: list[str]) -> Callable[[str], tuple]:
    reading = Wording.from_data(table, stemmer(algorithm))
    keys = [reading.key_of(word) for word in known]
    splitter = Decompounder(reading, keys)
    return lambda word: tuple(reading.key_of(part) for part in splitter.parts(word))


def test_a_compound_splits_into_known_words_with_a_linking_letter() -> None:
    parts = _splitter(GERMAN, "german", ["arbeit", "tipps", "knie", "schmerzen", "tag", "ziel"])
    assert parts("arbeitstipps") == ("arbeit", "tipps")  # the linking "s"
    assert len(parts("tageslicht")) == 1  # "licht" is no word of the model
    assert parts("tagesziel") == ("tag", "ziel")
    assert parts("knieschmerzen") == ("knie", "schmerz")
    assert len(parts("knieschiene")) == 1  # "schiene" is no word of the model


def test_a_language_without_compound_links_splits_nothing() -> None:
    parts = _splitter({}, "plural", ["push", "ups", "glute"])
    assert parts("pushups") == ("pushup",)


# --- case tables per language -----------------------------------------------------------


def _table_file(language: str) -> Path:
    """English's table is tests/nlu_cases.toml (test_nlu.py runs it case by case); each
    other language's is tests/nlu_cases_<lang>.toml."""
    name = "nlu_cases.toml" if language == DEFAULT_LANGUAGE else f"nlu_cases_{language}.toml"
    return TESTS / name


@pytest.mark.parametrize("language", sorted(content_languages()))
def test_every_language_reads_its_case_table(language: str) -> None:
    path = _table_file(language)
    assert path.is_file(), f"{language} has no NLU case table: {path.name}"
    cases = tomllib.loads(path.read_text(encoding="utf-8"))["case"]
    assert len(cases) >= 40
    wrong = []
    for case in cases:
        nlu = LocalNLU.for_locale(case.get("locale") or language_data(language)["locales"][0])
        elicit = tuple(case["elicit"]) if "elicit" in case else None
        result = nlu.understand(case["say"], elicit=elicit, question=case.get("question", False))
        resolved = {name: slot.id for name, slot in result.slots.items() if slot.id is not None}
        unresolved = {name: slot.value for name, slot in result.slots.items() if slot.id is None}
        want = (case["intent"], case.get("slots", {}), case.get("raw", {}))
        if (result.intent, resolved, unresolved) != want:
            wrong.append(f"{case['say']!r} -> {result.explain()}")
    assert not wrong, "\n".join(wrong)
