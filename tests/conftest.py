"""Shared fixtures: the skill core with pinned randomness, dynalite, a missing speech engine."""

from __future__ import annotations

import os
import random
from collections.abc import Iterator

import pytest
import pyttsx3

from skill.coach.speech import SpeechRenderer
from skill.coach.step_coach import StepCoach
from tests.support import servers

# Nothing in the suite writes to the project's var/ store: tests that need storage bring
# their own (SQLite in tmp_path, dynalite). Subprocesses (gunicorn, the runner) inherit this.
os.environ["STEP_COACH_STORE"] = "none"


@pytest.fixture(scope="session")
def renderer() -> SpeechRenderer:
    return SpeechRenderer(rng=random.Random(7))


@pytest.fixture(scope="session")
def coach(renderer: SpeechRenderer) -> StepCoach:
    """The skill core without persistence: conversation state lives in the session only."""
    return StepCoach(renderer=renderer, persistence_adapter=None)


@pytest.fixture(scope="session")
def dynalite() -> Iterator[str]:
    """A dynalite server for the whole session (installed by `npm ci`); yields its URL."""
    with servers.dynalite() as endpoint:
        yield endpoint


@pytest.fixture
def no_engine(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """pyttsx3.init fails as it does without libespeak-ng; records each attempt."""
    attempts: list[str] = []

    def failing_init(*args: object, **kwargs: object) -> None:
        attempts.append("init")
        raise RuntimeError("This means you probably do not have eSpeak or eSpeak-ng installed!")

    monkeypatch.setattr(pyttsx3, "init", failing_init)
    return attempts
