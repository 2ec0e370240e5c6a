"""Endpoint throughput and latency under wrk: the skill against a bare Flask app.

Both apps run under the same gunicorn configuration and worker count, on loopback, and
receive the same request mix (:mod:`bench.scenario`) from wrk at a fixed concurrency for
a fixed time. wrk replays fixed bytes, so the mix is built (and, with verification on,
signed and time-stamped) right before each run; a run is far shorter than the 150 s
timestamp tolerance.
"""

from __future__ import annotations

import http.client
import json
import os
import resource
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from pathlib import Path

from bench import machine
from bench.scenario import APPLICATION_ID, SESSION, bodies, envelope
from bench.signed_app import PKI_DIR
from skill.coach.step_coach import StepCoach
from tests.support import servers
from tests.support.signing import TestAlexaSigner

LUA_SCRIPT = Path(__file__).with_name("mix.lua")
BASE_HEADERS = {"Content-Type": "application/json; charset=utf-8"}

# Headers for one body: none when unsigned, the signature headers when signed.
Signer = Callable[[bytes], dict[str, str]]


@dataclass(frozen=True)
class LoadSettings:
    duration_s: int = 10
    connections: int = 16
    threads: int = 2
    warmup_s: int = 1
    rounds: int = 3  # runs per app, interleaved; the median is reported


@dataclass(frozen=True)
class WrkResult:
    """One wrk run's figures; latencies in milliseconds."""

    requests: int
    duration_s: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    non2xx: int
    socket_errors: int
    other_cpu: float = 0.0  # share of all CPUs other processes used during the run
    server_cpu_ms: float = 0.0  # gunicorn (master + workers) CPU time per request

    @property
    def requests_per_s(self) -> float:
        return self.requests / self.duration_s if self.duration_s else 0.0

    @classmethod
    def from_wrk(cls, figures: dict[str, float]) -> WrkResult:
        return cls(
            requests=int(figures["requests"]),
            duration_s=figures["duration_us"] / 1e6,
            p50_ms=figures["p50_us"] / 1000,
            p90_ms=figures["p90_us"] / 1000,
            p99_ms=figures["p99_us"] / 1000,
            max_ms=figures["max_us"] / 1000,
            non2xx=int(figures["non2xx"]),
            socket_errors=int(
                figures["connect_errors"]
                + figures["read_errors"]
                + figures["write_errors"]
                + figures["timeouts"]
            ),
        )


def lua_string(data: bytes) -> str:
    """A Lua string literal for arbitrary bytes (decimal escapes for anything unusual)."""
    safe = set(range(0x20, 0x7F)) - {ord('"'), ord("\\")}
    return '"' + "".join(chr(b) if b in safe else f"\\{b:03d}" for b in data) + '"'


def write_mix(path: Path, requests: Sequence[tuple[dict[str, str], bytes]]) -> None:
    """The data file mix.lua loads: a Lua list of {headers = {...}, body = "..."}."""
    lines = ["return {"]
    for headers, body in requests:
        header_items = ", ".join(
            f"[{lua_string(k.encode())}] = {lua_string(v.encode())}" for k, v in headers.items()
        )
        lines.append(f"  {{ headers = {{ {header_items} }}, body = {lua_string(body)} }},")
    lines.append("}")
    path.write_text("\n".join(lines) + "\n")


def build_mix(coach: StepCoach, signer: Signer | None) -> list[tuple[dict[str, str], bytes]]:
    """Fresh bodies (current timestamps), each with its headers, signed when asked."""
    mix = []
    for body in bodies(coach):
        headers = dict(BASE_HEADERS)
        if signer is not None:
            headers.update(signer(body))
        mix.append((headers, body))
    return mix


def check_mix(url: str, mix: Sequence[tuple[dict[str, str], bytes]]) -> None:
    """Every request of the mix answers 200 with speech, before any timing starts."""
    host, port = url.removeprefix("http://").split(":")
    for headers, body in mix:
        connection = http.client.HTTPConnection(host, int(port), timeout=10)
        try:
            connection.request("POST", "/", body=body, headers=headers)
            answer = connection.getresponse()
            content = answer.read()
        finally:
            connection.close()
        if answer.status != 200:
            raise RuntimeError(f"the mix gets {answer.status}: {content[:300]!r}")
        json.loads(content)


def run_wrk(url: str, mix_file: Path, duration_s: int, settings: LoadSettings) -> WrkResult:
    wrk = shutil.which("wrk")
    if wrk is None:
        raise RuntimeError("wrk is not installed (apt-get install wrk)")
    command = [
        wrk,
        f"--threads={settings.threads}",
        f"--connections={settings.connections}",
        f"--duration={duration_s}s",
        "--timeout=10s",
        f"--script={LUA_SCRIPT}",
        url + "/",
        "--",
        str(mix_file),
    ]
    finished = subprocess.run(
        command, capture_output=True, text=True, timeout=duration_s + 60, check=False
    )
    for line in finished.stdout.splitlines():
        if line.startswith("BENCH_JSON "):
            return WrkResult.from_wrk(json.loads(line.removeprefix("BENCH_JSON ")))
    raise RuntimeError(f"wrk failed ({finished.returncode}): {finished.stdout}{finished.stderr}")


def _server_ticks(server: servers.Server) -> int:
    return sum(machine.process_ticks(pid) for pid in (server.process.pid, *server.worker_pids()))


