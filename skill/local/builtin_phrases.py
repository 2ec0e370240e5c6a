"""The phrasings of the AMAZON built-in intents, which Alexa understands without samples.

Data both the text NLU (to read them) and hearing's language model (to expect them) need;
kept apart from either so that hearing never imports the NLU. A language's own phrasings
are its ``content/<lang>/phrases.toml`` (:func:`phrases_for`).
"""

from __future__ import annotations

from skill.coach.language import builtin_phrases as phrases_for
from skill.coach.locales import DEFAULT_LANGUAGE

__all__ = ["BUILTIN_PHRASES", "phrases_for"]

# The default language's phrasings, by intent.
BUILTIN_PHRASES: dict[str, tuple[str, ...]] = phrases_for(DEFAULT_LANGUAGE)
