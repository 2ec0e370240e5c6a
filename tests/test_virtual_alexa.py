"""The conversation said in words, in English, Dutch and German, through virtual-alexa.

Bespoken's ``virtual-alexa`` (:mod:`tests.support.virtual_alexa`) loads the locale's
interaction model from ``interaction_models/``, resolves each utterance by the model's own
samples and slot values, and posts the envelope it builds to the endpoint, served by
gunicorn with verification explicitly off and a SQLite store, so the next session
remembers the last. One server for every locale, one Node process per conversation.

It accepts the nl-NL and de-DE models as they are (its ``locale`` only sets the
envelope's locale; the model's words are read as Unicode text, umlauts and all). What it
cannot stand in for, and so what these tests do not claim:

- Built-in intents: Alexa hears "ja", "nee", "volgende" or "Stopp" as AMAZON.YesIntent,
  NoIntent, NextIntent and StopIntent from Amazon's own samples in every locale;
  virtual-alexa knows only English ones ("yes", "next", "stop"). So every utterance here
  is one of the model's own samples, in the locale's words.
- Opening the skill: its ``utter()`` takes any phrase holding "open", "ask" or "tell" for
  "Alexa, open ..." (English only, and Dutch "hardlopen" holds "open"), so the driver
  sends a LaunchRequest for a launch and resolves every other phrase by the model.
- It drops hyphens from what is said before matching ("push-ups" becomes "pushups").
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from skill import settings
from skill.alexa.ssml_rules import validate_alexa_ssml
from skill.coach.catalog import Catalog, Plan, catalog_for
from skill.coach.language import language_of
from skill.coach.locales import DEFAULT_LANGUAGE
from tests.support import alexa, servers, virtual_alexa
from tests.support.virtual_alexa import LAUNCH


def _plan(catalog: Catalog) -> Plan:
    return catalog.plan(catalog.routines[catalog.knee_routine].id)


def _cue(number: int) -> Callable[[Catalog], list[str]]:
    return lambda catalog: [_plan(catalog).steps[number].step.cue]


def _not_medical_advice(catalog: Catalog) -> list[str]:
    """The first sentence of the safety line: the pain answer says it whatever else it says."""
    return [catalog.safety.split(". ")[0]]


# One conversation: (the intent the model must resolve, what each locale says, the words
# of the language's own content its answer must hold).
TURNS: tuple[tuple[str, dict[str, str], Callable[[Catalog], list[str]]], ...] = (
    ("LaunchRequest", {"en-US": LAUNCH, "nl-NL": LAUNCH, "de-DE": LAUNCH},
     lambda catalog: [catalog.safety]),
    ("ProtectKneesIntent",
     {"en-US": "I want to protect my knees", "nl-NL": "ik wil mijn knieën beschermen",
      "de-DE": "ich will meine Knie schützen"},
     lambda catalog: [catalog.routines[catalog.knee_routine].intro, *_cue(0)(catalog)]),
    ("AMAZON.NextIntent",
     {"en-US": "next step", "nl-NL": "volgende stap", "de-DE": "nächster Schritt"},
     _cue(1)),
    ("WhichExerciseIntent",
     {"en-US": "what exercise is this", "nl-NL": "hoe heet deze oefening",
      "de-DE": "wie heißt diese Übung"},
     lambda catalog: [_plan(catalog).steps[1].exercise.name]),
    ("PainIntent",
     {"en-US": "my knee hurts", "nl-NL": "mijn knie doet pijn", "de-DE": "mein Knie tut weh"},
     _not_medical_advice),
    ("AMAZON.PauseIntent",
     {"en-US": "hold on", "nl-NL": "wacht even", "de-DE": "warte kurz"},
     lambda catalog: []),
    ("AMAZON.ResumeIntent",
     {"en-US": "carry on", "nl-NL": "ga verder", "de-DE": "mach weiter"},
     _cue(1)),
    ("AMAZON.StopIntent",
     {"en-US": "that's enough", "nl-NL": "het is genoeg zo", "de-DE": "das reicht"},
     lambda catalog: []),
    ("LaunchRequest", {"en-US": LAUNCH, "nl-NL": LAUNCH, "de-DE": LAUNCH},  # the next session
     lambda catalog: [catalog.routines[catalog.knee_routine].name]),
    ("AMAZON.YesIntent",
     {"en-US": "yes please", "nl-NL": "ja graag", "de-DE": "ja bitte"},
     _cue(1)),
)  # fmt: skip
LOCALES = ("en-US", "nl-NL", "de-DE")
PAIN, PAUSE, RESUME, STOP, AGAIN, TAKEN_UP = 4, 5, 6, 7, 8, 9


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The endpoint under gunicorn, verification explicitly off, a store of its own."""
    store = tmp_path_factory.mktemp("virtual-alexa") / "store.sqlite3"
    env = {settings.VERIFY: "0", settings.STORE: "sqlite", settings.DB: str(store)}
    with servers.gunicorn(env=env, workers=1) as server:
        yield server.url


@pytest.mark.parametrize("locale", LOCALES)
def test_the_conversation_said_in_each_language(endpoint: str, locale: str) -> None:
    said = [utterances[locale] for _, utterances, _ in TURNS]
    lines = virtual_alexa.converse(endpoint, locale, said)
    unheard = [line["said"] for line in lines if line.get("unmatched")]
    assert not unheard, f"no sample of the {locale} model resolves {unheard}"
    heard = [(line["said"], line["intent"]) for line in lines]
    assert heard == [(words[locale], intent) for intent, words, _ in TURNS]

    catalog = catalog_for(language_of(locale))
    answers = [line["response"] for line in lines]
    for (intent, _, wanted), answer in zip(TURNS, answers, strict=True):
        speech = alexa.speech_of(answer)
        assert answer["version"] == "1.0" and validate_alexa_ssml(speech) == [], intent
        plain = alexa.plain(speech)
        for words in wanted(catalog):
            assert words in plain, f"{locale} {intent}: {words!r} not in {plain!r}"
    assert lines[PAIN]["slots"] == {"part": said[PAIN].split()[1]}  # "knee", "knie", "Knie"
    workout = [(answer.get("sessionAttributes") or {}).get("workout") for answer in answers]
    assert workout[PAUSE]["paused"] is True and workout[RESUME]["paused"] is False
    assert answers[STOP]["response"]["shouldEndSession"] is True
    assert not any(answer["response"].get("shouldEndSession") for answer in answers[AGAIN:])
    assert workout[TAKEN_UP] == {**workout[STOP], "paused": False}  # the step it stopped on
    assert workout[TAKEN_UP]["step"] == 1

    if language_of(locale) != DEFAULT_LANGUAGE:  # its own words, never English ones
        english = catalog_for(DEFAULT_LANGUAGE)
        spoken = " ".join(alexa.plain(alexa.speech_of(answer)) for answer in answers)
        for _, _, wanted in TURNS:
            for words in wanted(english):
                assert words not in spoken, f"{locale} says English: {words!r}"


def test_a_phrase_no_sample_covers_is_reported_not_sent(endpoint: str) -> None:
    lines = virtual_alexa.converse(endpoint, "nl-NL", [LAUNCH, "de kat krabt de krullen"])
    assert lines[0]["intent"] == "LaunchRequest"
    assert lines[1] == {"said": "de kat krabt de krullen", "unmatched": True}


def test_a_locale_without_a_model_is_a_clear_error(endpoint: str) -> None:
    with pytest.raises(ValueError, match="no interaction model for 'xx-XX'"):
        virtual_alexa.converse(endpoint, "xx-XX", [LAUNCH])
