"""AWS Lambda entry point: handler name ``skill.lambda_function.lambda_handler``.

The same skill core as the web endpoint. Lambda's Alexa trigger checks the skill id and
the request's origin, so no signature verification is done here. Lambda's file system is
read-only, so set ``STEP_COACH_STORE=dynamodb`` (and the table settings) there.
"""

from __future__ import annotations

from typing import Any

from skill.coach.step_coach import StepCoach

_coach: StepCoach | None = None


def lambda_handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    global _coach
    if _coach is None:  # built on the first invocation, kept for the container's life
        _coach = StepCoach.from_environment()
    return _coach.handle(event)
