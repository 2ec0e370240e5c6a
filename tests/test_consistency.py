"""Consistency: models, handlers, templates and content agree, and every response is valid."""

from __future__ import annotations

import json
import random

import jinja2
import pytest

from skill.alexa.ssml_rules import validate_alexa_ssml
from skill.coach import handlers, screen
from skill.coach.catalog import catalog_for, default_catalog
from skill.coach.interaction_model import build_model, model_path, render_model
from skill.coach.language import all_locales, content_languages, language_data, language_of
from skill.coach.locales import fallback_chain
from skill.coach.pacing import PACES
from skill.coach.speech import (
    LIBRARIES,
    TEMPLATE_SUFFIX,
    SpeechRenderer,
    compile_templates,
)
from skill.coach.step_coach import StepCoach
from skill.settings import SPEECH_TEMPLATES_DIR
from tests.support import alexa, apl_suggester
from tests.support.apl import check_document
from tests.support.conversations import screen_directives

LOCALES = list(all_locales())  # every locale of every language
# Custom intents people phrase in many ways: each needs at least twenty samples.
CUSTOM_INTENTS = [
    "StartWorkoutIntent",
    "ProtectKneesIntent",
    "ExplainIntent",
    "ListExercisesIntent",
    "ProgressIntent",
    "PainIntent",
    "TiredIntent",
    "EasierIntent",
    "HarderIntent",
    "WhichExerciseIntent",
    "MusclesIntent",
    "WhyExerciseIntent",
    "RepsIntent",
    "HoldIntent",
    "RestIntent",
    "RemainingIntent",
    "AboutExerciseIntent",
]
MAX_RESPONSE_BYTES = 24 * 1024
# With a screen: the document and its datasource come on top (Alexa's limit is 120 KB).
MAX_SCREEN_RESPONSE_BYTES = 48 * 1024


def model_intents(locale: str) -> dict[str, dict]:
    with model_path(locale).open(encoding="utf-8") as handle:
        model = json.load(handle)
    return {i["name"]: i for i in model["interactionModel"]["languageModel"]["intents"]}


@pytest.mark.parametrize("locale", LOCALES)
def test_every_model_intent_has_a_handler_and_back(locale: str) -> None:
    assert set(model_intents(locale)) == handlers.HANDLED_INTENTS


@pytest.mark.parametrize("locale", LOCALES)
def test_models_on_disk_match_the_catalog(locale: str) -> None:
    """Fails on any drift: regenerate with `python -m skill.interaction_model`."""
    model = build_model(locale, language=language_of(locale))
    assert model_path(locale).read_text(encoding="utf-8") == render_model(model)


@pytest.mark.parametrize("locale", LOCALES)
def test_custom_intents_have_twenty_varied_samples(locale: str) -> None:
    intents = model_intents(locale)
    for name in CUSTOM_INTENTS:
        samples = intents[name]["samples"]
        assert len(samples) >= 20, name
        assert len(set(samples)) == len(samples), name
    for intent in intents.values():
        for sample in intent["samples"]:
            assert not any(char.isdigit() for char in sample), sample
            assert sample == sample.strip() and "  " not in sample, sample


def _folded(sample: str) -> str:
    """A sample as Alexa compares them: case, punctuation and spacing folded."""
    kept = "".join(char if char.isalnum() or char in "{}" else " " for char in sample.casefold())
    return " ".join(kept.split())


@pytest.mark.parametrize("locale", LOCALES)
def test_no_sample_belongs_to_two_intents(locale: str) -> None:
    """Alexa flags one utterance in two intents ("I need a rest": tired, or a pause?)."""
    owners: dict[str, set[str]] = {}
    for name, intent in model_intents(locale).items():
        for sample in intent["samples"]:
            owners.setdefault(_folded(sample), set()).add(name)
    shared = {sample: sorted(names) for sample, names in owners.items() if len(names) > 1}
    assert not shared, shared


def test_samples_are_compared_as_alexa_folds_them() -> None:
    assert _folded("I need a Rest.") == _folded("i need a  rest") == "i need a rest"
    assert _folded("How's {exercise}?") == "how s {exercise}"


@pytest.mark.parametrize("language", sorted(content_languages()))
def test_slot_values_are_the_catalog(language: str) -> None:
    catalog = catalog_for(language)
    locale = language_data(language)["locales"][0]
    model = build_model(locale, language=language)["interactionModel"]["languageModel"]
    types = {t["name"]: t["values"] for t in model["types"]}
    assert {v["id"] for v in types["EXERCISE"]} == catalog.exercises.keys() | catalog.routines
    assert {v["id"] for v in types["TOPIC"]} == set(catalog.topics)
    assert {v["id"] for v in types["PACE"]} == set(PACES)
    # Every spoken value resolves back to its own id through the catalog's matcher.
    for value in types["EXERCISE"]:
        for spoken in [value["name"]["value"], *value["name"]["synonyms"]]:
            assert catalog.find_workout(spoken) == value["id"], spoken
    for value in types["TOPIC"]:
        for spoken in [value["name"]["value"], *value["name"]["synonyms"]]:
            assert catalog.find_topic(spoken) == value["id"], spoken


