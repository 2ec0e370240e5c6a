"""Coaching on a held-out set: what a runner asks and says mid-workout, answered right?

``bench/coaching_cases.toml`` holds phrasings the tests and the interaction model's samples
do not use, each said at a place in a workout (reached by typing, as at the local runner:
local NLU, Alexa envelopes, the skill core). An answer is right when it holds what the
case expects (the exercise named, the number given) or, for pain, the safety advice; it
must keep the session open and must not be the fallback. The share right is the row.

    .venv/bin/python -m bench.coaching          # the table, with every miss
"""

from __future__ import annotations

import argparse
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.runner import answer
from skill.alexa.ssml import to_plain_text
from skill.coach.step_coach import StepCoach
from skill.local.runner.session import LocalSession
from skill.local.understanding.nlu import FALLBACK_INTENT, LocalNLU

CASES_FILE = Path(__file__).with_name("coaching_cases.toml")
TARGET = 0.95
# The safety advice, as every answer to pain must give it.
SAFETY = ("stop", "sharp pain", "doctor", "physiotherapist")
# What the fallback says, in or out of a workout: never an answer to these.
FALLBACK_WORDS = ("didn't catch that", "can't help with that")


@dataclass(frozen=True)
class Outcome:
    place: str
    said: str
    heard: str  # the intent the local NLU read
    answer: str  # the coach's plain words
    missing: tuple[str, ...]  # what the answer lacks; empty when right

    @property
    def right(self) -> bool:
        return not self.missing


def load(path: Path = CASES_FILE) -> tuple[dict[str, list[str]], list[dict]]:
    with path.open("rb") as handle:
        data = tomllib.load(handle)
    return data["places"], data["case"]


def _expected(case: dict) -> tuple[str, ...]:
    return (*case.get("says", ()), *(SAFETY if case.get("safety") else ()))


def run_case(coach: StepCoach, nlu: LocalNLU, places: dict[str, list[str]], case: dict) -> Outcome:
    session = LocalSession(nlu)
    for utterance in places[case["at"]]:
        answer(coach, session, session.prepare(utterance))
    prepared = session.prepare(case["say"])
    understood = prepared[-1].understanding
    heard = understood.intent if understood is not None else prepared[-1].request_type
    words = to_plain_text(answer(coach, session, prepared))
    lowered = words.lower()
    missing = [fragment for fragment in _expected(case) if fragment.lower() not in lowered]
    missing += [f"not {words!r}" for words in FALLBACK_WORDS if words in lowered]
    if heard == FALLBACK_INTENT:
        missing.append("not the fallback intent")
    if not session.is_open:
        missing.append("the session open")
    return Outcome(case["at"], case["say"], heard, words, tuple(missing))


def run(path: Path = CASES_FILE) -> list[Outcome]:
    places, cases = load(path)
    coach, nlu = StepCoach(persistence_adapter=None), LocalNLU.for_locale("en-US")
    return [run_case(coach, nlu, places, case) for case in cases]


def table(outcomes: Sequence[Outcome]) -> str:
    right = sum(outcome.right for outcome in outcomes)
    share = right / len(outcomes)
    met = "met" if share >= TARGET else "missed"
    lines = [
        f"coaching, held-out set: {len(outcomes)} things said mid-workout "
        "(`bench/coaching_cases.toml`)",
        "",
        "| measure | result | target |",
        "| --- | --- | --- |",
        f"| answered right | {share:.1%} ({right} of {len(outcomes)}) | >= {TARGET:.0%}: {met} |",
    ]
    for outcome in outcomes:
        if not outcome.right:
            lines.append(
                f"- miss at {outcome.place}: {outcome.said!r} -> {outcome.heard}, lacks "
                f"{', '.join(outcome.missing)}: {outcome.answer[:160]!r}"
            )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.coaching", description=__doc__)
    parser.parse_args(argv)
    print(table(run()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
