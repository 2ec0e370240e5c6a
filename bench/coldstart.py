"""``python -m bench.coldstart``: what a Lambda cold start pays, against a hello-skill floor.

A cold start is a fresh interpreter importing the handler and answering its first request.
Both handlers run from the same unzipped deployment folder (the packaged Lambda zip, built
as ``./dev package`` builds it) in isolated interpreters (``python -I -S``: only that
folder importable), alternating round by round so drift hits both alike:

* ``step coach``: ``skill.lambda_function.lambda_handler`` answering a LaunchRequest;
* ``hello floor``: the smallest ask-sdk-core skill, one LaunchRequest handler
  (``SkillBuilder().lambda_handler()``), answering the same envelope.

Two bytecode settings, because they differ by a factor on Lambda: ``.pyc`` is the zip as
``./dev package`` builds it for the building Python's runtime (bytecode shipped; the hello
skill's written by one unmeasured run); ``no .pyc`` is a zip for another runtime (Lambda's
/var/task is read-only, so every module is compiled from source on every cold start:
``-B`` and no ``__pycache__``). Figures are medians of whole-process wall times,
interpreter start-up included.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from bench.scenario import conversation
from skill.coach.step_coach import StepCoach
from skill.deploy import lambda_package, sources
from tests.support import servers

HELLO_MODULE = "hello_function"
# The minimal ask-sdk-core skill, as in Amazon's hello-world sample: the floor.
HELLO_SOURCE = '''\
"""Hello: one LaunchRequest handler, the smallest ask-sdk-core skill."""
from ask_sdk_core.skill_builder import SkillBuilder
from ask_sdk_core.utils import is_request_type

builder = SkillBuilder()


@builder.request_handler(can_handle_func=is_request_type("LaunchRequest"))
def launch(handler_input):
    return handler_input.response_builder.speak("Hello from the floor.").response


lambda_handler = builder.lambda_handler()
'''
# Runs in the measured interpreter: import the handler, answer one request, report. With
# RUNTIME_IMPORTS set, it first imports what Lambda's Python runtime (awslambdaric's
# bootstrap.py) has imported before it imports any handler, so both skills get them free.
CHILD = """
import json, os, sys, time
if os.environ.get("RUNTIME_IMPORTS"):
    import importlib, logging, traceback
started = time.perf_counter()
sys.path.insert(0, sys.argv[1])
module = __import__(sys.argv[2], fromlist=["lambda_handler"])
imported = time.perf_counter()
answer = module.lambda_handler(json.loads(sys.argv[3]), None)
answered = time.perf_counter()
assert answer["response"]["outputSpeech"]["ssml"], answer
print(json.dumps({"import_ms": (imported - started) * 1e3,
                  "first_request_ms": (answered - imported) * 1e3}))
