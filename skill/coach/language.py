"""A language's words for talking to the coach: intents' samples, elicitations, slot words.

``content/language_<lang>.toml`` feeds the interaction models (and so Alexa's NLU and the
local runner's); the skill reads the same words when it must make sense of a raw slot
value itself, so a word is never listed twice.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from skill import content_files
from skill.coach.locales import best_match
from skill.coach.words import normalise
from skill.settings import CONTENT_DIR

PREFIX = "language_"


@cache
def content_languages() -> frozenset[str]:
    """The languages with a content file (``language_<lang>.toml``, or its JSON twin)."""
    return frozenset(
        path.stem.removeprefix(PREFIX)
        for pattern in (f"{PREFIX}*.toml", f"{PREFIX}*.json")
        for path in CONTENT_DIR.glob(pattern)
    )


@cache
def language_data(language: str = "en") -> dict[str, Any]:
    if language not in content_languages():  # a name from the folder, never from a request
        raise LookupError(f"no content file for language {language!r}")
    return content_files.load(CONTENT_DIR / f"{PREFIX}{language}.toml")


def language_of(locale: str | None) -> str:
    """The content language a request's locale is served in: "en-GB" -> "en"."""
    return best_match(locale, content_languages())


@cache
def _slot_words(slot_type: str, language: str) -> dict[str, str]:
    values = language_data(language)["types"][slot_type]
    words = {normalise(value_id): value_id for value_id in values}
    for value_id, synonyms in values.items():
        for synonym in synonyms:
            words.setdefault(normalise(synonym), value_id)
    return words


def slot_value_id(slot_type: str, spoken: str, language: str = "en") -> str | None:
    """The id of the value of a language-defined slot type that ``spoken`` names, if any."""
    return _slot_words(slot_type, language).get(normalise(spoken))
