"""Bespoken's ``virtual-alexa``: a conversation said in words, heard through the model.

``virtual-alexa`` resolves an utterance to an intent and its slots by the interaction
model's own samples and slot values (with entity resolution), builds the request envelope
Alexa would send and posts it to the skill's URL, keeping the session and its attributes
between turns and one user across sessions. So an answer it gets back has passed through
the model a locale ships, not through an envelope a test wrote by hand.

It is an npm package (pure JavaScript, no install script), pinned in
``tests/virtual_alexa`` and installed with ``npm ci --ignore-scripts`` (``./dev test``
does). :func:`converse` plays a whole conversation in one Node process.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from skill.settings import INTERACTION_MODELS_DIR
from tests.support import npm_tools

# A turn that opens the skill ("Alexa, open ..."), as the driver reads it.
LAUNCH = "<launch>"
# Its AWS SDK (for a virtual DynamoDB, unused here) would print an end-of-support notice.
QUIET = {"AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE": "1"}


def converse(url: str, locale: str, said: Sequence[str]) -> list[dict[str, Any]]:
    """One line per turn: what was said, the intent and slot values virtual-alexa
    resolved, and the skill's response (``unmatched`` when no sample resolves it)."""
    model = INTERACTION_MODELS_DIR / f"{locale}.json"
    if not model.is_file():
        raise ValueError(f"no interaction model for {locale!r} in {INTERACTION_MODELS_DIR}")
    script = {"model": str(model), "locale": locale, "url": url, "turns": list(said)}
    printed = npm_tools.run(
        "virtual_alexa", "virtual-alexa", "converse.js", script, env=QUIET, timeout=120
    )
    return [json.loads(line) for line in printed.splitlines()]
