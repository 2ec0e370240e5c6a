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
from collections.abc import Iterator
from pathlib import Path

from skill import settings
from skill.coach.catalog import Catalog, catalog_for
from skill.coach.language import language_data, language_of, slot_value_id
from skill.coach.locales import DEFAULT_LANGUAGE
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


# The slots the sweep fills whose words are a language's own slot type's.
_SPOKEN_TYPES = {"pace": "PACE", "part": "BODY_PART", "setting": "SOUNDS"}


def say(slot_name: str, english: str, language: str) -> str:
    """What a speaker of ``language`` says for the English slot value (as it is, if nothing
    in the content names it: "yoga" stays a workout nobody has)."""
    source, target = catalog_for(DEFAULT_LANGUAGE), catalog_for(language)
    if slot_name in _SPOKEN_TYPES:
        kind = _SPOKEN_TYPES[slot_name]
        value_id = slot_value_id(kind, english, DEFAULT_LANGUAGE)
        return language_data(language)["types"][kind][value_id][0] if value_id else english
    topic = source.find_topic(english) if slot_name == "topic" else None
    if topic is not None:
        return target.topics[topic].name
    workout = source.find_workout(english)
    return target.workout_name(workout) if workout else english


def sweep(locale: str, paces: tuple[str, ...] = ("normal",)) -> Iterator[tuple[str, dict]]:
    """The every-state sweep (:func:`tests.support.alexa.sweep`) in ``locale``, its slot
    values said in the locale's language."""
    language = language_of(locale)
    requests = []
    for name, spec in alexa.sweep_requests():
        slots = {
            slot: alexa.slot(slot, say(slot, fields["value"], language))
            for slot, fields in spec.get("slots", {}).items()
        }
        requests.append((name, {**spec, "slots": slots} if slots else spec))
    for attributes in alexa.sweep_states():
        if attributes.get("pace", "normal") not in paces:
            continue
        for name, spec in requests:
            where = f"{name} in {locale} {attributes}"
            yield where, alexa.envelope(attributes=attributes, locale=locale, **spec)


if __name__ == "__main__":
    print(json.dumps(converse(sys.argv[1], Path(sys.argv[2]))))
