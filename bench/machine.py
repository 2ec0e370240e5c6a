"""The machine a benchmark ran on, and how busy it was with other work meanwhile.

Benchmarks on a shared 2-core box are only comparable when nothing else runs, so every
load phase waits (bounded) for the machine to go quiet first and reports how much CPU
other processes took during the measurement.
"""

from __future__ import annotations

import os
import platform
import subprocess
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class MachineInfo:
    cpus: int
    cpu_model: str
    memory: str  # the "Mem:" line of `free -h`
    python: str
    kernel: str
    date: str


def describe() -> MachineInfo:
    model = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    try:
        free = subprocess.run(["free", "-h"], capture_output=True, text=True, check=True).stdout
        memory = next(line for line in free.splitlines() if line.startswith("Mem:"))
    except (OSError, subprocess.CalledProcessError, StopIteration):
        memory = "unknown"
    return MachineInfo(
        cpus=os.cpu_count() or 0,
        cpu_model=model,
        memory=" ".join(memory.split()),
        python=platform.python_version(),
        kernel=platform.release(),
        date=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    )


def busy_ticks() -> tuple[int, int]:
    """(busy, total) CPU ticks of the whole machine since boot, from /proc/stat."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    total = sum(fields[:8])  # guest time is already counted in user
    return total - idle, total


def process_ticks(pid: int) -> int:
    """CPU ticks (user + system) a live process has used; 0 once it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0
    fields = stat.rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def busy_share(seconds: float = 1.0) -> float:
    """Fraction of all CPUs busy over the next ``seconds``."""
    busy_before, total_before = busy_ticks()
    time.sleep(seconds)
    busy_after, total_after = busy_ticks()
    return (busy_after - busy_before) / max(1, total_after - total_before)


def wait_until_quiet(threshold: float = 0.15, max_wait_s: float = 60.0) -> float:
    """Wait (bounded) until other work leaves the CPUs mostly idle; return the last share."""
    deadline = time.monotonic() + max_wait_s
    share = busy_share()
    while share > threshold and time.monotonic() < deadline:
        share = busy_share()
    return share
