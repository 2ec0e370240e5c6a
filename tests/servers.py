"""Test support: real server processes on loopback ports (gunicorn), started and stopped.

Not a test module; tests import it as ``import servers``.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

PROJECT_DIR = Path(__file__).resolve().parent.parent
DYNALITE = PROJECT_DIR / "tests" / "dynalite" / "node_modules" / ".bin" / "dynalite"
# dynalite checks that requests are signed, not by whom.
FAKE_AWS_CREDENTIALS = {"aws_access_key_id": "step-coach-test", "aws_secret_access_key": "unused"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited early with status {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listening on port {port} after {timeout} s")


@contextmanager
def gunicorn(
    app: str = "skill.app:create_app()",
    *,
    env: Mapping[str, str] | None = None,
    workers: int = 2,
    extra_args: tuple[str, ...] = (),
) -> Iterator[str]:
    """Run the app under a real gunicorn on a free loopback port; yield its base URL."""
    port = free_port()
    environment = {**os.environ, "STEP_COACH_STORE": "none", **(env or {})}
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "-c",
        str(PROJECT_DIR / "skill" / "gunicorn_conf.py"),
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        *extra_args,
        app,
    ]
    with _serving(command, port, cwd=PROJECT_DIR, env=environment) as url:
        yield url


@contextmanager
def dynalite() -> Iterator[str]:
    """A dynalite server (in memory, a real DynamoDB protocol peer); yields its endpoint URL."""
    if not DYNALITE.exists():
        raise RuntimeError("dynalite is not installed: run `npm ci --prefix tests/dynalite`")
    port = free_port()
    command = [str(DYNALITE), "--host", "127.0.0.1", "--port", str(port), "--createTableMs", "0"]
    with _serving(command, port) as url:
        yield url


@contextmanager
def _serving(command: list[str], port: int, **popen: Any) -> Iterator[str]:
    """Start a server process, wait until its port answers, and always stop it.

    Its output goes to a temporary file, not a pipe: a pipe nobody reads fills up and
    blocks the server mid-test.
    """
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(command, stdout=log, stderr=log, **popen)
        try:
            wait_for_port(port, process)
            yield f"http://127.0.0.1:{port}"
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
