"""The local runner as a user starts it: ``python local_runner.py ...`` from the project."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Mapping
from typing import Any

import pytest

from skill.local.runner.cli import main
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
