"""The coach's content, one catalog per language, loaded once and checked on load.

``content/catalog.toml`` holds what is true in every language (ids, order, sets, reps,
holds, rests, links), ``content/<lang>/catalog.toml`` what a language says of each item;
:func:`catalog_for` merges the two. Content is data: the handlers, the speech templates
and the interaction-model generator all read these records, so an exercise name or
synonym exists in exactly one place.
A workout (an exercise or a routine) is compiled into a flat :class:`Plan` of steps, so
navigation ("next", "go back", "start over") is plain index arithmetic on one list.

The records are NamedTuples: immutable and compared by value, as frozen dataclasses
would be, but a NamedTuple class is made without generating and compiling methods at
import, which a Lambda cold start paid about 1.5 ms per dataclass for.
"""

# Without ``from __future__ import annotations``: with it, every NamedTuple field here
# would be a ForwardRef that typing compiles at import, on every Lambda cold start.

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

from skill import content_files
from skill.coach import language
from skill.coach.locales import DEFAULT_LANGUAGE
from skill.coach.words import PLURAL, normalise
from skill.settings import CONTENT_DIR

CATALOG_FILE = CONTENT_DIR / "catalog.toml"
# The records a language's catalog.toml says something of, by id.
SECTIONS = ("exercises", "routines", "topics")

_ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")


class CatalogError(ValueError):
    """The content file is inconsistent; raised at start-up, never per request."""


class Step(NamedTuple):
    cue: str
    card: str
    reps: int = 0
    tempo: float = 2.0
    hold: int = 0
    switch_sides: bool = False

    @property
    def paced(self) -> bool:
        return bool(self.reps or self.hold)


class Level(NamedTuple):
    """A gentler or a harder way of an exercise: a new count for its set, or another exercise.

    ``reps``/``hold`` (with the ``cue`` and ``card`` that say them) replace those of the
    exercise's last paced step, or make its last step paced when it has none; ``exercise``
    instead names a regression to do first (regular push-ups before Russian ones), which
    a routine never swaps in. ``how`` is what the coach says the change is.
    """

    how: str
    reps: int = 0
    hold: int = 0
    tempo: float = 0.0  # 0: the step's own
    cue: str = ""
    card: str = ""
    exercise: str | None = None


# The ways an exercise can be done, gentlest first; "standard" is the catalog's own.
LEVELS = ("easier", "standard", "harder")


class Exercise(NamedTuple):
    id: str
    name: str
    synonyms: tuple[str, ...]
    trains: str
    intro: str
    finish: str
    steps: tuple[Step, ...]
    safety_cues: tuple[str, ...] = ()
    prerequisite: str | None = None
    next_offer: str | None = None
    for_runners: str = ""  # why it helps a runner, in the article's terms
    easier: Level | None = None
    harder: Level | None = None

    def level(self, name: str) -> Level | None:
        return self.easier if name == "easier" else self.harder if name == "harder" else None


class RoutineItem(NamedTuple):
    exercise: str
    sets: int = 1
    reps: int = 0
    hold: int = 0
    rest: int = 0


class Routine(NamedTuple):
    id: str
    name: str
    synonyms: tuple[str, ...]
    intro: str
    finish: str
    items: tuple[RoutineItem, ...]
    next_offer: str | None = None


class Topic(NamedTuple):
    id: str
    name: str
    synonyms: tuple[str, ...]
    answer: str
    offer: str | None = None


class PlanStep(NamedTuple):
    """One coached step of a workout, with everything needed to speak it."""

    exercise: Exercise
    step: Step
    number: int  # 1-based position within its exercise
    of: int  # number of steps in its exercise
    sets: int = 1
    rest: int = 0
    first_of_exercise: bool = False
    item_number: int = 0  # 1-based position of the exercise within a routine, 0 outside one
    item_count: int = 0


class Plan(NamedTuple):
    kind: str  # "exercise" or "routine"
    id: str
    name: str
    intro: str
    finish: str
    next_offer: str | None
    prerequisite: Exercise | None
    steps: tuple[PlanStep, ...]


