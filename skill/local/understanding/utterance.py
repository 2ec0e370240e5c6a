"""Typed or heard words, normalised: what the NLU and the recogniser compare.

Lower case, punctuation and hyphens dropped ("push-ups" is "push ups"), contractions
("wanna") expanded, filler words dropped ("um", "please", a leading "alexa" or "okay so",
polite openers like "can you"). Each word gets a *key*: no apostrophe, a light plural
stem (:func:`skill.coach.words.stem`).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from skill.coach.words import stem

# Spoken contractions that stand for two words.
_EXPANSIONS: dict[str, tuple[str, ...]] = {
    "wanna": ("want", "to"),
    "gonna": ("going", "to"),
    "gotta": ("got", "to"),
    "lemme": ("let", "me"),
    "gimme": ("give", "me"),
    "ok": ("okay",),
    "nevermind": ("never", "mind"),
    "whatre": ("what", "are"),
}
# Hesitations dropped wherever they occur.
_FILLERS = frozenset({"um", "umm", "uh", "uhh", "uhm", "er", "erm", "hmm", "hm", "mm", "ah"})
# Politeness dropped wherever it occurs (also from the samples, so both sides agree).
_POLITE = frozenset({"please", "pls", "kindly"})
# Openers dropped from the start, longest first; "okay" only when more words follow.
_LEADING_PHRASES: tuple[tuple[str, ...], ...] = (
    ("i", "would", "like", "to"),
    ("i", "want", "to"),
    ("i'd", "like", "to"),
    ("okay", "so"),
    ("hey", "alexa"),
    ("can", "you"),
    ("could", "you"),
    ("would", "you"),
    ("will", "you"),
    ("alexa",),
    ("okay",),
    ("so",),
    ("well",),
    ("hey",),
    ("and",),
    ("now",),
    ("then",),
    ("oh",),
)
# Dropped from the end.
_TRAILING_PHRASES: tuple[tuple[str, ...], ...] = (
    ("thank", "you"),
    ("thanks",),
    ("alexa",),
)
# Words that carry little meaning: they cost less when missing or extra, and do not by
# themselves make a carrier phrase specific enough to take an unknown slot value.
_FUNCTION_WORD_LIST = (
    "a", "an", "the", "to", "i", "me", "my", "you", "your", "it", "its", "is", "are", "am",
    "be", "been", "do", "does", "did", "of", "for", "some", "can", "could", "would", "will",
    "shall", "should", "we", "us", "let", "let's", "i'm", "i'd", "i've", "i'll", "just", "so",
    "and", "or", "on", "in", "at", "this", "that", "these", "those", "there", "about", "with",
    "what", "what's", "how", "why", "which", "when", "who", "was", "were", "have", "has",
    "had", "get", "any", "all", "more", "than", "then",
)  # fmt: skip

_NOT_WORD = re.compile(r"[^a-z0-9' ]+")


def raw_words(text: str) -> list[str]:
    text = unicodedata.normalize("NFKC", text).lower()
    text = re.sub(r"[\u2018\u2019\u02bc`\u00b4]", "'", text).replace("&", " and ")
    text = _NOT_WORD.sub(" ", re.sub(r"[-_/]", " ", text))
    words: list[str] = []
    for word in text.split():
        word = word.strip("'")
        if word:
            words.extend(_EXPANSIONS.get(word.replace("'", ""), (word,)))
    return words


def strip_phrases(words: list[str]) -> list[str]:
    """Drop fillers, politeness, openers and closers; never empty a non-empty utterance."""
    kept = [w for w in words if w not in _FILLERS]
    core = [w for w in kept if w not in _POLITE]
    changed = True
    while changed:
        changed = False
        for phrase in _LEADING_PHRASES:
            size = len(phrase)
            if tuple(core[:size]) == phrase and len(core) > size:
                core = core[size:]
                changed = True
                break
        for phrase in _TRAILING_PHRASES:
            size = len(phrase)
            if tuple(core[-size:]) == phrase and len(core) > size:
                core = core[:-size]
                changed = True
                break
    return core or kept


@lru_cache(maxsize=4096)
def key_of(word: str) -> str:
    """A word's matching key: no apostrophe, a light plural stem ("glutes" -> "glute")."""
    return stem(word.replace("'", ""))


# Function words as matching keys ("does" is "doe", "what's" is "whats").
FUNCTION_WORDS = frozenset(key_of(word) for word in _FUNCTION_WORD_LIST)


def words_of(text: str) -> list[str]:
    """The words of an utterance that matter, as heard (lower case, apostrophes kept)."""
    return strip_phrases(raw_words(text))
