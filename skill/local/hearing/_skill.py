"""The hearing engine's only imports from the rest of Step Coach, kept here so a move is one edit.

The engine needs the interaction models (where they live), the phrasings of the built-in
intents, a writable data directory for its cache, and the clock the microphone shares with
the speaker. It never imports the text NLU or the speaker: choosing a meaning is
understanding's job. Import-linter contracts say both.
"""

from __future__ import annotations

from skill.coach.language import builtin_phrases
from skill.local.audio_clock import AudioClock, SystemAudioClock
from skill.settings import DATA_DIR, INTERACTION_MODELS_DIR

__all__ = [
    "BUILTIN_PHRASES",
    "DATA_DIR",
    "INTERACTION_MODELS_DIR",
    "AudioClock",
    "SystemAudioClock",
]

# The default language's phrasings of the AMAZON built-in intents, by intent.
BUILTIN_PHRASES: dict[str, tuple[str, ...]] = builtin_phrases()
