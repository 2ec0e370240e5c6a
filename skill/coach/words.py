"""How spoken words are folded for matching: one set of rules for the catalog and the NLU.

"Glutes" and "glute", "push-ups" and "push ups", "injuries" and "injury" must meet,
wherever a spoken value is compared with the content. Each language names its stemmer in
its ``language.toml``: a snowballstemmer algorithm ("dutch" folds "knieblessures" and
"knieblessure" together), or ``plural``, the light plural rule English keeps.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache

# The light plural rule's name, as a language.toml's ``stemmer`` chooses it.
PLURAL = "plural"

# Letters of any alphabet, digits and apostrophes are words; the rest separates them.
_NOT_MATCHED = re.compile(r"[^\w' ]+|_")
_NOT_SPOKEN = re.compile(r"[^\w' .]+|_")


def stem(word: str) -> str:
    """A light plural stem of a lower-case word without apostrophes ("glutes" -> "glute")."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 2 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


@cache
def stemmer(name: str = PLURAL) -> Callable[[str], str]:
    """The stemmer a language's data names; a name snowballstemmer lacks is a ValueError."""
    if name == PLURAL:
        return stem
    import snowballstemmer  # only for a language that uses it

    try:
        algorithm = snowballstemmer.stemmer(name)
    except KeyError:
        known = ", ".join([PLURAL, *snowballstemmer.algorithms()])
        raise ValueError(f"unknown stemmer {name!r}: use one of {known}") from None
    return cache(algorithm.stemWord)


def normalise(text: str, stemmer_name: str = PLURAL) -> str:
    """Fold a spoken value for matching: case-folded ("Fuß", "fuss"), no punctuation,
    stemmed words."""
    words = _NOT_MATCHED.sub(" ", text.casefold().replace("-", " ")).replace("'", "").split()
    stem_word = stemmer(stemmer_name)
    return " ".join(stem_word(word) for word in words)


def spoken_form(text: str) -> str:
    """A slot value as Alexa wants it: lower case, words and apostrophes only."""
    return " ".join(_NOT_SPOKEN.sub(" ", text.lower()).split())
