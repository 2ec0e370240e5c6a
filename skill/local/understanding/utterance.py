"""Typed or heard words, normalised: what the NLU and the recogniser compare.

Lower case, punctuation and hyphens dropped ("push-ups" is "push ups"), letters of every
alphabet kept ("Gesäß", "één"), one-word contractions expanded ("wanna"), fillers dropped
("um", "please", a leading "alexa" or "okay so", polite openers like "can you"). Each word
gets a *key*: no apostrophe, stemmed by the language's stemmer.

Every word list is the language's: the ``[understanding]`` table of its ``language.toml``
(:func:`wording`), so a language is read by its own rules and none is written here.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from skill.coach.language import language_data, language_of
from skill.coach.words import stemmer

# Weights of words in the alignment: content words count fully, function words less.
CONTENT_WEIGHT = 1.0
FUNCTION_WEIGHT = 0.4
# The table of language.toml that holds how the runner reads the language.
TABLE = "understanding"

_NOT_WORD = re.compile(r"[^\w'& ]+|_")
_APOSTROPHES = re.compile(r"[\u2018\u2019\u02bc`\u00b4]")


def _phrases(entries: Sequence[str]) -> tuple[tuple[str, ...], ...]:
    """Phrases as word tuples, longest first (so "okay so" is tried before "okay")."""
    return tuple(sorted((tuple(entry.lower().split()) for entry in entries), key=len, reverse=True))


def _expansions(entries: Sequence[str] | Mapping[str, str]) -> dict[str, tuple[str, ...]]:
    """One typed word -> the words it stands for, from "wanna = want to" entries (or a
    table of them)."""
    pairs = (
        entries.items()
        if isinstance(entries, Mapping)
        else ((word, meaning) for word, _, meaning in (e.partition("=") for e in entries))
    )
    return {word.strip().lower(): tuple(meaning.lower().split()) for word, meaning in pairs}


@dataclass(frozen=True, eq=False)
class Wording:
    """How one language is read: its stemmer and the words that carry little meaning."""

    stem: Callable[[str], str]
    expansions: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    fillers: frozenset[str] = frozenset()  # hesitations, dropped wherever they occur
    polite: frozenset[str] = frozenset()  # dropped wherever they occur (samples too)
    openers: tuple[tuple[str, ...], ...] = ()  # dropped from the start; longest first
    closers: tuple[tuple[str, ...], ...] = ()  # dropped from the end
    function_words: tuple[str, ...] = ()  # cost less when missing or extra
    launch_verbs: tuple[tuple[str, ...], ...] = ()  # "open step coach"
    one_shot_verbs: tuple[tuple[str, ...], ...] = ()  # "ask step coach to ..."
    one_shot_connectors: frozenset[str] = frozenset()  # "... to", "... about"
    trailing_connectors: frozenset[str] = frozenset()  # "start planks with step coach"
    articles: frozenset[str] = frozenset()  # "open the step coach"
    compound_links: tuple[str, ...] | None = None  # None: the language writes no compounds
    question_words: frozenset[str] = frozenset()  # open a question ("how", "waarom", "wofür")
    negators: frozenset[str] = frozenset()  # turn a yes word round ("not sure", "niet zeker")
    yes_words: frozenset[str] = frozenset()  # open a plain yes ("yes, let's stop")
    no_words: frozenset[str] = frozenset()  # open a plain no ("nee, rustig verder")
    suggestions: tuple[tuple[str, ...], ...] = ()  # a question word that suggests: "what about"
    _keys: dict[str, str] = field(default_factory=dict, repr=False)
    # The same words as matching keys ("does" is "doe", "what's" is "whats").
    function_keys: frozenset[str] = field(init=False, repr=False)
    article_keys: frozenset[str] = field(init=False, repr=False)
    launch_keys: frozenset[tuple[str, ...]] = field(init=False, repr=False)
    one_shot_keys: frozenset[tuple[str, ...]] = field(init=False, repr=False)
    trailing_connector_keys: frozenset[str] = field(init=False, repr=False)
    question_keys: frozenset[str] = field(init=False, repr=False)
    negator_keys: frozenset[str] = field(init=False, repr=False)
    yes_keys: frozenset[str] = field(init=False, repr=False)
    no_keys: frozenset[str] = field(init=False, repr=False)
    suggestion_keys: frozenset[tuple[str, ...]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        def keys(words: Iterable[str]) -> frozenset[str]:
            return frozenset(self.key_of(word) for word in words)

        def phrases(entries: Iterable[tuple[str, ...]]) -> frozenset[tuple[str, ...]]:
            return frozenset(tuple(self.key_of(word) for word in entry) for entry in entries)

        object.__setattr__(self, "function_keys", keys(self.function_words))
        object.__setattr__(self, "article_keys", keys(self.articles))
        object.__setattr__(self, "launch_keys", phrases(self.launch_verbs))
        object.__setattr__(self, "one_shot_keys", phrases(self.one_shot_verbs))
        object.__setattr__(self, "trailing_connector_keys", keys(self.trailing_connectors))
        object.__setattr__(self, "question_keys", keys(self.question_words))
        object.__setattr__(self, "negator_keys", keys(self.negators))
        object.__setattr__(self, "yes_keys", keys(self.yes_words))
        object.__setattr__(self, "no_keys", keys(self.no_words))
        object.__setattr__(self, "suggestion_keys", phrases(self.suggestions))

    @classmethod
    def from_data(cls, table: Mapping[str, Any], stem: Callable[[str], str]) -> Wording:
        """The language's ``[understanding]`` table (every key optional)."""

        def words(name: str) -> frozenset[str]:
            return frozenset(word.lower() for word in table.get(name, ()))

        links = table.get("compound_links") or None  # empty: the language has no compounds
        return cls(
            stem=stem,
            expansions=_expansions(table.get("expansions", ())),
            fillers=words("fillers"),
            polite=words("polite"),
            openers=_phrases(table.get("openers", ())),
            closers=_phrases(table.get("closers", ())),
            function_words=tuple(word.lower() for word in table.get("function_words", ())),
            launch_verbs=_phrases(table.get("launch_verbs", ())),
            one_shot_verbs=_phrases(table.get("one_shot_verbs", ())),
            one_shot_connectors=words("one_shot_connectors"),
            trailing_connectors=words("trailing_connectors"),
            articles=words("articles"),
            compound_links=tuple(links) if links is not None else None,
            question_words=words("question_words"),
            negators=words("negators"),
            yes_words=words("yes_words"),
            no_words=words("no_words"),
            suggestions=_phrases(table.get("suggestions", ())),
        )

    def raw_words(self, text: str) -> list[str]:
        """Lower-case words, punctuation and hyphens dropped, contractions expanded."""
        text = unicodedata.normalize("NFKC", text).lower()
        text = _APOSTROPHES.sub("'", text).replace("&", " & ")
        text = _NOT_WORD.sub(" ", re.sub(r"[-_/]", " ", text))
        words: list[str] = []
        for word in text.split():
            word = word.strip("'")
            if word:
                words.extend(self.expansions.get(word.replace("'", ""), (word,)))
        return words

    def strip_phrases(self, words: list[str]) -> list[str]:
        """Drop fillers, politeness, openers and closers; never empty a non-empty utterance."""
        kept = [w for w in words if w not in self.fillers]
        core = [w for w in kept if w not in self.polite]
        changed = True
        while changed:
            changed = False
            for phrase in self.openers:
                size = len(phrase)
                if tuple(core[:size]) == phrase and len(core) > size:
                    core = core[size:]
                    changed = True
                    break
            for phrase in self.closers:
                size = len(phrase)
                if tuple(core[-size:]) == phrase and len(core) > size:
                    core = core[:-size]
                    changed = True
                    break
        return core or kept

    def words_of(self, text: str) -> list[str]:
        """The words of an utterance that matter, as heard (lower case, apostrophes kept)."""
        return self.strip_phrases(self.raw_words(text))

    def key_of(self, word: str) -> str:
        """A word's matching key: no apostrophe, case-folded ("fuß" meets "fuss"), stemmed
        ("glutes" -> "glute")."""
        key = self._keys.get(word)
        if key is None:
            key = self.stem(word.casefold().replace("'", ""))
            if len(self._keys) < 50_000:
                self._keys[word] = key
        return key

    def weight(self, key: str) -> float:
        return FUNCTION_WEIGHT if key in self.function_keys else CONTENT_WEIGHT


@cache
def wording(language: str) -> Wording:
    """A content language's reading rules, from its ``language.toml``."""
    data = language_data(language)
    return Wording.from_data(data.get(TABLE, {}), stemmer(data.get("stemmer", "plural")))


def wording_for(locale: str) -> Wording:
    """The reading rules of the language a locale is served in ("nl-NL" -> Dutch)."""
    return wording(language_of(locale))
