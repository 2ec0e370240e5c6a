"""AWS Lambda entry point: handler name ``skill.lambda_function.lambda_handler``.

The same skill core as the web endpoint. Lambda's Alexa trigger checks the skill id and
the request's origin, so no signature verification is done here. Lambda's file system is
read-only, so set ``STEP_COACH_STORE=dynamodb`` (and the table settings) there.
"""

from __future__ import annotations

import logging
from typing import Any

from skill.coach.step_coach import EMPTY_RESPONSE, InvalidRequest, StepCoach

log = logging.getLogger("skill.lambda")

_coach: StepCoach | None = None


def lambda_handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    """Answer one event. A malformed one is logged and gets an empty response, never an
    exception; a failed delete of a disabled user (ForgetFailed) is raised, so that Alexa
    delivers the event again.
    """
    global _coach
    if _coach is None:  # built on the first invocation, kept for the container's life
        _coach = StepCoach.from_environment()
    try:
        return _coach.handle(event)
    except InvalidRequest as invalid:
        log.warning("refused a malformed event: %s", invalid.reason)
        return dict(EMPTY_RESPONSE)
