"""``python -m bench``: measure everything and print one table (``--write`` keeps it).

Phases: the endpoint under wrk (skill vs bare Flask, verification off and on), the skill
core in process (per request type, cold start), the packaged Lambda handler's cold start
against a hello-skill floor, the local runner, and speech input (accuracy clean and in
noise, false accepts, real-time factor, latency), coaching (what a runner asks and says
mid-workout, held out from the tests, answered right), and languages (typed understanding
of held-out phrasings in each content language). ``--quick`` runs each
phase for a few seconds. The exit status is 1 when any request under load failed (non-2xx
or a socket error); the throughput and latency targets are reported, not enforced.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

from bench import (
    coaching,
    coldstart,
    coldstart_dynamodb,
    endpoint,
    hearing,
    inprocess,
    languages,
    machine,
    report,
)
from bench import runner as runner_bench
from skill.coach.step_coach import StepCoach
from skill.settings import PROJECT_DIR
from tests.support import servers

PHASES = ("endpoint", "inprocess", "coldstart", "runner", "hearing", "coaching", "languages")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a few seconds per phase")
    parser.add_argument("--write", metavar="PATH", type=Path, help="write the table into PATH")
    parser.add_argument(
        "--only", choices=PHASES, action="append", help="run only this phase (repeatable)"
    )
    parser.add_argument("--duration", type=int, help="seconds per load run (default 10)")
    parser.add_argument("--rounds", type=int, help="load runs per app, interleaved (default 3)")
    return parser.parse_args(argv)


def measure(args: argparse.Namespace) -> report.Results:
    phases = set(args.only or PHASES)
    quick = args.quick
    load = endpoint.LoadSettings(
        duration_s=args.duration or (2 if quick else 10),
        rounds=args.rounds or (1 if quick else 3),
    )
    coach = StepCoach()
    results = report.Results(
        machine=machine.describe(),
        quick=quick,
        load=load,
        endpoint={},
        request_types=[],
        parts=[],
        verification=None,
        cold_start=None,
        runner=None,
    )
    if "endpoint" in phases:
        print("bench: endpoint under wrk ...", file=sys.stderr, flush=True)
        results.endpoint = endpoint.run_cases(load, coach=coach)
    if "inprocess" in phases:
        print("bench: skill core in process ...", file=sys.stderr, flush=True)
        number = 100 if quick else 300
        results.request_types = inprocess.request_types(coach, number)
        results.parts = inprocess.parts(coach, max(10, number // 10))
        results.verification = inprocess.verification(coach, number)
        results.cold_start = inprocess.cold_start(3 if quick else 5)
    if "coldstart" in phases:
        print("bench: Lambda cold start (packaged zip vs hello floor) ...", file=sys.stderr)
        results.lambda_cold_start = coldstart.measure(
            rounds=3 if quick else 7,
            environment=coldstart.environment_for("none", None),
            build_dir=PROJECT_DIR / "build",
            instructions=not quick and shutil.which("valgrind") is not None,
        )
        print("bench: Lambda cold start with DynamoDB (peer, SnapStart) ...", file=sys.stderr)
        with servers.dynalite() as dynamodb:
            results.lambda_dynamodb_cold_start = coldstart_dynamodb.measure(
                rounds=3 if quick else 7,
                build_dir=PROJECT_DIR / "build",
                endpoint=dynamodb,
                instructions=not quick and shutil.which("valgrind") is not None,
            )
    if "runner" in phases:
        print("bench: local runner ...", file=sys.stderr, flush=True)
        results.runner = runner_bench.measure(
            rounds=2 if quick else 5, one_shot_runs=1 if quick else 3
        )
    if "hearing" in phases:
        print("bench: speech input (held-out voices and phrasings) ...", file=sys.stderr)
        results.hearing = hearing.run(quick)
    if "coaching" in phases:
        print("bench: coaching (held-out mid-workout questions and remarks) ...", file=sys.stderr)
        results.coaching = coaching.run()
    if "languages" in phases:
        print("bench: languages (held-out typed phrasings per language) ...", file=sys.stderr)
        results.languages = languages.run()
    return results


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    results = measure(args)
    block = report.render(results)
    print(block)
    if args.write:
        report.write(args.write, block)
        print(f"bench: wrote {args.write}", file=sys.stderr)
    failed = {
        key: (sum(r.non2xx for r in runs), sum(r.socket_errors for r in runs))
        for key, runs in results.endpoint.items()
        if any(r.non2xx or r.socket_errors for r in runs)
    }
    if failed:
        print(
            f"bench: FAILED requests under load (non-2xx, socket errors): {failed}", file=sys.stderr
        )
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