def test_elicited_slots_have_dialog_prompts() -> None:
    model = build_model("en-GB")["interactionModel"]
    prompt_ids = {p["id"] for p in model["prompts"]}
    elicited = {i["name"]: i["slots"][0]["name"] for i in model["dialog"]["intents"]}
    assert elicited == {"StartWorkoutIntent": "exercise", "ExplainIntent": "topic"}
    for intent in model["dialog"]["intents"]:
        assert intent["slots"][0]["prompts"]["elicitation"] in prompt_ids


def test_every_locale_finds_every_template() -> None:
    renderer = SpeechRenderer()
    default_keys = set(renderer.keys)
    for folder in SPEECH_TEMPLATES_DIR.iterdir():
        names = {p.name.removesuffix(TEMPLATE_SUFFIX) for p in folder.glob(f"*{TEMPLATE_SUFFIX}")}
        orphans = {n for n in names if not n.startswith("_")} - default_keys
        assert not orphans, f"{folder.name} overrides templates en lacks: {orphans}"
    for locale in LOCALES:
        assert fallback_chain(locale, renderer.locales())[-1] == language_of(locale)
        renderer.preload(locale)


def test_locale_fallback_chain() -> None:
    folders = ["en", "en-GB", "nl", "de-DE"]
    assert fallback_chain("en-GB", folders) == ("en-GB", "en")
    assert fallback_chain("en-US", folders) == ("en",)
    assert fallback_chain("nl-NL", folders) == ("nl",)  # a language speaks from its own
    assert fallback_chain("de-DE", folders) == ("de-DE", "en")
    assert fallback_chain("de-AT", folders) == ("en",)  # no "de" folder: English
    assert fallback_chain("en_gb", folders) == ("en-GB", "en")
    for stranger in ("fr-FR", "ja-JP", "../../etc", "en/../../etc", "x" * 100_000, None, 7, ""):
        assert fallback_chain(stranger, folders) == ("en",)
    assert fallback_chain("fr-FR", ["fr"]) == ("fr",)
    assert fallback_chain("fr-FR", []) == ()


@pytest.mark.parametrize("locale", ["fr-FR", "en_US", "ja-JP", "../../etc", "x" * 1000, "en-IN"])
def test_content_language_is_matched_never_built_from_the_locale(locale: str) -> None:
    assert language_of(locale) == "en"
    with pytest.raises(LookupError):
        language_data("../../etc")


def test_en_gb_overrides_phrases_and_falls_back_for_the_rest() -> None:
    # Pin the choice to the second option: en-GB and en differ there.
    class Second(random.Random):
        def choice(self, seq):  # type: ignore[override]
            return seq[1]

    renderer = SpeechRenderer(rng=Second())

    def launch(locale: str) -> str:
        data = {"say_safety": False, "safety": "", "resume": None, "returning": False}
        return renderer.render("launch", locale, **data).speech

    assert "Hiya" in launch("en-GB")
    assert "Hi, this" in launch("en-US")
    assert "Hi, this" in launch("en-AU")


def test_phrases_vary_but_a_seed_pins_them() -> None:
    def greeting(seed: int) -> str:
        rendered = SpeechRenderer(rng=random.Random(seed)).render(
            "launch", "en-US", say_safety=False, safety="", resume=None, returning=False
        )
        return rendered.speech.split(".")[0]

    assert greeting(3) == greeting(3)
    assert len({greeting(seed) for seed in range(20)}) > 1


def test_templates_are_strict_and_escape_markup(renderer: SpeechRenderer) -> None:
    with pytest.raises(jinja2.UndefinedError, match="'plan' is undefined"):
        renderer.render("goodbye", "en-US")  # plan and index are missing
    rendered = renderer.render(
        "unknown_topic", "en-US", value='<audio src="x"/> AT&T', catalog=default_catalog()
    )
    assert "<audio" not in rendered.speech
    assert "AT&amp;T" in rendered.speech
    assert validate_alexa_ssml(rendered.speech) == []


# --- every response on every path -------------------------------------------------------
@pytest.fixture(scope="module")
def swept() -> list[tuple[str, dict, dict]]:
    """The sweep answered from the template sources, with a fresh seeded renderer."""
    coach = StepCoach(renderer=SpeechRenderer(compiled=None, rng=random.Random(3)))
    return [(where, request, coach.handle(request)) for where, request in alexa.sweep()]


