"""Which of the languages that exist a request's locale is served in.

A request's ``locale`` comes from outside: any string, of any length. It is only ever
compared with the names of what exists (speech template folders, content files), never
joined into a path or used as a cache key, so ``../../etc`` or a 100 KB locale is just a
locale nobody speaks, served in English. Matching is the exact locale, then its language,
else English (``en-GB`` -> ``en-GB``, ``en``; ``en-US`` -> ``en``; ``nl-NL`` -> ``nl``;
``fr-FR`` -> ``en``), so a new language is a new folder of content and one of templates,
with no code.
"""

from __future__ import annotations

from collections.abc import Iterable

DEFAULT_LANGUAGE = "en"
# What a request without a locale is answered as.
DEFAULT_LOCALE = "en-US"
# BCP 47 allows longer tags, but none that Alexa sends comes near this.
MAX_LOCALE_LENGTH = 35


def language_part(locale: str) -> str:
    """The language part of a locale: "en-GB" -> "en" (also for "en_GB")."""
    return locale.replace("_", "-").split("-", 1)[0].lower()


def fallback_chain(locale: object, available: Iterable[str]) -> tuple[str, ...]:
    """The names in ``available`` that ``locale`` renders from, most specific first.

    Names are matched case-insensitively and returned as ``available`` spells them;
    English where the locale's language has none. Empty only if nothing matches and no
    English.
    """
    names = {name.lower(): name for name in available}
    wanted: list[str] = []
    if isinstance(locale, str) and 0 < len(locale) <= MAX_LOCALE_LENGTH:
        wanted += [locale.replace("_", "-").lower(), language_part(locale)]
    # English only behind a locale whose language has no folder here: a language that has
    # one speaks from it alone, so what it lacks fails the completeness check, never
    # turns into English words mid-conversation.
    if len(wanted) < 2 or wanted[1] not in names:
        wanted.append(DEFAULT_LANGUAGE)
    chain: list[str] = []
    for name in wanted:
        match = names.get(name)
        if match is not None and match not in chain:
            chain.append(match)
    return tuple(chain)


def best_match(locale: object, available: Iterable[str]) -> str:
    """The one name in ``available`` that serves ``locale`` (English when none is closer)."""
    chain = fallback_chain(locale, available)
    return chain[0] if chain else DEFAULT_LANGUAGE
