"""The languages the coach speaks: each one a folder of data, ``content/<lang>/``.

A language is the folders' business, never the code's: the languages are the folders under
the content directory that hold a ``language.toml`` (its invocation name, locales,
stemmer, intents' samples and slot words, which feed the interaction models and so
Alexa's NLU and the local runner's), beside its ``catalog.toml`` (what it says of the
universal catalog), ``phrases.toml`` (the built-in intents' everyday phrasings) and
``manifest.toml`` (the skill manifest's words). The skill reads the same words when it
must make sense of a raw slot value itself, so a word is never listed twice.
"""

from __future__ import annotations

import logging
from functools import cache
from pathlib import Path
from typing import Any

from skill import content_files
from skill.coach.locales import DEFAULT_LANGUAGE, best_match, language_part
from skill.coach.words import PLURAL, normalise
from skill.settings import CONTENT_DIR

log = logging.getLogger(__name__)

LANGUAGE_FILE = "language.toml"
# The other files of a language's folder.
CATALOG_TEXT_FILE = "catalog.toml"
PHRASES_FILE = "phrases.toml"
MANIFEST_FILE = "manifest.toml"
LANGUAGE_FILES = (LANGUAGE_FILE, CATALOG_TEXT_FILE, PHRASES_FILE, MANIFEST_FILE)


@cache
def content_languages() -> frozenset[str]:
    """The languages with a folder of content (``<lang>/language.toml``, or its JSON twin)."""
    return frozenset(
        path.parent.name
        for pattern in (f"*/{LANGUAGE_FILE}", f"*/{Path(LANGUAGE_FILE).stem}.json")
        for path in CONTENT_DIR.glob(pattern)
    )


def language_file(language: str, name: str) -> Path:
    """One file of a language's folder; the language must be one of the folders."""
    if language not in content_languages():  # a name from the folders, never from a request
        raise LookupError(f"no content folder for language {language!r} in {CONTENT_DIR}")
    return CONTENT_DIR / language / name


@cache
def read(language: str, name: str) -> dict[str, Any]:
    """The data of one file of a language's folder, read once per process (never modified)."""
    return content_files.load(language_file(language, name))


def language_data(language: str = DEFAULT_LANGUAGE) -> dict[str, Any]:
    return read(language, LANGUAGE_FILE)


@cache
def builtin_phrases(language: str = DEFAULT_LANGUAGE) -> dict[str, tuple[str, ...]]:
    """The AMAZON built-in intents' everyday phrasings in a language, by intent."""
    phrases = read(language, PHRASES_FILE)
    return {intent: tuple(entry["phrases"]) for intent, entry in phrases.items()}


def language_of(locale: str | None) -> str:
    """The content language a request's locale is served in: "en-GB" -> "en"."""
    return best_match(locale, content_languages())


def serving_language(locale: object) -> str:
    """:func:`language_of` for a request, logging (one line) a locale no folder serves."""
    language = best_match(locale, content_languages())
    if not isinstance(locale, str) or language_part(locale) != language:
        log.info("locale %r is not served here; answered in %s", str(locale)[:40], language)
    return language


def all_locales() -> dict[str, str]:
    """Every locale the content serves, with its language, languages in name order."""
    return {
        locale: language
        for language in sorted(content_languages())
        for locale in language_data(language)["locales"]
    }


def stemmer_of(language: str) -> str:
    return language_data(language).get("stemmer", PLURAL)


@cache
def _slot_words(slot_type: str, language: str) -> dict[str, str]:
    values = language_data(language)["types"][slot_type]
    stemmer = stemmer_of(language)
    words = {normalise(value_id, stemmer): value_id for value_id in values}
    for value_id, synonyms in values.items():
        for synonym in synonyms:
            words.setdefault(normalise(synonym, stemmer), value_id)
    return words


def slot_value_id(slot_type: str, spoken: str, language: str = DEFAULT_LANGUAGE) -> str | None:
    """The id of the value of a language-defined slot type that ``spoken`` names, if any."""
    return _slot_words(slot_type, language).get(normalise(spoken, stemmer_of(language)))
