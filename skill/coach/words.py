"""How spoken words are folded for matching: one set of rules for the catalog and the NLU.

"Glutes" and "glute", "push-ups" and "push ups", "injuries" and "injury" must meet,
wherever a spoken value is compared with the content.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache

_NOT_MATCHED = re.compile(r"[^a-z0-9' ]+")
_NOT_SPOKEN = re.compile(r"[^a-z0-9' .]+")


def stem(word: str) -> str:
    """A light plural stem of a lower-case word without apostrophes ("glutes" -> "glute")."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 2 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


@cache
def stemmer(name: str) -> Callable[[str], str]:
    """The stemmer a language's ``stemmer`` names: a snowballstemmer algorithm ("dutch",
    "german", "english"), or "plural", the light plural rule of :func:`stem`."""
    if name == "plural":
        return stem
    import snowballstemmer  # deferred: only languages that name one load it

    if name not in snowballstemmer.algorithms():
        raise ValueError(f"no stemmer {name!r}; snowballstemmer has {snowballstemmer.algorithms()}")
    algorithm = snowballstemmer.stemmer(name)
    return cache(algorithm.stemWord)


def normalise(text: str) -> str:
    """Fold a spoken value for matching: lower case, no punctuation, stemmed words."""
    words = _NOT_MATCHED.sub(" ", text.lower().replace("-", " ")).replace("'", "").split()
    return " ".join(stem(word) for word in words)


def spoken_form(text: str) -> str:
    """A slot value as Alexa wants it: lower case, words and apostrophes only."""
    return " ".join(_NOT_SPOKEN.sub(" ", text.lower()).split())
