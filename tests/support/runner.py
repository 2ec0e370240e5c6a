"""The local runner as a user starts it: ``python local_runner.py ...`` from the project."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections.abc import Mapping
from typing import Any

import pytest

from skill.coach.step_coach import StepCoach
from skill.local.runner.cli import main
from skill.local.runner.console import Console
from skill.local.runner.conversation import Conversation, Voice
from skill.local.runner.session import LocalSession
from skill.local.runner.transports import SkillFailed
from skill.local.understanding.nlu import LocalNLU
from tests.support.servers import PROJECT_DIR


def run_local_runner(
    *argv: str, env: Mapping[str, str] | None = None, timeout: float = 120, check: bool = False
) -> subprocess.CompletedProcess[str]:
    """Run ``local_runner.py`` with ``argv`` to completion; output captured as text."""
    return subprocess.run(
        [sys.executable, "local_runner.py", *argv],
        cwd=PROJECT_DIR,
        env=None if env is None else dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=check,
    )


def assert_one_line_error(status: int, out: str, err: str, *words: str) -> None:
    """The runner failed as a user should see it: one line on stderr naming ``words``."""
    assert status != 0
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("local_runner: error: ")
    for word in words:
        assert word in lines[0]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """The runner in this process: its exit status, stdout and stderr."""
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def json_turns(stdout: str) -> list[dict[str, Any]]:
    """Every stdout line must be one JSON object."""
    return [json.loads(line) for line in stdout.splitlines()]


def says(*utterances: str) -> list[str]:
    return [arg for utterance in utterances for arg in ("--say", utterance)]


class RecordingSkill:
    """The skill in this process, remembering every request and answer; ``fail_on`` names
    an intent it gives no answer to, as an endpoint that times out."""

    def __init__(self, coach: StepCoach | None = None, fail_on: str | None = None) -> None:
        self.coach = coach or StepCoach.from_environment()
        self.fail_on = fail_on
        self.sent: list[dict[str, Any]] = []
        self.answers: list[dict[str, Any]] = []

    def send(self, envelope: Mapping[str, Any]) -> dict[str, Any]:
        self.sent.append(json.loads(json.dumps(envelope)))
        intent = (envelope["request"].get("intent") or {}).get("name")
        if self.fail_on is not None and intent == self.fail_on:
            raise SkillFailed("no answer within 10 s", "ENDPOINT_TIMEOUT")
        answer = self.coach.handle(envelope)
        self.answers.append(answer)
        return answer

    def close(self) -> None:
        pass

    def ended(self) -> list[dict[str, Any]]:
        """The SessionEndedRequests it was sent."""
        return [e["request"] for e in self.sent if e["request"]["type"] == "SessionEndedRequest"]


def conversation_with(
    skill: RecordingSkill,
    speaker: Voice | None = None,
    *,
    json_lines: bool = True,
    session: LocalSession | None = None,
) -> Conversation:
    """A conversation with ``skill`` (en-US unless ``session`` says), its console writing
    to strings."""
    console = Console(json_lines=json_lines, echo_user=True, out=io.StringIO(), err=io.StringIO())
    session = session or LocalSession(LocalNLU.for_locale("en-US"))
    return Conversation(session, skill, speaker, console)


def converse(coach: StepCoach, *utterances: str) -> tuple[RecordingSkill, list[dict[str, Any]]]:
    """Say ``utterances`` in turn (until one leaves): what the skill got, and the JSON turns."""
    skill = RecordingSkill(coach)
    conversation = conversation_with(skill)
    for utterance in utterances:
        if not conversation.say(utterance):
            break
    return skill, json_turns(conversation.console.out.getvalue())