@dataclass(frozen=True)
class Catalog:
    safety: str
    exercises: dict[str, Exercise]
    routines: dict[str, Routine]
    topics: dict[str, Topic]
    # What the coach offers with no workout going (launch, menu); None offers nothing.
    default_offer: str | None = None
    # The routine that "protect my knees" (ProtectKneesIntent) starts.
    knee_routine: str | None = None
    # How this language folds spoken names (words.stemmer), and the words a name may open
    # with ("the plank", "my knees").
    stemmer: str = PLURAL
    name_openers: tuple[str, ...] = ()
    _workout_names: dict[str, str] = field(default_factory=dict, repr=False)
    _topic_names: dict[str, str] = field(default_factory=dict, repr=False)
    _plans: dict[str, Plan] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for workout in (*self.exercises.values(), *self.routines.values()):
            self._index_names(self._workout_names, workout.id, (workout.name, *workout.synonyms))
        for topic in self.topics.values():
            self._index_names(self._topic_names, topic.id, (topic.name, *topic.synonyms))

    def workout_name(self, workout_id: str) -> str:
        if workout_id in self.exercises:
            return self.exercises[workout_id].name
        return self.routines[workout_id].name

    def is_workout(self, workout_id: object) -> bool:
        return isinstance(workout_id, str) and (
            workout_id in self.exercises or workout_id in self.routines
        )

    def find_workout(self, spoken: str) -> str | None:
        """The workout id a spoken value names, tolerant of case, hyphens and plurals."""
        return self._lookup(self._workout_names, spoken)

    def find_topic(self, spoken: str) -> str | None:
        return self._lookup(self._topic_names, spoken)

    def _index_names(self, index: dict[str, str], item_id: str, names: Iterable[str]) -> None:
        for name in (item_id.replace("_", " "), *names):
            key = normalise(name, self.stemmer)
            if index.get(key, item_id) != item_id:
                raise CatalogError(f"{name!r} names both {index[key]!r} and {item_id!r}")
            index[key] = item_id
            # "pushups" and "push ups" are said both ways, "the" comes and goes: index those.
            index.setdefault(key.replace(" ", ""), item_id)
            for opener in self.name_openers:
                index.setdefault(key.removeprefix(f"{opener} "), item_id)

    def _lookup(self, index: dict[str, str], spoken: str) -> str | None:
        key = normalise(spoken, self.stemmer)
        if not key:
            return None
        for opener in self.name_openers:
            if key.startswith(f"{opener} ") and key not in index:
                key = key[len(opener) + 1 :]
        return index.get(key) or index.get(key.replace(" ", ""))

    def compile_plans(self) -> None:
        """Build every workout's plan now, for a server, rather than on a request."""
        for workout_id in (*self.exercises, *self.routines):
            self.plan(workout_id)

    def plan(self, workout_id: str, levels: Iterable[tuple[str, str]] = ()) -> Plan:
        """The compiled plan of a workout, built on first use and kept.

        ``levels`` are a person's ``(exercise id, level)`` choices; those of the workout's
        own exercises give it their gentler or harder sets (a few plans per workout).
        """
        used = self._levels_in(workout_id, levels)
        key = (workout_id, *used) if used else workout_id
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plans[key] = _compile_plan(self, workout_id, dict(used))
        return plan

    def _levels_in(
        self, workout_id: str, levels: Iterable[tuple[str, str]]
    ) -> tuple[tuple[str, str], ...]:
        if not levels:
            return ()
        if workout_id in self.exercises:
            members: Iterable[str] = (workout_id,)
        else:
            members = (item.exercise for item in self.routines[workout_id].items)
        chosen = dict(levels)
        return tuple(
            sorted((m, chosen[m]) for m in set(members) if chosen.get(m) in ("easier", "harder"))
        )


def leveled_steps(exercise: Exercise, level: str | None) -> tuple[Step, ...]:
    """The exercise's steps done its gentler or harder way (unchanged for a regression)."""
    way = exercise.level(level or "")
    if way is None or way.exercise is not None:
        return exercise.steps
    steps = list(exercise.steps)
    at = max((i for i, step in enumerate(steps) if step.paced), default=len(steps) - 1)
    step = steps[at]
    steps[at] = Step(
        way.cue or step.cue,
        way.card or step.card,
        reps=way.reps if way.reps or way.hold else step.reps,
        tempo=way.tempo or step.tempo,
        hold=way.hold if way.reps or way.hold else step.hold,
        switch_sides=step.switch_sides,
    )
    return tuple(steps)


