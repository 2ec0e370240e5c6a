"""Priming: everything a first request would do on first use, done before any request comes.

A fresh process pays on its first request for whatever the coach builds lazily: every
template parsed (or loaded from the package's precompiled modules), the plans compiled,
the screens' documents read, the SDK's dispatch, the codec and each handler run once, the
store's client built. :func:`prime` does all of it ahead: where a Lambda takes a SnapStart
snapshot (before it, in a runtime hook), or once at start-up (gunicorn before it forks, a
plain Lambda's init), never inside a request.

The rehearsal is a short conversation per set of templates (every response key but the
catch-all's apology, a refused touch's hint, the notices of a lost place or a failed save,
the answer to a set already done and a skip to an exercise the routine lacks: those
templates are parsed, not rendered), on a screen device so screens render too,
answered by a stand-in coach sharing the real one's catalog and renderer but with no store:
nothing is read or written, and no network call is made. The real store's client is
built by the adapter's own :meth:`~skill.storage.base.PersistenceAdapter.prime`.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

from skill.alexa import requests
from skill.coach import asking, wellbeing
from skill.coach.language import all_locales, language_data, language_of
from skill.coach.step_coach import StepCoach

# A slot value no language's content names (a yoga retreat, the tax return).
UNKNOWN_VALUE = "zzxq"
# Who the rehearsal talks as: a stand-in coach with no store, so no user is ever written.
_IDENTITY = requests.Identity(
    "amzn1.ask.skill.step-coach-priming", "amzn1.ask.account.PRIMING", "amzn1.ask.device.PRIMING"
)


def _rehearsal(coach: StepCoach, locale: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """(request type or intent, slots) for a conversation that meets every kind of response:
    the menu's answers with no workout, then a workout from its first step to beyond its last.
    The words a slot carries are the locale's language's own (or none it knows).
    """
    catalog = coach.catalog_of(locale)
    words = language_data(language_of(locale))["types"]
    faster, slower = words["PACE"]["fast"][0], words["PACE"]["slow"][0]
    workout = next(iter(catalog.exercises))
    topic = next(iter(catalog.topics.values())).name
    yield "LaunchRequest", {}
    for name in ("AMAZON.NoIntent", "AMAZON.NavigateHomeIntent", "AMAZON.NextIntent"):
        yield name, {}
    yield "SetPaceIntent", {"pace": faster}
    yield "SetSoundsIntent", {"setting": words["SOUNDS"]["off"][0]}
    yield "ExplainIntent", {}
    yield "ExplainIntent", {"topic": topic}
    yield "ExplainIntent", {"topic": UNKNOWN_VALUE}
    for name in (
        "ListExercisesIntent",
        "ProgressIntent",
        "AMAZON.HelpIntent",
        "StartWorkoutIntent",
    ):
        yield name, {}
    yield "StartWorkoutIntent", {"exercise": UNKNOWN_VALUE}
    yield "StartWorkoutIntent", {"exercise": catalog.exercises[workout].name}
    yield "SetPaceIntent", {"pace": slower}
    yield "SetPaceIntent", {"pace": UNKNOWN_VALUE}
    # What a runner asks or says mid-workout, and skipping out of it; then back in.
    for name in (*asking.INTENTS, *wellbeing.INTENTS, "AMAZON.YesIntent"):
        yield name, {}
    yield "AboutExerciseIntent", {"exercise": catalog.exercises[workout].name}
    yield "PainIntent", {}
    yield "AMAZON.FallbackIntent", {}  # neither yes nor no: the question again
    yield "AMAZON.NoIntent", {}  # go on gently
    yield "SkipIntent", {}
    yield "StartWorkoutIntent", {"exercise": catalog.exercises[workout].name}
    for name in ("Next", "Repeat", "Previous", "Pause", "Resume", "Fallback"):
        yield f"AMAZON.{name}Intent", {}
    for _ in range(len(catalog.plan(workout).steps) + 1):  # to the end, and one beyond it
        yield "AMAZON.NextIntent", {}
    yield "AMAZON.StopIntent", {}
    yield "StartWorkoutIntent", {"exercise": catalog.exercises[workout].name}
    yield "PainIntent", {}
    yield "AMAZON.YesIntent", {}  # stop for today


def _locales(coach: StepCoach) -> list[str]:
    """One published locale per set of templates (en-US, en-CA and en-IN all render ``en``)."""
    chosen: dict[int, str] = {}
    for locale in all_locales():
        chosen.setdefault(id(coach.renderer.speech(locale)), locale)
    return list(chosen.values())


def rehearse(coach: StepCoach) -> int:
    """Answer the rehearsal once per set of templates; returns how many requests it took."""
    stand_in = StepCoach(
        catalog=coach.fixed_catalog,
        renderer=coach.renderer,
        persistence_adapter=None,
        clock=coach.clock,
    )
    answered = 0
    for locale in _locales(coach):
        attributes: dict[str, Any] | None = None
        # A voice-only device's launch first (most are), then the conversation on a screen.
        for screen, (name, slots) in [(False, ("LaunchRequest", {}))] + [
            (True, step) for step in _rehearsal(coach, locale)
        ]:
            fields: dict[str, Any] = {}
            if name != "LaunchRequest":
                slot_values = {k: requests.slot(k, v) for k, v in slots.items()}
                fields["intent"] = requests.intent(name, slot_values)
            body = requests.request(
                "LaunchRequest" if name == "LaunchRequest" else "IntentRequest",
                locale=locale,
                **fields,
            )
            envelope = requests.envelope(
                body,
                _IDENTITY,
                session_id="amzn1.echo-api.session.priming",
                new=attributes is None,
                attributes=attributes,
                screen=screen,
            )
            response = stand_in.handle(envelope)
            answered += 1
            if response["response"].get("shouldEndSession") or not screen:
                attributes = None
            else:
                attributes = response.get("sessionAttributes") or {}
    return answered


def prime(coach: StepCoach) -> None:
    """Every template, plan and screen loaded, each kind of response rendered once, and the
    store's client built: what a first request would otherwise do."""
    coach.warm_up()
    rehearse(coach)
    if coach.persistence_adapter is not None:
        coach.persistence_adapter.prime()


def renew(coach: StepCoach) -> None:
    """After a snapshot restore: what must differ between restored instances does.

    Every instance restored from one snapshot resumes with the same random state, so each
    would pick the same greeting and the same praise: the module's and the renderer's
    generators are reseeded from the system's entropy, which differs per instance. The
    store's client is replaced (connections and credentials are per instance).
    """
    random.seed()
    coach.renderer.rng.seed()
    if coach.persistence_adapter is not None:
        coach.persistence_adapter.renew()