"""
HANDLERS = {"step coach": sources.LAMBDA_MODULE, "hello floor": HELLO_MODULE}
TARGET_RATIO = 1.5


@dataclass(frozen=True)
class Sample:
    wall_ms: float  # the whole process, as the parent saw it
    cpu_ms: float  # its user + system CPU time: steadier than wall time on a busy host
    import_ms: float
    first_request_ms: float


@dataclass(frozen=True)
class Row:
    handler: str
    bytecode: bool
    samples: tuple[Sample, ...]
    instructions: int | None = None  # one run under callgrind, with --instructions

    def median(self, field: str) -> float:
        return statistics.median(getattr(sample, field) for sample in self.samples)


def prepare(folder: Path, build_dir: Path) -> Path:
    """The packaged zip, unzipped into ``folder``, with the hello skill beside it."""
    zip_path = build_dir / "coldstart" / "step-coach-lambda.zip"
    lambda_package.build_lambda_zip(
        build_dir / "coldstart" / "lambda",
        zip_path,
        lambda_package.Target(lambda_package.BUILD_RUNTIME),
        build_dir,
    )
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(folder)
    (folder / f"{HELLO_MODULE}.py").write_text(HELLO_SOURCE, encoding="utf-8")
    return folder


def drop_bytecode(folder: Path) -> None:
    for cache in folder.rglob("__pycache__"):
        shutil.rmtree(cache)


def run_once(
    folder: Path, module: str, envelope: str, environment: Mapping[str, str], bytecode: bool
) -> Sample:
    flags = ["-I", "-S"] if bytecode else ["-I", "-S", "-B"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)  # one child at a time: the delta
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, *flags, "-c", CHILD, str(folder), module, envelope],
        cwd=folder,
        env=dict(environment),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    wall_ms = (time.perf_counter() - started) * 1e3
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"{module} failed: {done.stderr.strip().splitlines()[-1:]}")
    inside = json.loads(done.stdout.strip().splitlines()[-1])
    cpu_ms = (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1e3
    return Sample(wall_ms, cpu_ms, inside["import_ms"], inside["first_request_ms"])


def count_instructions(
    folder: Path, module: str, envelope: str, environment: Mapping[str, str], bytecode: bool
) -> int:
    """Instructions the whole process executes (callgrind): the same figure on a busy host."""
    flags = ["-I", "-S"] if bytecode else ["-I", "-S", "-B"]
    done = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable,
         *flags, "-c", CHILD, str(folder), module, envelope],
        cwd=folder, env=dict(environment), capture_output=True, text=True, check=True,
    )  # fmt: skip
    found = re.search(r"Collected : (\d+)", done.stderr)
    if found is None:
        raise RuntimeError("valgrind reported no instruction count")
    return int(found.group(1))


def measure(
    rounds: int, environment: Mapping[str, str], build_dir: Path, instructions: bool = False
) -> list[Row]:
    envelope = json.dumps(conversation(StepCoach(persistence_adapter=None))[0][1])
    rows = []
    with tempfile.TemporaryDirectory(prefix="coldstart-") as scratch:
        folder = prepare(Path(scratch), build_dir)
        for bytecode in (True, False):
            if bytecode:  # the zip's own .pyc; one unmeasured run writes the hello skill's
                for module in HANDLERS.values():
                    run_once(folder, module, envelope, environment, bytecode)
            else:
                drop_bytecode(folder)
            samples: dict[str, list[Sample]] = {name: [] for name in HANDLERS}
            for _ in range(rounds):  # alternate, so drift hits both handlers alike
                for name, module in HANDLERS.items():
                    samples[name].append(run_once(folder, module, envelope, environment, bytecode))
            counts = {
                name: count_instructions(folder, module, envelope, environment, bytecode)
                if instructions
                else None
                for name, module in HANDLERS.items()
            }
            rows.extend(
                Row(name, bytecode, tuple(samples[name]), counts[name]) for name in HANDLERS
            )
    return rows


MODES = {True: ".pyc (as shipped)", False: "no .pyc"}


def _pair(rows: Sequence[Row], bytecode: bool) -> tuple[Row, Row]:
    pair = {row.handler: row for row in rows if row.bytecode is bytecode}
    return pair["step coach"], pair["hello floor"]


def ratio(rows: Sequence[Row], bytecode: bool = True, field: str = "wall_ms") -> float:
    """The coach's median over the floor's, for one bytecode setting."""
    coach, floor = _pair(rows, bytecode)
    return coach.median(field) / floor.median(field)


def table(rows: Sequence[Row]) -> list[str]:
    lines = [
        "| bytecode | handler | whole process ms | ratio | CPU ms | CPU ratio | import ms "
        "| first request ms | instructions | ratio |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for bytecode, mode in MODES.items():
        coach, floor = _pair(rows, bytecode)
        for row in (coach, floor):
            wall, cpu = row.median("wall_ms"), row.median("cpu_ms")
            lines.append(
                f"| {mode} | {row.handler} | {wall:.0f} "
                f"| {wall / floor.median('wall_ms'):.2f}x | {cpu:.0f} "
                f"| {cpu / floor.median('cpu_ms'):.2f}x | {row.median('import_ms'):.0f} "
                f"| {row.median('first_request_ms'):.0f} | {_instructions(row, floor)} |"
            )
    return lines


def summary(rows: Sequence[Row]) -> str:
    """The shipped zip's figures and ratio against the target, in one line."""
    coach, floor = _pair(rows, True)
    found = ratio(rows)
    met = "met" if found <= TARGET_RATIO else "missed"
    return (
        f"step coach {coach.median('wall_ms'):.0f} ms, hello floor "
        f"{floor.median('wall_ms'):.0f} ms: **{found:.2f}x** whole process (target "
        f"≤ {TARGET_RATIO}x: {met}), CPU {ratio(rows, field='cpu_ms'):.2f}x"
    )


def render(rows: Sequence[Row], store: str) -> str:
    lines = [
        f"Cold start: fresh isolated interpreter, import + first LaunchRequest "
        f"(store {store}; median of {len(rows[0].samples)})",
        "",
        *table(rows),
        "",
        summary(rows),
    ]
    return "\n".join(lines)


def _instructions(row: Row, floor: Row) -> str:
    if row.instructions is None or floor.instructions is None:
        return "| "
    return f"{row.instructions / 1e6:.0f} M | {row.instructions / floor.instructions:.2f}x"


def environment_for(
    store: str, dynamodb_endpoint: str | None, runtime_imports: bool = False
) -> dict[str, str]:
    environment = {"STEP_COACH_STORE": store, "PATH": os.environ.get("PATH", "")}
    if runtime_imports:
        environment["RUNTIME_IMPORTS"] = "1"
    if store == "dynamodb" and dynamodb_endpoint:
        environment.update(
            STEP_COACH_DYNAMODB_ENDPOINT=dynamodb_endpoint,
            STEP_COACH_DYNAMODB_TABLE="step_coach_coldstart",
            AWS_ACCESS_KEY_ID="step-coach-bench",
            AWS_SECRET_ACCESS_KEY="unused",
            AWS_EC2_METADATA_DISABLED="true",
        )
    return environment


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.coldstart", description=__doc__)
    parser.add_argument("--rounds", type=int, default=7, help="processes per handler and mode")
    parser.add_argument("--store", choices=("none", "dynamodb"), default="none")
    parser.add_argument("--dynamodb-endpoint", help="a local DynamoDB (dynalite) URL")
    parser.add_argument(
        "--instructions", action="store_true", help="also count instructions (valgrind)"
    )
    parser.add_argument(
        "--runtime-imports",
        action="store_true",
        help="preload what Lambda's runtime imports before the handler (json, logging, ...)",
    )
    parser.add_argument("--json", action="store_true", help="print the samples as JSON too")
    args = parser.parse_args(argv)
    with ExitStack() as stack:
        endpoint = args.dynamodb_endpoint
        if args.store == "dynamodb" and not endpoint:
            endpoint = stack.enter_context(servers.dynalite())
        environment = environment_for(args.store, endpoint, args.runtime_imports)
        rows = measure(args.rounds, environment, sources.PROJECT_DIR / "build", args.instructions)
    print(render(rows, args.store))
    if args.json:
        print(json.dumps([{**row.__dict__, "samples": [s.__dict__ for s in row.samples]}
                          for row in rows]))  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
