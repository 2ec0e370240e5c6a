"""AWS Lambda entry point: handler name ``skill.lambda_function.lambda_handler``.

The same skill core as the web endpoint. Lambda's Alexa trigger checks the skill id and
the request's origin, so no signature verification is done here. Lambda's file system is
read-only, so set ``STEP_COACH_STORE=dynamodb`` (and the table settings) there.

The coach is built and primed (:mod:`skill.coach.priming`) when Lambda imports this
module, its init phase, never inside a request. With SnapStart, init runs once, when a
version is published, and priming is the before-snapshot hook; each instance restored from
the snapshot then runs the after-restore hook, which makes randomness and the store's
client its own. The hooks come from ``snapshot-restore-py``, which Lambda's managed runtime
calls; without SnapStart (``AWS_LAMBDA_INITIALIZATION_TYPE`` is not ``snap-start``) the
same priming runs right away.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from snapshot_restore_py import register_after_restore, register_before_snapshot

from skill.coach import priming
from skill.coach.step_coach import EMPTY_RESPONSE, InvalidRequest, StepCoach

log = logging.getLogger("skill.lambda")

# How Lambda says this init will be snapshotted (``on-demand`` or
# ``provisioned-concurrency`` otherwise).
SNAPSTART_INITIALIZATION = "snap-start"

_coach = StepCoach.from_environment()


@register_before_snapshot
def prime() -> None:
    priming.prime(_coach)


@register_after_restore
def renew() -> None:
    priming.renew(_coach)


if os.environ.get("AWS_LAMBDA_INITIALIZATION_TYPE") != SNAPSTART_INITIALIZATION:
    prime()


def lambda_handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    """Answer one event. A malformed one is logged and gets an empty response, never an
    exception; a failed delete of a disabled user (ForgetFailed) is raised, so that Alexa
    delivers the event again.
    """
    try:
        return _coach.handle(event)
    except InvalidRequest as invalid:
        log.warning("refused a malformed event: %s", invalid.reason)
        return dict(EMPTY_RESPONSE)
