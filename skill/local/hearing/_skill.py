"""The hearing engine's only imports from the rest of Step Coach, kept here so a move is one edit.

The engine needs the interaction models (where they live), the phrasings of the built-in
intents, and a writable data directory for its cache. It never imports the text NLU or the
speaker: choosing a meaning is understanding's job (an import-linter contract says so).
"""

from __future__ import annotations

from skill.coach.language import builtin_phrases
from skill.settings import DATA_DIR, INTERACTION_MODELS_DIR

__all__ = ["BUILTIN_PHRASES", "DATA_DIR", "INTERACTION_MODELS_DIR"]

# The default language's phrasings of the AMAZON built-in intents, by intent.
BUILTIN_PHRASES: dict[str, tuple[str, ...]] = builtin_phrases()
