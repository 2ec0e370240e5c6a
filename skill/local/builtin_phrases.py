"""The phrasings of the AMAZON built-in intents, which Alexa understands without samples.

Data both the text NLU (to read them) and hearing's language model (to expect them) need;
kept apart from either so that hearing never imports the NLU. A language's own phrasings
are its ``content/<lang>/phrases.toml`` (:func:`phrases_for`).
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

from skill.settings import CONTENT_DIR

# The built-in intents' phrasings, one table per intent with its ``phrases``.
BUILTIN_PHRASES_FILE = Path(__file__).with_name("builtin_phrases.toml")


def _builtin_phrases(path: Path = BUILTIN_PHRASES_FILE) -> dict[str, tuple[str, ...]]:
    with path.open("rb") as handle:
        data = tomllib.load(handle)
    return {intent: tuple(entry["phrases"]) for intent, entry in data.items()}


BUILTIN_PHRASES: dict[str, tuple[str, ...]] = _builtin_phrases()


@cache
def phrases_for(language: str) -> dict[str, tuple[str, ...]]:
    """A content language's phrasings of the built-in intents."""
    path = CONTENT_DIR / language / "phrases.toml"
    return _builtin_phrases(path) if path.is_file() else BUILTIN_PHRASES
