"""Requests that are not a conversation turn: skill events and error reports.

None of them takes speech. A failed delete on ``SkillDisabled`` is the one failure that
must not be answered: Alexa delivers a skill event again until the skill accepts it, so
the request fails where Alexa sees it instead of being apologised for.
"""

from __future__ import annotations

import logging

from ask_sdk_model import Response

from skill.coach.turn import Turn
from skill.storage.base import StorageError

log = logging.getLogger("skill.coach.handlers")


class ForgetFailed(Exception):
    """A disabled user's data could not be deleted: a 5xx over HTTP, an exception out of
    Lambda, so that Alexa delivers the event again."""


def on_skill_disabled(turn: Turn) -> Response:
    """The user disabled the skill: forget everything stored about them."""
    if turn.store is not None and turn.user_known:
        try:
            turn.store.delete_attributes(turn.handler_input.request_envelope)
        except StorageError as error:
            log.error("could not delete a disabled user's data: %s", error)
            raise ForgetFailed("the disabled user's data is not deleted yet") from error
    return turn.handler_input.response_builder.response


def on_skill_enabled(turn: Turn) -> Response:
    return turn.handler_input.response_builder.response


def on_exception_encountered(turn: Turn) -> Response:
    """Alexa reports that our last response was rejected; it takes no speech in reply."""
    error = getattr(turn.handler_input.request_envelope.request, "error", None)
    log.error("Alexa rejected a response: %s", getattr(error, "message", "no detail"))
    return turn.handler_input.response_builder.response


def on_apl_runtime_error(turn: Turn) -> Response:
    """A screen reported errors (a bad list index, a missing resource): logged, unanswered."""
    errors = getattr(turn.handler_input.request_envelope.request, "errors", None) or []
    for error in errors[:10]:
        log.error(
            "a screen reported %s: %s",
            str(getattr(error, "object_type", None) or "an error")[:60],
            str(getattr(error, "message", None) or "no detail")[:200],
        )
    return turn.handler_input.response_builder.response
