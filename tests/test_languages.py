"""Languages are data: every one complete, each spoken from its own files, any new one too.

The conversation (:mod:`tests.support.languages`) runs in every locale of every language
present, through the endpoint, and once more in a language that exists only as a copy of
English in a temporary folder, with the settings pointing there and no code changed.
"""

from __future__ import annotations

import json
import logging
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from skill import settings
from skill.alexa.ssml_rules import validate_alexa_ssml
from skill.coach.catalog import catalog_for
from skill.coach.completeness import LanguageError, check_languages
from skill.coach.language import all_locales, content_languages, language_of
from skill.coach.locales import DEFAULT_LANGUAGE, fallback_chain
from skill.coach.speech import SpeechRenderer
from skill.coach.step_coach import StepCoach
from tests.support import alexa, languages

LOCALES = all_locales()
ENGLISH = catalog_for(DEFAULT_LANGUAGE)


def check_conversation(answers: list[dict], wanted: list[list[str]]) -> None:
    """Valid speech in every answer, each turn's words of the content, and the session's
    course: paused at the pause, ended at the stop, resumed in the next session."""
    assert len(answers) == len(languages.TURNS) == len(wanted)
    for (name, _), answer, words in zip(languages.TURNS, answers, wanted, strict=True):
        speech = alexa.speech_of(answer)
        assert validate_alexa_ssml(speech) == [], name
        plain = alexa.plain(speech)
        for expected in words:
            assert expected in plain, f"{name}: {expected!r} not in {plain!r}"
    paused, resumed, stopped = answers[4], answers[5], answers[6]
    assert paused["sessionAttributes"]["workout"]["paused"] is True
    assert resumed["sessionAttributes"]["workout"]["paused"] is False
    assert stopped["response"]["shouldEndSession"] is True
    assert answers[-1]["sessionAttributes"]["workout"]["step"] == 1  # where it stopped


def test_every_language_has_everything_the_default_language_has() -> None:
    assert DEFAULT_LANGUAGE in content_languages()
    assert check_languages() == []


@pytest.mark.parametrize("locale", list(LOCALES))
def test_a_conversation_in_every_locale_over_the_endpoint(locale: str, tmp_path: Path) -> None:
    catalog = catalog_for(language_of(locale))
    answers = languages.converse(locale, tmp_path / "store.sqlite3")
    check_conversation(answers, languages.expected(catalog))
    if language_of(locale) != DEFAULT_LANGUAGE:  # its own words, not English ones
        spoken = " ".join(alexa.plain(alexa.speech_of(answer)) for answer in answers)
        for words in languages.expected(ENGLISH):
            for english in words:
                assert english not in spoken, f"{locale} says English: {english!r}"


# One locale of each language (a locale folder of its own besides), all paces of the others.
SWEPT = sorted({language_of(code): code for code in reversed(list(LOCALES))}.values())


def _talk(locale: str, *turns: str) -> list[dict]:
    """The coach's answers to one session of requests (intents, or "LaunchRequest")."""
    coach, attributes, answers = StepCoach(), {}, []
    for number, name in enumerate(turns):
        kind = {"request_type": name} if name == "LaunchRequest" else {"intent": name}
        request = alexa.envelope(**kind, attributes=attributes, new=number == 0, locale=locale)
        answers.append(coach.handle(request))
        attributes = answers[-1].get("sessionAttributes") or {}
    return answers


@pytest.mark.parametrize("locale", SWEPT)
def test_an_unclear_answer_to_the_pain_question_asks_it_again_in_every_language(
    locale: str,
) -> None:
    """Pain mid-workout asks whether to stop for today; words that answer neither get the
    question again in the language, still pending, so the "yes" after them stops."""
    turns = ("ProtectKneesIntent", "PainIntent", "AMAZON.FallbackIntent", "AMAZON.YesIntent")
    _, pain, unclear, stopped = _talk(locale, *turns)
    reprompt = pain["response"]["reprompt"]["outputSpeech"]["ssml"]
    question = alexa.plain(reprompt).split("?")[0] + "?"  # "Shall we stop for today?"
    assert pain["sessionAttributes"]["question"] == "pain"
    assert unclear["sessionAttributes"]["question"] == "pain", locale
    assert unclear["response"]["shouldEndSession"] is False
    assert question in alexa.plain(alexa.speech_of(unclear)), (locale, question)
    assert alexa.plain(alexa.speech_of(unclear)) != alexa.plain(alexa.speech_of(pain))
    assert validate_alexa_ssml(alexa.speech_of(unclear)) == []
    assert stopped["response"]["shouldEndSession"] is True, locale


