"""The code base stays ruff-clean and keeps its import rules: both run with the tests."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from skill.settings import PROJECT_DIR

IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc")


def ruff(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ruff", *args], cwd=PROJECT_DIR, capture_output=True, text=True
    )


def test_ruff_check_is_clean() -> None:
    result = ruff("check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_is_clean() -> None:
    result = ruff("format", "--check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def lint_imports(project: Path) -> subprocess.CompletedProcess[str]:
    """Run import-linter on the ``skill`` package found in ``project``."""
    return subprocess.run(
        [str(Path(sys.executable).with_name("lint-imports"))],
        cwd=project,
        env={**os.environ, "PYTHONPATH": str(project)},
        capture_output=True,
        text=True,
    )


def test_the_import_rules_hold() -> None:
    result = lint_imports(PROJECT_DIR)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "broken"),
    [
        ("coach/words.py", "import flask", "know nothing of HTTP"),
        ("coach/words.py", "import skill.local.runner.console", "Shells over the coach"),
        ("serve/app.py", "import skill.local.runner.cli", "Shells over the coach"),
        ("serve/lambda_handler.py", "import skill.serve.verification", "Lambda entry point"),
        (
            "local/hearing/recognizer.py",
            "import skill.local.understanding.nlu",
            "Hearing hands over",
        ),
        ("local/hearing/endpoint.py", "import skill.local.understanding", "Hearing hands over"),
        ("local/hearing/microphone.py", "import skill.local.voice.speaker", "Hearing hands over"),
        ("local/hearing/endpoint.py", "import skill.settings", "Hearing reaches the rest"),
        ("local/hearing/denoise.py", "import skill.local.audio_clock", "Hearing reaches the rest"),
        ("local/hearing/recognizer.py", "import skill.coach.language", "Hearing reaches the rest"),
        (
            "local/understanding/nlu.py",
            "import skill.local.runner.session",
            "The local runner's rooms",
        ),
        (
            "local/understanding/meaning.py",
            "import skill.local.understanding.nlu",
            "Understanding:",
        ),
        ("local/voice/speaker.py", "import skill.local.hearing", "The local runner's rooms"),
        ("local/voice/playback.py", "import skill.local.runner", "The local runner's rooms"),
        ("local/audio_clock.py", "import skill.local.voice.playback", "The local runner's rooms"),
        ("local/hearing/audio.py", "import skill.local.runner.session", "The local runner's rooms"),
        ("local/runner/session.py", "import skill.local.runner.console", "The runner:"),
        ("local/runner/transports.py", "import skill.local.runner.session", "The runner:"),
        ("local/runner/runner_words.py", "import skill.local.runner.screen_text", "The runner:"),
        ("local/voice/earcons.py", "import skill.local.voice.audio_format", "The voice:"),
        ("local/voice/espeak.py", "import skill.local.voice.playback", "The voice:"),
        ("local/voice/audio_format.py", "import skill.local.voice.speaker", "The voice:"),
        ("coach/words.py", "import numpy", "The coach never imports boto3"),
        ("coach/words.py", "import sounddevice", "The coach never imports boto3"),
        ("coach/words.py", "import pyrnnoise", "The coach never imports boto3"),
        ("coach/handlers.py", "import boto3", "The coach never imports boto3"),
        ("storage/sqlite.py", "import boto3", "boto3 only in storage's DynamoDB"),
        ("serve/app.py", "import botocore", "boto3 only in storage's DynamoDB"),
        ("storage/__init__.py", "import boto3", "boto3 only in storage's DynamoDB"),
        ("local/runner/transports.py", "import botocore", "boto3 only in storage's DynamoDB"),
        ("deploy/project.py", "import skill.coach.catalog", "Deploy reads the coach only"),
    ],
)
def test_a_wrong_import_breaks_the_rules(tmp_path: Path, module: str, line: str, broken: str):
    """The contracts are not vacuous: each catches the import it exists to forbid."""
    shutil.copytree(PROJECT_DIR / "skill", tmp_path / "skill", ignore=IGNORED)
    shutil.copy(PROJECT_DIR / "pyproject.toml", tmp_path)
    target = tmp_path / "skill" / module
    target.write_text(target.read_text() + f"\n{line}\n")
    result = lint_imports(tmp_path)
    assert result.returncode != 0, result.stdout
    assert broken in result.stdout.split("Broken contracts")[1], result.stdout
