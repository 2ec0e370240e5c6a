"""Typed understanding per language, on a held-out set: read as the right intent and slots?

``bench/languages_cases.toml`` holds, per content language, phrasings a native runner types
mid-workout that the tests and the interaction model's samples do not use; each is read by
the local NLU of the language's first locale, with nothing before it (no elicited slot).
A case is right when the intent and every slot id match and no other slot is filled. The
share right is the language's row. A language of the file without content is left out.

    .venv/bin/python -m bench.languages          # the table, with every miss
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from skill.coach.language import content_languages, language_data
from skill.local.understanding.nlu import LocalNLU

CASES_FILE = Path(__file__).with_name("languages_cases.toml")
TARGET = 0.95


@dataclass(frozen=True)
class Outcome:
    language: str
    said: str
    wanted: str  # intent and slots expected
    heard: str  # intent and slots read

    @property
    def right(self) -> bool:
        return self.wanted == self.heard


def load(path: Path = CASES_FILE) -> dict[str, list[dict]]:
    with path.open("rb") as handle:
        return tomllib.load(handle)


def _meaning(intent: str, slots: Mapping[str, str | None]) -> str:
    filled = ", ".join(f"{name}={value}" for name, value in sorted(slots.items()))
    return f"{intent}({filled})"


def read_case(nlu: LocalNLU, language: str, case: Mapping) -> Outcome:
    result = nlu.understand(case["say"])
    slots = {name: slot.id or f"?{slot.value}" for name, slot in result.slots.items()}
    return Outcome(
        language,
        case["say"],
        _meaning(case["intent"], case.get("slots", {})),
        _meaning(result.intent, slots),
    )


def run(path: Path = CASES_FILE) -> dict[str, list[Outcome]]:
    """Each content language's outcomes, the languages in name order."""
    cases = load(path)
    outcomes = {}
    for language in sorted(set(cases) & content_languages()):
        nlu = LocalNLU.for_locale(language_data(language)["locales"][0])
        outcomes[language] = [read_case(nlu, language, case) for case in cases[language]]
    return outcomes


def table(outcomes: Mapping[str, Sequence[Outcome]]) -> str:
    lines = [
        "languages, typed understanding on held-out phrasings per language "
        "(`bench/languages_cases.toml`)",
        "",
        "| language | read right | target |",
        "| --- | --- | --- |",
    ]
    misses = []
    for language, rows in outcomes.items():
        right = sum(row.right for row in rows)
        share = right / len(rows)
        met = "met" if share >= TARGET else "missed"
        lines.append(
            f"| {language} | {share:.1%} ({right} of {len(rows)}) | >= {TARGET:.0%}: {met} |"
        )
        misses += [
            f"- miss ({language}): {row.said!r} -> {row.heard}, wanted {row.wanted}"
            for row in rows
            if not row.right
        ]
    return "\n".join(lines + misses)


if __name__ == "__main__":
    print(table(run()))