def _client_ticks() -> int:
    """CPU ticks used so far by this process and its reaped children (wrk)."""
    own = os.times()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    seconds = own.user + own.system + children.ru_utime + children.ru_stime
    return round(seconds * machine.CLOCK_TICKS)


def measured_run(
    server: servers.Server, mix_file: Path, duration_s: int, settings: LoadSettings
) -> WrkResult:
    """One wrk run, with the CPU share other processes on the machine took meanwhile."""
    busy_before, total_before = machine.busy_ticks()
    server_before, client_before = _server_ticks(server), _client_ticks()
    result = run_wrk(server.url, mix_file, duration_s, settings)
    busy_after, total_after = machine.busy_ticks()
    server_ticks = _server_ticks(server) - server_before
    client_ticks = _client_ticks() - client_before
    other = (busy_after - busy_before - server_ticks - client_ticks) / max(
        1, total_after - total_before
    )
    return replace(
        result,
        other_cpu=max(0.0, other),
        server_cpu_ms=server_ticks / machine.CLOCK_TICKS * 1000 / max(1, result.requests),
    )


# --- the cases of one endpoint run ------------------------------------------------------
BARE_APP = "bench.bare_app:create_app()"
SKILL_APP = "skill.app:create_app()"
SIGNED_APP = "bench.signed_app:create_app()"
SKILL_ENV = {"STEP_COACH_VERIFY": "0", "STEP_COACH_SKILL_ID": APPLICATION_ID}


@dataclass(frozen=True)
class Case:
    """One app under load: which app, whether the mix is signed, its environment."""

    key: str
    label: str
    app: str
    signed: bool = False
    env: dict[str, str] = field(default_factory=dict)


CASES = (
    Case("bare", "bare Flask", BARE_APP),
    Case(
        "skill", "skill, verification off", SKILL_APP, env={**SKILL_ENV, "STEP_COACH_STORE": "none"}
    ),
    Case("bare_signed", "bare Flask, signed mix", BARE_APP, signed=True),
    Case(
        "skill_signed",
        "skill, verification ON",
        SIGNED_APP,
        signed=True,
        env={"STEP_COACH_STORE": "none"},
    ),
    Case(
        "skill_sqlite",
        "skill, verification off, SQLite store",
        SKILL_APP,
        env={**SKILL_ENV, "STEP_COACH_STORE": "sqlite"},
    ),
)


def write_pki(folder: Path) -> None:
    """Write what bench.signed_app needs: the public PKI and a freshly signed request."""
    signer = TestAlexaSigner.valid()
    (folder / "root.pem").write_bytes(signer.root_pem)
    (folder / "chain.pem").write_bytes(signer.chain_pem)
    (folder / "cert_url.txt").write_text(signer.cert_url)
    body = json.dumps(envelope(SESSION[0], {}, new=True)).encode()
    warmup = {"headers": signer.sign(body), "body": body.decode()}
    (folder / "warmup.json").write_text(json.dumps(warmup))


def case_environment(case: Case, work: Path) -> dict[str, str]:
    """The case's environment; files it needs are written into ``work`` right now."""
    env = dict(case.env)
    if case.env.get("STEP_COACH_STORE") == "sqlite":
        env["STEP_COACH_DB"] = str(work / f"{case.key}.sqlite3")
    if case.app == SIGNED_APP:
        write_pki(work)
        env[PKI_DIR] = str(work)
    return env


def median_run(runs: Sequence[WrkResult]) -> WrkResult:
    """The run with the median requests/s; its latencies come from that same run."""
    return sorted(runs, key=lambda run: run.requests_per_s)[len(runs) // 2]


def _prepare(
    server: servers.Server,
    mix: list[tuple[dict[str, str], bytes]],
    mix_file: Path,
    settings: LoadSettings,
) -> None:
    """Check every request of the mix answers 200, then warm the workers up."""
    check_mix(server.url, mix)
    write_mix(mix_file, mix)
    if settings.warmup_s:
        run_wrk(server.url, mix_file, settings.warmup_s, settings)


def run_cases(
    settings: LoadSettings, keys: Sequence[str] | None = None, coach: StepCoach | None = None
) -> dict[str, list[WrkResult]]:
    """Every case (or those named by ``keys``): all runs, ``settings.rounds`` per case.

    All the servers start first; then each round loads every case in turn, after waiting
    for a quiet machine. Interleaving keeps a slow spell of a shared host from landing on
    one app only, and a skill run is compared with the bare run of the same round.
    """
    coach = coach or StepCoach()
    sign = TestAlexaSigner.valid().sign
    chosen = [case for case in CASES if keys is None or case.key in keys]
    runs: dict[str, list[WrkResult]] = {case.key: [] for case in chosen}
    with ExitStack() as stack:
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="step-coach-bench-")))
        running = {
            case.key: stack.enter_context(
                servers.gunicorn(case.app, env=case_environment(case, work))
            )
            for case in chosen
        }

        def mix(case: Case) -> list[tuple[dict[str, str], bytes]]:
            return build_mix(coach, sign if case.signed else None)

        for case in chosen:
            _prepare(running[case.key], mix(case), work / f"{case.key}.lua", settings)
        for _ in range(settings.rounds):
            for case in chosen:
                machine.wait_until_quiet()
                mix_file = work / f"{case.key}.lua"
                write_mix(mix_file, mix(case))  # fresh timestamps for every run
                runs[case.key].append(
                    measured_run(running[case.key], mix_file, settings.duration_s, settings)
                )
    return runs
