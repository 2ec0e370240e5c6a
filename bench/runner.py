"""The local runner's latency: from a typed turn to its first sound, and a cold one-shot run.

A typed turn goes through the local NLU into an Alexa envelope, through the skill core,
and its SSML is streamed by the speaker (muted, so nothing waits for the speakers): the
player starts with the first segment's sound while the rest renders. "First sound" is
that moment; "rendered" is when the whole turn's WAV is written.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from skill.coach.step_coach import StepCoach
from skill.local.runner.session import LocalSession
from skill.local.understanding.nlu import LocalNLU
from skill.local.voice.speaker import Speaker
from tests.support.runner import run_local_runner

TURNS = ("open step coach", "start russian push ups", "next", "why do glutes matter", "stop")
ONE_SHOT = ("--mute", "--new-user", "--say", "start russian push ups")


@dataclass(frozen=True)
class TypedTurnTiming:
    """Medians over the rounds, in milliseconds; ``audio_s`` is the turn's spoken length."""

    utterance: str
    understand_ms: float
    skill_ms: float
    first_sound_ms: float  # after the skill answered: the first segment rendered
    speech_ms: float  # after the skill answered: the whole turn rendered
    total_ms: float  # typed turn to first sound
    audio_s: float


@dataclass(frozen=True)
class RunnerReport:
    engine_start_ms: float  # the first render of a process: pyttsx3 and espeak-ng start
    turns: list[TypedTurnTiming]
    one_shot_ms: float  # wall time of `python local_runner.py --mute --say ...`, median
    one_shot_runs: int
    voiced: bool  # False when no speech engine was found: speech times are then zero


def answer(coach: StepCoach, session: LocalSession, prepared: Sequence) -> str:
    """Send one turn's prepared requests to the skill; the SSML the coach speaks for it
    (a SessionEndedRequest's answer is never spoken), or "" when there is none."""
    ssml = ""
    for sent in prepared:
        response = coach.handle(sent.envelope)
        session.absorb(sent, response)
        if sent.request_type != "SessionEndedRequest":
            ssml = (response.get("response", {}).get("outputSpeech") or {}).get("ssml", "")
    return ssml


def _one_round(
    nlu: LocalNLU, coach: StepCoach, speaker: Speaker
) -> list[tuple[float, float, float, float, float]]:
    """(understand, skill, first sound, rendered, audio seconds) per turn of one session."""
    session = LocalSession(nlu)
    timings = []
    for utterance in TURNS:
        started = time.perf_counter()
        prepared = session.prepare(utterance)
        understood = time.perf_counter()
        ssml = answer(coach, session, prepared)
        answered = time.perf_counter()
        clock = PerfClock()
        playback = speaker.stream(ssml, clock) if ssml else None
        ready = time.perf_counter()
        timings.append(
            (
                understood - started,
                answered - understood,
                (playback.started if playback else ready) - answered,
                ready - answered,
                playback.audio.duration_s if playback else 0.0,
            )
        )
    return timings


class PerfClock:
    """The speaker's clock on perf_counter, so its start time compares with the turn's."""

    def now(self) -> float:
        return time.perf_counter()

    def sleep(self, seconds: float) -> None:
        time.sleep(max(0.0, seconds))


def turn_latencies(rounds: int = 5) -> tuple[float, list[TypedTurnTiming], bool]:
    """Engine start-up time, then per-turn medians over ``rounds`` sessions."""
    nlu = LocalNLU.for_locale("en-US")
    coach = StepCoach()  # no per-user store: the benchmark must not touch anyone's history
    with (
        tempfile.TemporaryDirectory(prefix="step-coach-bench-") as folder,
        Speaker(mute=True, wav_path=Path(folder) / "run.wav") as speaker,
    ):
        started = time.perf_counter()
        voiced = speaker.render("<speak>Ready.</speak>") is not None
        engine_start_ms = (time.perf_counter() - started) * 1000
        rounds_data = [_one_round(nlu, coach, speaker) for _ in range(rounds)]
    turns = []
    for index, utterance in enumerate(TURNS):
        samples = [round_data[index] for round_data in rounds_data]

        def median_ms(part: int, samples: Sequence[tuple[float, ...]] = samples) -> float:
            return statistics.median(sample[part] for sample in samples) * 1000

        turns.append(
            TypedTurnTiming(
                utterance=utterance,
                understand_ms=median_ms(0),
                skill_ms=median_ms(1),
                first_sound_ms=median_ms(2),
                speech_ms=median_ms(3),
                total_ms=statistics.median(sum(sample[:3]) for sample in samples) * 1000,
                audio_s=statistics.median(sample[4] for sample in samples),
            )
        )
    return engine_start_ms, turns, voiced


def one_shot(runs: int = 3) -> float:
    """Median wall time of a cold ``local_runner.py`` one-shot, in milliseconds.

    The per-user store goes to a throwaway database and the user is new each run, so the
    benchmark leaves the developer's history and remembered user alone.
    """
    samples = []
    with tempfile.TemporaryDirectory(prefix="step-coach-bench-") as folder:
        env = {**os.environ, "STEP_COACH_DB": str(Path(folder) / "runner.sqlite3")}
        for _ in range(runs):
            started = time.perf_counter()
            run_local_runner(*ONE_SHOT, env=env, check=True)
            samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def measure(rounds: int = 5, one_shot_runs: int = 3) -> RunnerReport:
    engine_start_ms, turns, voiced = turn_latencies(rounds)
    return RunnerReport(
        engine_start_ms=engine_start_ms,
        turns=turns,
        one_shot_ms=one_shot(one_shot_runs),
        one_shot_runs=one_shot_runs,
        voiced=voiced,
    )
