"""``python -m bench.coldstart_dynamodb``: the cold start as deployed, with DynamoDB, two ways.

Everything runs from the packaged zip (unzipped, isolated interpreters, as
:mod:`bench.coldstart`) against dynalite, with both tables made beforehand (on AWS the
stack makes them), alternating process by process:

* **on demand**: a fresh process runs Lambda's init (import the handler: the coach builds
  and primes itself) and answers its first LaunchRequest, store ``dynamodb``; beside it the
  **peer**, the same for a one-handler ask-sdk-core skill with Amazon's
  ``ask-sdk-dynamodb-persistence-adapter`` (one get and one save of persistent attributes):
  the boto3 import, client and first calls any skill storing in DynamoDB pays. Target: the
  coach within :data:`ON_DEMAND_TARGET` of the peer, whole process.
* **restored**: as SnapStart runs it, in one process: init with
  ``AWS_LAMBDA_INITIALIZATION_TYPE=snap-start`` (nothing primed yet), the before-snapshot
  hooks (priming), the after-restore hooks (what a restored instance runs), then the first
  LaunchRequest, and after it warm LaunchRequests. Target: the first within
  :data:`RESTORED_TARGET` of a warm one, which shows priming left the request nothing to
  do. What this cannot show is the restore itself (Lambda loading the snapshot's memory):
  only AWS measures that.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from bench import coldstart
from bench.scenario import conversation
from skill import settings
from skill.coach.step_coach import StepCoach
from skill.deploy import sources
from skill.storage.dynamodb import DynamoDBPersistenceAdapter
from tests.support import servers

PEER_MODULE = "peer_function"
PEER_SOURCE = '''\
"""The peer: one LaunchRequest handler storing with Amazon's DynamoDB persistence adapter."""
import os

import boto3
from ask_sdk_core.skill_builder import CustomSkillBuilder
from ask_sdk_core.utils import is_request_type
from ask_sdk_dynamodb.adapter import DynamoDbAdapter

adapter = DynamoDbAdapter(
    table_name=os.environ["PEER_TABLE"],
    dynamodb_resource=boto3.resource("dynamodb", endpoint_url=os.environ["PEER_ENDPOINT"]),
)
builder = CustomSkillBuilder(persistence_adapter=adapter)


@builder.request_handler(can_handle_func=is_request_type("LaunchRequest"))
def launch(handler_input):
    manager = handler_input.attributes_manager
    visits = manager.persistent_attributes.get("visits", 0) + 1  # one get
    manager.persistent_attributes = {"visits": visits}
    manager.save_persistent_attributes()  # one save
    return handler_input.response_builder.speak(f"Welcome, visit {visits}.").response


