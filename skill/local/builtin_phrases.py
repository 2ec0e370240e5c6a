"""The phrasings of the AMAZON built-in intents, which Alexa understands without samples.

Data both the text NLU (to read them) and hearing's language model (to expect them) need;
kept apart from either so that hearing never imports the NLU.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

# The built-in intents' phrasings, one table per intent with its ``phrases``.
BUILTIN_PHRASES_FILE = Path(__file__).with_name("builtin_phrases.toml")


def _builtin_phrases() -> dict[str, tuple[str, ...]]:
    with BUILTIN_PHRASES_FILE.open("rb") as handle:
        data = tomllib.load(handle)
    return {intent: tuple(entry["phrases"]) for intent, entry in data.items()}


BUILTIN_PHRASES: dict[str, tuple[str, ...]] = _builtin_phrases()
