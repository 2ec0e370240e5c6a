"""One conversation, in any language, through the HTTP endpoint: the languages' tests.

Launch, the knee routine, a step on, a question mid-workout, pause and resume, stop, and
the next session's offer to continue, taken up. The slot values are the language's own
(from its catalog); what each answer must hold is read from the same content, so one
test serves every language, and a language copied into a temporary folder too
(``python -m tests.support.languages LOCALE DB``, with the content settings pointing
there, prints the answers as JSON).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from skill import settings
from skill.coach.catalog import Catalog
from skill.coach.step_coach import StepCoach
from skill.serve.app import create_app
from skill.storage.sqlite import SQLitePersistenceAdapter
from tests.support import alexa

# (request type or intent, in a new session)
TURNS = (
    ("LaunchRequest", True),
    ("ProtectKneesIntent", False),
    ("AMAZON.NextIntent", False),
    ("WhichExerciseIntent", False),
    ("AMAZON.PauseIntent", False),
    ("AMAZON.ResumeIntent", False),
    ("AMAZON.StopIntent", False),
    ("LaunchRequest", True),  # the next session
    ("AMAZON.YesIntent", False),
)


def converse(locale: str, db: Path) -> list[dict]:
    """The answers of the conversation, as the endpoint sent them, in ``locale``."""
    coach = StepCoach(persistence_adapter=SQLitePersistenceAdapter(db))
    client = create_app({settings.VERIFY: False, "STEP_COACH_COACH": coach}).test_client()
    attributes: dict = {}
    answers = []
    for name, new in TURNS:
        if new:
            attributes = {}
        kind = {"request_type": name} if name == "LaunchRequest" else {"intent": name}
        request = alexa.envelope(**kind, attributes=attributes, new=new, locale=locale)
        answer = client.post("/", data=json.dumps(request), content_type="application/json")
        assert answer.status_code == 200, (name, answer.status_code)
        answers.append(answer.json)
        attributes = answer.json.get("sessionAttributes") or {}
    return answers


def expected(catalog: Catalog) -> list[list[str]]:
    """Per turn, the words of the language's content its answer must hold (plain text)."""
    routine = catalog.routines[catalog.knee_routine]
    plan = catalog.plan(routine.id)
    first, second = plan.steps[0], plan.steps[1]
    exercise = first.exercise.name
    return [
        [catalog.safety],
        [routine.intro, first.step.cue],
        [second.step.cue],
        [exercise],
        [],  # the pause: checked in the session
        [second.step.cue],
        [],  # stop: the session ends
        [routine.name],
        [second.step.cue],
    ]


if __name__ == "__main__":
    print(json.dumps(converse(sys.argv[1], Path(sys.argv[2]))))