def _compile_plan(catalog: Catalog, workout_id: str, levels: dict[str, str] | None = None) -> Plan:
    levels = levels or {}
    if workout_id in catalog.exercises:
        exercise = catalog.exercises[workout_id]
        own = leveled_steps(exercise, levels.get(exercise.id))
        steps = tuple(
            PlanStep(exercise, step, number, len(own), first_of_exercise=number == 1)
            for number, step in enumerate(own, start=1)
        )
        prerequisite = catalog.exercises.get(exercise.prerequisite or "")
        return Plan(
            "exercise",
            exercise.id,
            exercise.name,
            exercise.intro,
            exercise.finish,
            exercise.next_offer,
            prerequisite,
            steps,
        )
    routine = catalog.routines[workout_id]
    compiled: list[PlanStep] = []
    for item_number, item in enumerate(routine.items, start=1):
        exercise = catalog.exercises[item.exercise]
        level = exercise.level(levels.get(exercise.id, ""))
        leveled = level is not None and level.exercise is None
        for number, step in enumerate(leveled_steps(exercise, levels.get(exercise.id)), start=1):
            if step.paced:
                step = Step(
                    step.cue,
                    step.card,
                    reps=(step.reps if leveled else item.reps) if step.reps else 0,
                    tempo=step.tempo,
                    hold=(step.hold if leveled else item.hold or step.hold) if step.hold else 0,
                    switch_sides=step.switch_sides,
                )
            compiled.append(
                PlanStep(
                    exercise,
                    step,
                    number,
                    len(exercise.steps),
                    sets=item.sets if step.paced else 1,
                    rest=item.rest if step.paced else 0,
                    first_of_exercise=number == 1,
                    item_number=item_number,
                    item_count=len(routine.items),
                )
            )
    return Plan(
        "routine",
        routine.id,
        routine.name,
        routine.intro,
        routine.finish,
        routine.next_offer,
        None,
        tuple(compiled),
    )


def parse_catalog(raw: dict, stemmer: str = PLURAL, name_openers: Iterable[str] = ()) -> Catalog:
    """Build and cross-check a merged catalog; any inconsistency is a CatalogError."""
    try:
        exercises = {
            e["id"]: Exercise(
                id=e["id"],
                name=e["name"],
                synonyms=tuple(e.get("synonyms", ())),
                trains=e["trains"],
                intro=e["intro"],
                finish=e["finish"],
                steps=tuple(Step(**s) for s in e["steps"]),
                safety_cues=tuple(e.get("safety_cues", ())),
                prerequisite=e.get("prerequisite"),
                next_offer=e.get("next_offer"),
                for_runners=e.get("for_runners", ""),
                easier=Level(**e["easier"]) if "easier" in e else None,
                harder=Level(**e["harder"]) if "harder" in e else None,
            )
            for e in raw["exercises"]
        }
        routines = {
            r["id"]: Routine(
                id=r["id"],
                name=r["name"],
                synonyms=tuple(r.get("synonyms", ())),
                intro=r["intro"],
                finish=r["finish"],
                items=tuple(RoutineItem(**i) for i in r["items"]),
                next_offer=r.get("next_offer"),
            )
            for r in raw.get("routines", ())
        }
        topics = {
            t["id"]: Topic(
                id=t["id"],
                name=t["name"],
                synonyms=tuple(t.get("synonyms", ())),
                answer=t["answer"],
                offer=t.get("offer"),
            )
            for t in raw.get("topics", ())
        }
        catalog = Catalog(
            raw["safety"],
            exercises,
            routines,
            topics,
            default_offer=raw.get("default_offer"),
            knee_routine=raw.get("knee_routine"),
            stemmer=stemmer,
            name_openers=tuple(name_openers),
        )
    except (KeyError, TypeError) as error:
        raise CatalogError(f"malformed catalog entry: {error!r}") from error
    _check(catalog)
    return catalog