def test_every_response_on_every_path_is_valid_alexa_output(swept) -> None:
    """Every request in every state, pace and locale: valid SSML, reprompt, card, sizes."""
    for where, _, response in swept:
        body = response["response"]
        ssml = body["outputSpeech"]["ssml"]
        assert validate_alexa_ssml(ssml) == [], where
        assert len(ssml) < 8000, where
        assert len(json.dumps(response).encode()) < MAX_RESPONSE_BYTES, where
        assert body["card"]["content"] and body["card"]["title"], where
        if not body.get("shouldEndSession"):
            assert validate_alexa_ssml(body["reprompt"]["outputSpeech"]["ssml"]) == []
    assert len(swept) > 5000


def test_what_a_runner_asks_or_says_is_never_the_fallback_in_any_state(swept) -> None:
    """Pain, tiredness, easier, harder and every question, in every state of the sweep:
    an answer, not "didn't catch that"; pain always with the safety advice."""
    asked = {name for name, _ in alexa.COACHING_REQUESTS}
    answered = 0
    for where, _, response in swept:
        name = where.split(" in ", 1)[0]
        if name not in asked:
            continue
        words = alexa.plain(alexa.speech_of(response)).lower()
        assert "didn't catch that" not in words and "can't help with that" not in words, where
        assert "something went wrong" not in words, where
        if name.startswith("pain"):
            assert "sharp pain" in words and "physiotherapist" in words, where
        answered += 1
    assert answered > 5000


def test_no_request_of_the_sweep_is_answered_as_a_fallback_or_an_error(swept) -> None:
    """Only a FallbackIntent gets the fallback's words; nothing gets the error apology."""
    fallback = ("didn't catch that", "can't help with that")
    for where, request, response in swept:
        words = alexa.plain(response["response"].get("outputSpeech", {}).get("ssml", ""))
        assert "something went wrong" not in words, where
        if request["request"].get("intent", {}).get("name") != "AMAZON.FallbackIntent":
            assert not any(phrase in words for phrase in fallback), where


def test_every_path_on_a_screen_shows_a_valid_screen(coach) -> None:
    """The sweep again on an Echo Show: one RenderDocument whenever the session stays open,
    whose bindings all resolve. Cheaper than the voice sweep: one pace (the others change
    only timings) and each kind of screen checked once per state.
    """
    checked = 0
    catalog = default_catalog()
    sent: dict[str, tuple[dict, dict]] = {}  # one of each screen, for Amazon's own checks too
    for attributes in alexa.sweep_states():
        if attributes.get("pace", "normal") != "normal":
            continue
        seen: set[str] = set()
        for name, spec in alexa.sweep_requests():
            response = coach.handle(alexa.envelope(attributes=attributes, screen=True, **spec))
            body = response["response"]
            shown = screen_directives(response)
            ends = body.get("shouldEndSession") or any(
                d["type"] == "Dialog.ElicitSlot" for d in body.get("directives", [])
            )
            assert len(shown) == (0 if ends else 1), f"{name} in {attributes}"
            assert len(json.dumps(response).encode()) < MAX_SCREEN_RESPONSE_BYTES, name
            properties = shown[0]["datasources"]["screen"]["properties"] if shown else {}
            for target in [*properties.get("buttons", []), *properties.get("choices", [])]:
                # A screen's touch targets are the actions its kind takes (the rest get a hint).
                assert target["action"] in screen.ACTIONS[screen.kind_of(properties["token"])]
                # Every touch target is one the skill answers, with an id it knows.
                if target["action"] == "start":
                    assert catalog.is_workout(target["target"]), target
                elif target["action"] == "explain":
                    assert target["target"] in catalog.topics, target
                else:
                    assert target["action"] in handlers.TOUCHES and not target["target"], target
            if shown and shown[0]["document"]["description"] not in seen:
                seen.add(shown[0]["document"]["description"])
                directive = shown[0]
                assert check_document(directive["document"], directive["datasources"]) == []
                sent[f"{name} in {attributes}"] = (directive["document"], directive["datasources"])
                checked += 1
    assert checked > 200
    assert apl_suggester.validate(sent) == {where: [] for where in sent}


def test_precompiled_templates_answer_byte_for_byte_as_the_sources(swept, tmp_path) -> None:
    """The Lambda package's precompiled templates: the whole sweep, identical bytes."""
    folders = compile_templates(tmp_path)
    assert sorted(folder.name for folder in folders) == SpeechRenderer().locales()
    for folder in folders:  # every template of the locale's chain, libraries included
        assert len(list(folder.glob("tmpl_*.py"))) == len(SpeechRenderer().keys) + len(LIBRARIES)
    compiled = SpeechRenderer(compiled=tmp_path, rng=random.Random(3))
    from_modules = StepCoach(renderer=compiled)
    for where, request, expected in swept:
        assert json.dumps(from_modules.handle(request)) == json.dumps(expected), where
    loaders = {type(speech.environment.loader) for speech in compiled._chains.values()}
    assert loaders == {jinja2.ModuleLoader}
