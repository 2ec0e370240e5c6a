"""The hearing engine's only imports from the rest of Step Coach, kept here so a move is one edit.

The engine needs the interaction models (where they live), the text NLU's phrasings of
the built-in intents, and a writable data directory for its cache.
"""

from __future__ import annotations

from skill.local.nlu import BUILTIN_PHRASES, FALLBACK_INTENT, LocalNLU
from skill.settings import DATA_DIR, INTERACTION_MODELS_DIR

__all__ = ["BUILTIN_PHRASES", "DATA_DIR", "FALLBACK_INTENT", "INTERACTION_MODELS_DIR", "LocalNLU"]