@pytest.mark.parametrize("locale", SWEPT)
def test_an_unclear_answer_to_an_offer_asks_it_again_in_every_language(locale: str) -> None:
    """ "Shall we start the knee routine?" answered with words that say neither: the offer
    again, named in the language, and the "yes" after it starts the routine."""
    turns = ("LaunchRequest", "AMAZON.FallbackIntent", "AMAZON.YesIntent")
    _, unclear, started = _talk(locale, *turns)
    catalog = catalog_for(language_of(locale))
    routine = catalog.routines[catalog.knee_routine]
    assert routine.name in alexa.plain(alexa.speech_of(unclear)), locale
    assert validate_alexa_ssml(alexa.speech_of(unclear)) == []
    assert routine.intro in alexa.plain(alexa.speech_of(started)), locale


@pytest.mark.parametrize("locale", SWEPT)
def test_every_state_answers_valid_alexa_output_in_every_language(
    locale: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The every-state sweep, its slot values in the language: valid SSML, reprompt, card,
    sizes, and no handler failing (the apology is the only error path, and it logs)."""
    coach = StepCoach(renderer=SpeechRenderer(compiled=None, rng=random.Random(3)))
    answered = 0
    with caplog.at_level(logging.ERROR):
        for where, request in languages.sweep(locale):
            body = coach.handle(request)["response"]
            ssml = body["outputSpeech"]["ssml"]
            assert validate_alexa_ssml(ssml) == [] and len(ssml) < 8000, where
            assert body["card"]["content"] and body["card"]["title"], where
            if not body.get("shouldEndSession"):
                assert validate_alexa_ssml(body["reprompt"]["outputSpeech"]["ssml"]) == [], where
            answered += 1
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert answered > 5000


def _run(code: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *code],
        cwd=settings.PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")


# What the throwaway language says differently from the English it was copied from.
OWN_CUE = "Lie down on the throwaway mat"
OWN_PAUSE = "Take all the time the throwaway language gives you."
THROWAWAY = """
import json, sys
from pathlib import Path
from skill.coach.completeness import check_languages
from skill.coach.interaction_model import write_models
from tests.support.languages import converse
out = Path(sys.argv[1])
print(json.dumps({
    "problems": check_languages(),
    "models": {path.name: json.loads(path.read_text()) for path in write_models(out)},
    "answers": converse("xx-XX", out / "store.sqlite3"),
}))
"""


def test_a_language_copied_into_a_folder_is_spoken_with_no_code_change(tmp_path: Path) -> None:
    content, templates, out = tmp_path / "content", tmp_path / "templates", tmp_path / "out"
    shutil.copytree(settings.CONTENT_DIR, content)
    shutil.copytree(settings.SPEECH_TEMPLATES_DIR, templates)
    shutil.copytree(content / DEFAULT_LANGUAGE, content / "xx")
    shutil.copytree(templates / DEFAULT_LANGUAGE, templates / "xx")
    out.mkdir()
    own = content / "xx" / "language.toml"
    _replace(own, 'invocation_name = "step coach"', 'invocation_name = "proef coach"')
    _replace(own, 'locales = ["en-US", "en-GB", "en-CA", "en-AU", "en-IN"]', 'locales = ["xx-XX"]')
    first_cue = ENGLISH.plan(ENGLISH.knee_routine).steps[0].step.cue
    _replace(content / "xx" / "catalog.toml", "Lie on your back", OWN_CUE)
    _replace(templates / "xx" / "paused.ssml.j2", "Take your time.", OWN_PAUSE)
    env = {
        **os.environ,
        settings.CONTENT_DIR_SETTING: str(content),
        settings.SPEECH_TEMPLATES_DIR_SETTING: str(templates),
    }

    ran = _run(["-c", THROWAWAY, str(out)], env)
    assert ran.returncode == 0, ran.stderr[-2000:]
    result = json.loads(ran.stdout)
    assert result["problems"] == []
    model = result["models"]["xx-XX.json"]["interactionModel"]["languageModel"]
    assert model["invocationName"] == "proef coach"
    assert {"ProtectKneesIntent", "AMAZON.PauseIntent"} <= {i["name"] for i in model["intents"]}
    wanted = languages.expected(ENGLISH)
    wanted[1] = [ENGLISH.routines[ENGLISH.knee_routine].intro, OWN_CUE]
    wanted[4] = [OWN_PAUSE]
    check_conversation(result["answers"], wanted)
    assert first_cue.startswith("Lie on your back")  # what the copy changed
    assert "Lie on your back" not in alexa.plain(alexa.speech_of(result["answers"][1]))

    # Take a template, a block and a step away: the check names each, the build refuses.
    (templates / "xx" / "help.ssml.j2").unlink()
    _replace(templates / "xx" / "paused.ssml.j2", "{% block reprompt", "{% block heard_again")
    _replace(content / "xx" / "catalog.toml", f'cue = "{OWN_CUE}', f'hint = "{OWN_CUE}')
    checked = _run(["-m", "skill.coach.completeness", "xx"], env)
    assert checked.returncode == 1
    problems = checked.stderr.splitlines()
    assert "xx: templates/xx/help.ssml.j2: missing" in problems
    assert "xx: templates/xx/paused.ssml.j2: block reprompt missing" in problems
    assert "xx: xx/catalog.toml: exercises.glute_bridge.steps[1].cue: missing" in problems
    assert "xx: xx/catalog.toml: exercises.glute_bridge.steps[1].hint: not a key en has" in (
        problems
    )
    built = _run(["-m", "skill.interaction_model"], env)
    assert built.returncode == 1 and "xx: templates/xx/help.ssml.j2: missing" in built.stderr
    started = _run(
        ["-c", "from skill.coach.step_coach import StepCoach; StepCoach().warm_up()"], env
    )
    assert started.returncode == 1 and LanguageError.__name__ in started.stderr


@pytest.mark.parametrize("locale", ["fr-FR", "xx", "zz-" + "q" * 40, "../../etc", "\u00e9\x00"])
def test_a_locale_no_language_serves_is_answered_in_english_with_one_log_line(
    coach: StepCoach, locale: str, caplog: pytest.LogCaptureFixture
) -> None:
    assert language_of(locale) == DEFAULT_LANGUAGE  # no language here serves it
    with caplog.at_level(logging.INFO, logger="skill.coach.language"):
        answer = coach.handle(alexa.envelope(locale=locale))
    assert ENGLISH.safety in alexa.plain(alexa.speech_of(answer))
    lines = [r for r in caplog.records if r.name == "skill.coach.language"]
    assert len(lines) == 1 and "not served" in lines[0].getMessage()


@pytest.mark.parametrize(
    "locale", [code for code, lang in LOCALES.items() if lang == DEFAULT_LANGUAGE]
)
def test_every_english_locale_is_served_as_itself(
    coach: StepCoach, locale: str, caplog: pytest.LogCaptureFixture
) -> None:
    """No fallback line for a locale the content lists; en-GB keeps its own phrasing."""
    with caplog.at_level(logging.INFO, logger="skill.coach.language"):
        answer = coach.handle(alexa.envelope(locale=locale))
    assert not [r for r in caplog.records if r.name == "skill.coach.language"]
    assert ENGLISH.safety in alexa.plain(alexa.speech_of(answer))
    own = (settings.SPEECH_TEMPLATES_DIR / locale).is_dir()  # en-GB: its own phrases first
    chain = fallback_chain(locale, coach.renderer.locales())
    assert chain == ((locale, DEFAULT_LANGUAGE) if own else (DEFAULT_LANGUAGE,))
