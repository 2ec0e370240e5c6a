"""The phrasings of the AMAZON built-in intents, which Alexa understands without samples.

Data both the text NLU (to read them) and hearing's language model (to expect them) need;
kept apart from either so that hearing never imports the NLU. Each language keeps its own
in ``content/<lang>/phrases.toml`` (:func:`skill.coach.language.builtin_phrases`).
"""

from __future__ import annotations

from skill.coach.language import builtin_phrases
from skill.coach.locales import DEFAULT_LANGUAGE

__all__ = ["BUILTIN_PHRASES", "builtin_phrases"]

# The default language's phrasings, by intent.
BUILTIN_PHRASES: dict[str, tuple[str, ...]] = builtin_phrases(DEFAULT_LANGUAGE)