def _check(catalog: Catalog) -> None:
    workouts = catalog.exercises.keys() | catalog.routines.keys()
    if len(workouts) != len(catalog.exercises) + len(catalog.routines):
        raise CatalogError("an exercise and a routine share an id")
    for item_id in (*workouts, *catalog.topics):
        if not _ID_PATTERN.match(item_id):
            raise CatalogError(f"bad id {item_id!r}: use lower_snake_case")
    for exercise in catalog.exercises.values():
        if not exercise.steps:
            raise CatalogError(f"{exercise.id} has no steps")
        if exercise.prerequisite and exercise.prerequisite not in catalog.exercises:
            raise CatalogError(f"{exercise.id}: unknown prerequisite {exercise.prerequisite}")
        for step in exercise.steps:
            if step.reps < 0 or step.hold < 0 or (step.reps and step.hold) or step.tempo <= 0:
                raise CatalogError(f"{exercise.id}: a step needs reps or a hold, not both")
        for way in (exercise.easier, exercise.harder):
            if way is None:
                continue
            if way.exercise is not None and way.exercise not in catalog.exercises:
                raise CatalogError(f"{exercise.id}: unknown regression {way.exercise}")
            if way.reps < 0 or way.hold < 0 or (way.reps and way.hold) or way.tempo < 0:
                raise CatalogError(f"{exercise.id}: a level needs reps or a hold, not both")
            if (way.reps or way.hold) and not way.cue:
                raise CatalogError(f"{exercise.id}: a level that changes the count needs a cue")
    for routine in catalog.routines.values():
        for item in routine.items:
            if item.exercise not in catalog.exercises:
                raise CatalogError(f"{routine.id}: unknown exercise {item.exercise}")
            if item.sets < 1 or item.rest < 0:
                raise CatalogError(f"{routine.id}: bad sets or rest for {item.exercise}")
    for workout in (*catalog.exercises.values(), *catalog.routines.values()):
        if workout.next_offer and workout.next_offer not in workouts:
            raise CatalogError(f"{workout.id}: unknown next_offer {workout.next_offer}")
    for topic in catalog.topics.values():
        if topic.offer and topic.offer not in workouts:
            raise CatalogError(f"topic {topic.id}: unknown offer {topic.offer}")
    if catalog.default_offer is not None and catalog.default_offer not in workouts:
        raise CatalogError(f"unknown default_offer {catalog.default_offer}")
    if catalog.knee_routine is not None and catalog.knee_routine not in catalog.routines:
        raise CatalogError(f"unknown knee_routine {catalog.knee_routine}")


def merge_text(universal: dict, text: dict, where: str = "catalog.toml") -> dict:
    """One record per item: the universal numbers and links with a language's words.

    Every item needs its words (``[exercises.<id>]`` and so on, with as many steps as the
    item has), and the words name no item the universal catalog lacks; ``where`` (the
    language's file) opens every CatalogError.
    """
    merged: dict[str, Any] = {**universal, "safety": text.get("safety")}
    if not isinstance(merged["safety"], str):
        raise CatalogError(f"{where}: no safety line")
    for section in SECTIONS:
        words = text.get(section, {})
        records = universal.get(section, [])
        unknown = words.keys() - {record["id"] for record in records}
        if unknown:
            raise CatalogError(f"{where}: {section}.{sorted(unknown)[0]} is not in the catalog")
        merged[section] = [_merge_item(record, words, f"{where}: {section}.") for record in records]
    return merged


def _merge_item(record: dict, words: dict, where: str) -> dict:
    said = words.get(record["id"])
    if not isinstance(said, dict):
        raise CatalogError(f"{where}{record['id']} has no words")
    item = {**record, **said}
    if "steps" in record:
        steps = said.get("steps", [])
        if len(steps) != len(record["steps"]):
            raise CatalogError(
                f"{where}{record['id']}: {len(steps)} steps, the catalog has {len(record['steps'])}"
            )
        item["steps"] = [
            {**numbers, **step} for numbers, step in zip(record["steps"], steps, strict=True)
        ]
    for way in ("easier", "harder"):
        if (way in record) != (way in said):
            raise CatalogError(f"{where}{record['id']}.{way}: in one catalog file, not both")
        if way in record:
            item[way] = {**record[way], **said[way]}
    return item


def load_catalog(lang: str = DEFAULT_LANGUAGE, universal: Path = CATALOG_FILE) -> Catalog:
    """A language's catalog: the universal file merged with ``<lang>/catalog.toml``."""
    text = language.read(lang, language.CATALOG_TEXT_FILE)
    data = language.language_data(lang)
    where = f"{lang}/{language.CATALOG_TEXT_FILE}"
    raw = merge_text(content_files.load(universal), text, where)
    return parse_catalog(raw, data["stemmer"], data["name_openers"])


@cache
def catalog_for(lang: str) -> Catalog:
    """A language's catalog, parsed once per process (``lang`` names a content folder)."""
    return load_catalog(lang)


def default_catalog() -> Catalog:
    """The catalog of the default language, parsed once per process."""
    return catalog_for(DEFAULT_LANGUAGE)
