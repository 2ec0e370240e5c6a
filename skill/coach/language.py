"""A language's words for talking to the coach: intents' samples, elicitations, slot words.

``content/language_<lang>.toml`` feeds the interaction models (and so Alexa's NLU and the
local runner's); the skill reads the same words when it must make sense of a raw slot
value itself, so a word is never listed twice.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from skill import content_files
from skill.coach.words import normalise
from skill.settings import CONTENT_DIR


@cache
def language_data(language: str = "en") -> dict[str, Any]:
    return content_files.load(CONTENT_DIR / f"language_{language}.toml")


def language_of(locale: str) -> str:
    """The content language of a locale: "en-GB" -> "en"."""
    return locale.split("-", 1)[0].lower() or "en"


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
