"""The Alexa Skills Kit Sound Library sounds the skill plays, and how long each lasts.

Alexa plays ``<audio src="soundbank://soundlibrary/..."/>`` from its own library; the
durations are the library's (as ``coach/content/earcons.toml`` lists them, the one place
they are written). The SSML rules count them against Alexa's audio limits and the SSML
reader gives each its time, so a paced set's timing includes its sounds.
"""

from __future__ import annotations

from functools import cache

from skill import content_files
from skill.settings import CONTENT_DIR

SOUND_LIBRARY_PREFIX = "soundbank://soundlibrary/"


@cache
def sound_library() -> dict[str, int]:
    """Sound Library URL -> duration in milliseconds, for every earcon the content names."""
    earcons = content_files.load(CONTENT_DIR / "earcons.toml")["earcons"]
    return {earcon["src"]: int(earcon["duration_ms"]) for earcon in earcons}


@cache
def earcon_urls() -> dict[str, str]:
    """Earcon id ("set_start", "interval_end", "workout_end") -> its Sound Library URL."""
    earcons = content_files.load(CONTENT_DIR / "earcons.toml")["earcons"]
    return {earcon["id"]: earcon["src"] for earcon in earcons}


def duration_ms(src: str) -> int | None:
    """How long a Sound Library sound plays; None for anything else (its length is unknown)."""
    return sound_library().get(src)