lambda_handler = builder.lambda_handler()
'''
# The restored process: init as SnapStart runs it, the hooks, the first request, warm ones.
RESTORED_CHILD = """
import json, statistics, sys, time
sys.path.insert(0, sys.argv[1])
started = time.perf_counter()
from skill import lambda_function
import snapshot_restore_py as hooks
initialised = time.perf_counter()
for function, args, kwargs in hooks.get_before_snapshot():
    function(*args, **kwargs)
primed = time.perf_counter()
for function, args, kwargs in hooks.get_after_restore():
    function(*args, **kwargs)
restored = time.perf_counter()
envelope = json.loads(sys.argv[2])
def answer():
    begun = time.perf_counter()
    assert lambda_function.lambda_handler(envelope, None)["response"]["outputSpeech"]["ssml"]
    return (time.perf_counter() - begun) * 1e3
first = answer()
warm = [answer() for _ in range(int(sys.argv[3]))]
def on_a_new_connection():
    client = lambda_function.lambda_handler.__globals__["_coach"].persistence_adapter._client()
    client.close()  # botocore drops its pooled connections; the client stays as it is
    return answer()
reconnected = [on_a_new_connection() for _ in range(int(sys.argv[3]))]
print(json.dumps({"init_ms": (initialised - started) * 1e3,
                  "prime_ms": (primed - initialised) * 1e3,
                  "restore_ms": (restored - primed) * 1e3,
                  "first_ms": first, "warm_ms": statistics.median(warm),
                  "reconnected_ms": statistics.median(reconnected)}))
"""
COACH_TABLE = "step_coach_coldstart"
PEER_TABLE = "peer_coldstart"
ON_DEMAND_TARGET = 1.2
RESTORED_TARGET = 1.5
WARM_REQUESTS = 9


@dataclass(frozen=True)
class Restored:
    init_ms: float
    prime_ms: float  # the before-snapshot hooks
    restore_ms: float  # the after-restore hooks
    first_ms: float  # the first LaunchRequest after them
    warm_ms: float  # the median of the warm LaunchRequests after it
    reconnected_ms: float  # the same, each on a new connection to the store


@dataclass(frozen=True)
class Results:
    coach: tuple[coldstart.Sample, ...]
    peer: tuple[coldstart.Sample, ...]
    restored: tuple[Restored, ...]
    # One more on-demand process each under callgrind: the figure a busy host cannot move.
    instructions: tuple[int, int] | None = None

    def on_demand_ratio(self) -> float:
        return _median(self.coach, "wall_ms") / _median(self.peer, "wall_ms")

    def restored_ratio(self, warm: str = "warm_ms") -> float:
        return _median(self.restored, "first_ms") / _median(self.restored, warm)


def _median(samples: Sequence[object], field: str) -> float:
    return statistics.median(getattr(sample, field) for sample in samples)


def _make_tables(endpoint: str) -> None:
    for table in (COACH_TABLE, PEER_TABLE):
        maker = DynamoDBPersistenceAdapter(
            table, "us-east-1", endpoint, True, credentials=servers.FAKE_AWS_CREDENTIALS
        )
        maker._client()  # creates the table and waits until it is active
        maker.close()


def environment_for(endpoint: str) -> dict[str, str]:
    return {
        **coldstart.environment_for("dynamodb", endpoint),
        settings.DYNAMODB_TABLE: COACH_TABLE,
        settings.DYNAMODB_CREATE_TABLE: "0",  # made beforehand, as the stack makes it
        "PEER_TABLE": PEER_TABLE,
        "PEER_ENDPOINT": endpoint,
        "AWS_DEFAULT_REGION": "us-east-1",
    }


def _restored(folder: Path, envelope: str, environment: Mapping[str, str]) -> Restored:
    done = subprocess.run(
        [sys.executable, "-I", "-S", "-c", RESTORED_CHILD, str(folder), envelope,
         str(WARM_REQUESTS)],
        cwd=folder, env={**environment, "AWS_LAMBDA_INITIALIZATION_TYPE": "snap-start"},
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"restored run failed: {done.stderr.strip().splitlines()[-1:]}")
    return Restored(**json.loads(done.stdout.strip().splitlines()[-1]))


def measure(rounds: int, build_dir: Path, endpoint: str, instructions: bool = False) -> Results:
    _make_tables(endpoint)
    environment = environment_for(endpoint)
    envelope = json.dumps(conversation(StepCoach(persistence_adapter=None))[0][1])
    # The peer's adapter and boto3's resource layer under it, beside the zip's packages.
    import ask_sdk_dynamodb
    import boto3
    import s3transfer

    coach: list[coldstart.Sample] = []
    peer: list[coldstart.Sample] = []
    restored: list[Restored] = []
    with tempfile.TemporaryDirectory(prefix="coldstart-dynamodb-") as scratch:
        folder = coldstart.prepare(Path(scratch), build_dir)
        (folder / f"{PEER_MODULE}.py").write_text(PEER_SOURCE, encoding="utf-8")
        for package in (ask_sdk_dynamodb, boto3, s3transfer):
            source = Path(package.__file__).parent
            shutil.copytree(source, folder / source.name, ignore=shutil.ignore_patterns("*.pyc"))
        for module in (sources.LAMBDA_MODULE, PEER_MODULE):  # writes the peer's bytecode
            coldstart.run_once(folder, module, envelope, environment, bytecode=True)
        for _ in range(rounds):  # alternate, so drift hits all three alike
            coach.append(
                coldstart.run_once(folder, sources.LAMBDA_MODULE, envelope, environment, True)
            )
            peer.append(coldstart.run_once(folder, PEER_MODULE, envelope, environment, True))
            restored.append(_restored(folder, envelope, environment))
        counts: tuple[int, int] | None = None
        if instructions:

            def count(module: str) -> int:
                return coldstart.count_instructions(folder, module, envelope, environment, True)

            counts = (count(sources.LAMBDA_MODULE), count(PEER_MODULE))
    return Results(tuple(coach), tuple(peer), tuple(restored), counts)


def table(results: Results) -> list[str]:
    peer_wall = _median(results.peer, "wall_ms")
    peer_cpu = _median(results.peer, "cpu_ms")
    lines = [
        "| row | handler | whole process ms | ratio | CPU ms | CPU ratio | init ms "
        "| first request ms | instructions | ratio |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    handlers = (("step coach", results.coach), ("peer (ask-sdk-dynamodb)", results.peer))
    for number, (name, samples) in enumerate(handlers):
        wall, cpu = _median(samples, "wall_ms"), _median(samples, "cpu_ms")
        counted = "| "
        if results.instructions:
            count = results.instructions[number]
            counted = f"{count / 1e6:.0f} M | {count / results.instructions[1]:.2f}x"
        lines.append(
            f"| on demand | {name} | {wall:.0f} | {wall / peer_wall:.2f}x | {cpu:.0f} "
            f"| {cpu / peer_cpu:.2f}x | {_median(samples, 'import_ms'):.0f} "
            f"| {_median(samples, 'first_request_ms'):.0f} | {counted} |"
        )
    lines += [
        "",
        "| restored (SnapStart's hooks run in the process) | ms |",
        "| --- | ---: |",
        f"| init with `snap-start` (priming left to the hook) "
        f"| {_median(results.restored, 'init_ms'):.0f} |",
        f"| before-snapshot hook (priming) | {_median(results.restored, 'prime_ms'):.0f} |",
        f"| after-restore hook (reseed, new client) "
        f"| {_median(results.restored, 'restore_ms'):.1f} |",
        f"| first LaunchRequest | **{_median(results.restored, 'first_ms'):.1f}** |",
        f"| warm LaunchRequest (median of the {WARM_REQUESTS} after it) "
        f"| {_median(results.restored, 'warm_ms'):.1f} |",
        f"| warm LaunchRequest, each on a new connection to DynamoDB "
        f"| {_median(results.restored, 'reconnected_ms'):.1f} |",
    ]
    return lines


def summary(results: Results) -> str:
    on_demand, restored = results.on_demand_ratio(), results.restored_ratio()
    counted = ""
    if results.instructions:
        counted = f", {results.instructions[0] / results.instructions[1]:.2f}x in instructions"
    return (
        f"on demand **{on_demand:.2f}x** the peer whole process (target ≤ {ON_DEMAND_TARGET}x: "
        f"{'met' if on_demand <= ON_DEMAND_TARGET else 'missed'}){counted}; restored, the first "
        f"request **{restored:.2f}x** a warm one (target ≤ {RESTORED_TARGET}x: "
        f"{'met' if restored <= RESTORED_TARGET else 'missed'}), "
        f"{results.restored_ratio('reconnected_ms'):.2f}x one on a new connection"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.coldstart_dynamodb", description=__doc__)
    parser.add_argument("--rounds", type=int, default=7, help="processes per row")
    parser.add_argument(
        "--instructions", action="store_true", help="also count instructions (valgrind)"
    )
    args = parser.parse_args(argv)
    with servers.dynalite() as endpoint:
        results = measure(args.rounds, sources.PROJECT_DIR / "build", endpoint, args.instructions)
    print("\n".join([*table(results), "", summary(results)]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
