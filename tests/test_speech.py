"""The renderer: plain Jinja, and its paced-set cache (same words, varied praise, bounded)."""

from __future__ import annotations

import html
import itertools
import random
import re
import shutil

import pytest

from skill.coach import pacing
from skill.coach.catalog import catalog_for, default_catalog
from skill.coach.speech import PACED_VARIANTS, PacedSets, SpeechRenderer
from skill.settings import SPEECH_TEMPLATES_DIR

PRAISE = re.compile(r"<s>(?:And release\. )?([^<]*)</s>")


def paced_step():
    """A step of the knee routine with several sets (praise after each)."""
    plan = default_catalog().plan("protect_knees")
    return next(step for step in plan.steps if step.step.paced and step.sets > 1)


def praises(ssml: str, locale_options: set[str]) -> list[str]:
    found = (html.unescape(text) for text in PRAISE.findall(ssml))  # "That&#39;s it."
    return [text for text in found if text in locale_options]


def test_a_cached_paced_set_is_what_the_template_renders(renderer: SpeechRenderer) -> None:
    items = pacing.script(paced_step(), "normal")
    speech = renderer.speech("en-US")
    paced = speech.globals["paced"]
    fresh = {str(speech.globals["lib"].beats(items, v)) for v in range(PACED_VARIANTS)}
    seen = {str(paced(items)) for _ in range(200)}
    assert seen == fresh  # every variant, each exactly as rendered without the cache
    assert str(paced(items)) in fresh


@pytest.mark.parametrize(
    ("locale", "options"),
    [
        ("en-US", {"Nice work.", "Great job.", "Well done.", "Good work.", "That's it."}),
        ("en-GB", {"Nice work.", "Lovely.", "Well done.", "Good effort.", "Spot on."}),
    ],
)
def test_praise_between_sets_still_varies_and_is_the_locales(locale, options) -> None:
    renderer = SpeechRenderer(rng=random.Random(1))
    paced = renderer.speech(locale).globals["paced"]
    items = pacing.script(paced_step(), "normal")
    sets = sum(1 for beat in items if beat.kind in ("set_done", "release"))
    said = [praises(str(paced(items)), options) for _ in range(50)]
    assert all(len(praise) == sets for praise in said)  # one per set, all the locale's
    assert len({tuple(praise) for praise in said}) > 1  # and not the same every time


def test_a_seed_pins_the_paced_variant() -> None:
    items = pacing.script(paced_step(), "slow")

    def run(seed: int) -> list[str]:
        paced = SpeechRenderer(rng=random.Random(seed)).speech("en-US").globals["paced"]
        return [str(paced(items)) for _ in range(5)]

    assert run(4) == run(4)


def test_the_cache_stays_bounded_for_callers_that_pass_fresh_lists() -> None:
    speech = SpeechRenderer().speech("en-US")
    paced = PacedSets(speech.globals["lib"].beats, random.Random(2), limit=8)
    items = pacing.script(paced_step(), "fast")
    outputs = {str(paced(list(items))) for _ in range(100)}
    assert len(paced.cache) <= 8
    assert outputs == {str(speech.globals["lib"].beats(items, v)) for v in range(5)}


def test_the_hint_after_a_step_is_full_at_first_then_short_and_varied() -> None:
    """Amazon's design guide: adapt prompts as the user learns them, and vary them."""
    lib = SpeechRenderer(rng=random.Random(5)).library("en-US", "lib")
    hints = [
        html.unescape(re.sub(r"<[^>]+>", "", str(lib.navigation(n)))).strip() for n in range(9)
    ]
    full = "Say next when you're ready, repeat to hear it again, or go back."
    assert hints[:2] == [full, full]
    short = hints[2:]
    assert full not in short and all(len(hint) < len(full) for hint in short)
    assert len(set(short)) >= 4
    assert all(a != b for a, b in itertools.pairwise(short))  # never twice running
    again = SpeechRenderer(rng=random.Random(99)).library("en-US", "lib")
    assert [html.unescape(re.sub(r"<[^>]+>", "", str(again.navigation(n)))).strip()
            for n in range(9)] == hints  # fmt: skip


def test_a_hold_is_timed_by_its_paced_part_and_no_cue_says_its_length() -> None:
    """ "Hold for 30 seconds, starting now" comes from the data; a cue repeating it (in
    words that a routine's own hold would contradict) would say it twice.
    """
    catalog = default_catalog()
    for exercise in catalog.exercises.values():
        for step in exercise.steps:
            if step.hold:
                assert not re.search(r"\bseconds?\b", step.cue), (exercise.id, step.cue)


def test_a_template_may_use_whatever_jinja_offers(tmp_path) -> None:
    """Filters, tests, includes and slices the old compiler refused, in a copy of the templates."""
    root = tmp_path / "speech_templates"
    shutil.copytree(SPEECH_TEMPLATES_DIR, root)
    (root / "en" / "_greeting.ssml.j2").write_text("Hello {{ name | default('friend') }}.")
    (root / "en" / "goodbye.ssml.j2").write_text(
        "{% block speech %}{% include '_greeting.ssml.j2' %} "
        "{{ words[:2] | join(', ') | lower }}{% if extra is defined %} {{ extra }}{% endif %}"
        "{% endblock %}"
    )
    renderer = SpeechRenderer(root, compiled=None)
    said = renderer.render("goodbye", "en-GB", words=["ONE", "Two", "three"], extra="<b>")
    assert said.speech == "<speak>Hello friend. one, two &lt;b&gt;</speak>"
    assert renderer.render("goodbye", "en-US", words=[]).speech == "<speak>Hello friend.</speak>"


@pytest.mark.parametrize("locale", ["en-US", "en-GB", "nl-NL", "de-DE"])
def test_a_goodbye_praises_the_effort_only_after_a_workout(locale: str) -> None:
    """ "Great effort today" after launching and stopping would be untrue: without a
    workout the goodbye is one of the others."""
    renderer = SpeechRenderer(rng=random.Random(7))
    praise = {"en": "effort", "nl": "gewerkt", "de": "Leistung"}[locale[:2]]
    plan = catalog_for(locale[:2]).plan("clamshell")
    idle = {renderer.render("goodbye", locale, plan=None).speech for _ in range(40)}
    worked = {renderer.render("goodbye", locale, plan=plan, index=1).speech for _ in range(40)}
    assert len(idle) == 3 and not any(praise in speech for speech in idle)
    assert any(praise in speech for speech in worked) and len(worked) == 4
