"""The tests' npm tools, run as Node scripts: a JSON payload in, what they print out.

Each tool lives in its own folder under ``tests/`` (``apl_suggester``, ``virtual_alexa``),
pinned by its ``package-lock.json`` and installed with ``npm ci --ignore-scripts``
(``./dev test`` does); a tool that is missing is one clear line naming that command.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

TESTS_DIR = Path(__file__).resolve().parents[1]


def run(
    folder: str,
    package: str,
    script: str,
    payload: Any,
    *,
    env: Mapping[str, str] | None = None,
    timeout: float = 300,
) -> str:
    """``node tests/<folder>/<script>`` with ``payload`` as JSON on stdin: its stdout."""
    where = TESTS_DIR / folder
    node = shutil.which("node")
    if node is None or not (where / "node_modules" / package).is_dir():
        raise RuntimeError(
            f"{package} is not installed: run `npm ci --prefix tests/{folder} "
            "--ignore-scripts` (./dev test does)"
        )
    done = subprocess.run(
        [node, str(where / script)],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        cwd=where,
        env={**os.environ, **(env or {})},
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{package} failed: {done.stderr.strip()[-2000:]}")
    return done.stdout
