"""The local runner as a user starts it: ``python local_runner.py ...`` from the project."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping

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
