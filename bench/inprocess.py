"""In-process cost of the skill core: microseconds per request type, and the cold start.

The per-request figures are what one ``StepCoach.handle`` call costs with no HTTP around
it (the floor for any host, Flask or Lambda). The cold start is what a fresh process pays
before its first answer, which is what an AWS Lambda cold start adds to a request.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import timeit
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model import RequestEnvelope

from bench.scenario import conversation
from skill.coach.step_coach import StepCoach
from tests.support.servers import PROJECT_DIR

# The request types reported, by their label in bench.scenario.SESSION (first match).
REQUEST_TYPES = (
    "LaunchRequest",
    "StartWorkoutIntent",
    "NextIntent (paced)",
    "ExplainIntent",
    "StopIntent",
)

# Runs in a fresh interpreter: import the skill, build it, answer one launch; print times.
_COLD_START_SCRIPT = """
import json, sys, time
started = time.perf_counter()
from skill.coach.step_coach import StepCoach
imported = time.perf_counter()
coach = StepCoach()
built = time.perf_counter()
coach.handle(json.loads(sys.argv[1]))
answered = time.perf_counter()
print(json.dumps({"import_ms": (imported - started) * 1000, "build_ms": (built - imported) * 1000,
                  "first_request_ms": (answered - built) * 1000}))
"""


@dataclass(frozen=True)
class Timing:
    label: str
    microseconds: float


@dataclass(frozen=True)
class ColdStart:
    """Medians over several fresh processes, in milliseconds."""

    runs: int
    import_ms: float
    build_ms: float
    first_request_ms: float
    process_wall_ms: float  # the whole `python -c` run, interpreter start-up included


def per_call_us(call: Callable[[], Any], number: int, repeat: int = 5) -> float:
    """Mean time of one call in the best of ``repeat`` batches, in microseconds.

    The best batch, as timeit recommends: on a shared machine the slower batches measure
    the neighbours, not the code.
    """
    return min(timeit.repeat(call, number=number, repeat=repeat)) / number * 1e6


def request_types(coach: StepCoach, number: int) -> list[Timing]:
    """Microseconds per ``handle`` for each reported request type of the session, from a
    voice-only Echo and from an Echo Show (whose answers carry an APL document).
    """
    timings = []
    for screen, suffix in ((False, ""), (True, " on an Echo Show")):
        envelopes: dict[str, dict[str, Any]] = {}
        for label, envelope in conversation(coach, screen=screen):
            envelopes.setdefault(label, envelope)
        timings += [
            Timing(label + suffix, per_call_us(lambda e=envelopes[label]: coach.handle(e), number))
            for label in REQUEST_TYPES
        ]
    return timings


def _renders(coach: StepCoach, envelopes: list[dict[str, Any]]) -> list[tuple[str, Any, dict]]:
    """The ``SpeechRenderer.render`` calls the session makes, recorded to be replayed."""
    calls: list[tuple[str, Any, dict]] = []
    render = coach.renderer.render

    def recording(key: str, locale: Any, **data: Any) -> Any:
        calls.append((key, locale, data))
        return render(key, locale, **data)

    coach.renderer.render = recording  # type: ignore[method-assign]
    try:
        for envelope in envelopes:
            coach.handle(envelope)
    finally:
        del coach.renderer.render
    return calls


def parts(coach: StepCoach, number: int) -> list[Timing]:
    """Where a request's time goes, averaged over the whole session mix (microseconds)."""
    envelopes = [envelope for _, envelope in conversation(coach)]
    codec, sdk = coach.serializer, DefaultSerializer()
    answers = [
        coach.skill.invoke(request_envelope=codec.from_data(e, RequestEnvelope), context=None)
        for e in envelopes
    ]
    renders = _renders(coach, envelopes)
    count = len(envelopes)

    def mean_us(call: Callable[[], Any]) -> float:
        return per_call_us(call, number) / count

    return [
        Timing(
            "StepCoach.handle, average over the session mix",
            mean_us(lambda: [coach.handle(e) for e in envelopes]),
        ),
        Timing(
            "  of which speech rendering (SpeechRenderer.render)",
            mean_us(lambda: [coach.renderer.render(k, loc, **data) for k, loc, data in renders]),
        ),
        Timing(
            "  of which request deserialization (skill.alexa.codec.ModelCodec)",
            mean_us(lambda: [codec.from_data(e, RequestEnvelope) for e in envelopes]),
        ),
        Timing(
            "  of which response serialization (skill.alexa.codec.ModelCodec)",
            mean_us(lambda: [codec.serialize(a) for a in answers]),
        ),
        Timing(
            "  (what the SDK's DefaultSerializer took to deserialize, with json.dumps)",
            mean_us(lambda: [sdk.deserialize(json.dumps(e), RequestEnvelope) for e in envelopes]),
        ),
        Timing(
            "  (what the SDK's DefaultSerializer took to serialize)",
            mean_us(lambda: [sdk.serialize(a) for a in answers]),
        ),
    ]


def verification(coach: StepCoach, number: int) -> Timing:
    """One ``RequestVerifier.verify`` with signature checks ON and a warm chain cache."""
    from tests.support.signing import TestAlexaSigner  # the test CA; loaded when measured

    signer = TestAlexaSigner.valid()
    verifier = signer.verifier()
    headers, body = signer.signed(conversation(coach)[3][1])
    envelope = json.loads(body)
    verifier.verify(headers, body, envelope)  # fills the cache
    return Timing(
        "RequestVerifier.verify, signature ON (timestamp + RSA check, chain cached)",
        per_call_us(lambda: verifier.verify(headers, body, envelope), number),
    )


def cold_start(runs: int = 5) -> ColdStart:
    """Import + build + first request in fresh interpreters; medians of ``runs``."""
    launch = json.dumps(conversation(StepCoach())[0][1])
    samples: list[dict[str, float]] = []
    for _ in range(runs):
        started = timeit.default_timer()
        finished = subprocess.run(
            [sys.executable, "-c", _COLD_START_SCRIPT, launch],
            cwd=PROJECT_DIR,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        wall_ms = (timeit.default_timer() - started) * 1000
        samples.append({**json.loads(finished.stdout.strip().splitlines()[-1]), "wall_ms": wall_ms})
    return ColdStart(
        runs=runs,
        import_ms=statistics.median(s["import_ms"] for s in samples),
        build_ms=statistics.median(s["build_ms"] for s in samples),
        first_request_ms=statistics.median(s["first_request_ms"] for s in samples),
        process_wall_ms=statistics.median(s["wall_ms"] for s in samples),
    )
