"""Real server processes on loopback ports, started and stopped: gunicorn and dynalite.

Shared by the tests and the benchmarks. A server's log goes to a file, never to a pipe
(a pipe nobody reads fills up under load and stalls the workers), and gunicorn's worker
pids are known, so their memory can be sampled from ``/proc``.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from skill.settings import PROJECT_DIR

GUNICORN_CONF = PROJECT_DIR / "skill" / "serve" / "gunicorn_conf.py"
DYNALITE = PROJECT_DIR / "tests" / "dynalite" / "node_modules" / ".bin" / "dynalite"
# dynalite checks that requests are signed, not by whom.
FAKE_AWS_CREDENTIALS = {"aws_access_key_id": "step-coach-test", "aws_secret_access_key": "unused"}
# The skill's endpoint as gunicorn loads it.
SKILL_APP = "skill.app:create_app()"
# The same worker count for every app under test: one per core on the 2-core bench machine.
WORKERS = 2


@dataclass
class Server:
    """A running gunicorn: where it listens, its master pid and where its log goes."""

    host: str
    port: int
    process: subprocess.Popen
    log_path: Path
    env: Mapping[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def worker_pids(self) -> list[int]:
        """The master's live child processes, read from /proc (Linux only)."""
        pids = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # The command name is in parentheses and may contain spaces: split after it.
            fields = stat.rsplit(")", 1)[1].split()
            if int(fields[1]) == self.process.pid:
                pids.append(int(entry.name))
        return sorted(pids)

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def rss_kib(pid: int) -> int:
    """Resident memory of a process in KiB, from /proc/<pid>/status (VmRSS)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for pid {pid}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_serving(server: Server, workers: int, timeout: float) -> None:
    """Wait until every worker has started and one answers, not just for the socket."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(
                f"gunicorn exited with status {server.process.returncode}:\n{server.log_tail()}"
            )
        try:
            connection = http.client.HTTPConnection(server.host, server.port, timeout=2)
            connection.request("GET", "/health")
            connection.getresponse().read()
            connection.close()
            if len(server.worker_pids()) >= workers:
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise TimeoutError(f"gunicorn not serving after {timeout} s:\n{server.log_tail()}")


@contextmanager
def gunicorn(
    app: str = SKILL_APP,
    *,
    env: Mapping[str, str] | None = None,
    workers: int = WORKERS,
    timeout: float = 30.0,
) -> Iterator[Server]:
    """Run ``app`` under gunicorn with the project's configuration; stop it afterwards."""
    port = free_port()
    environment = {
        **os.environ,
        "STEP_COACH_STORE": "none",
        "STEP_COACH_LOG_LEVEL": "INFO",
        **(env or {}),
    }
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "-c",
        str(GUNICORN_CONF),
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        app,
    ]
    log_file = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed in the finally below
        prefix="step-coach-gunicorn-", suffix=".log", delete=False
    )
    process = subprocess.Popen(
        command, cwd=PROJECT_DIR, env=environment, stdout=log_file, stderr=subprocess.STDOUT
    )
    server = Server("127.0.0.1", port, process, Path(log_file.name), env or {})
    try:
        _wait_until_serving(server, workers, timeout)
        yield server
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log_file.close()
        Path(log_file.name).unlink(missing_ok=True)


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
