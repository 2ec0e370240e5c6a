"""The coaching bench's held-out set stays held out, and its scoring can fail.

The accuracy target lives in ``./dev bench`` (bench.coaching), not here: these tests
only keep the set honest (none of its phrasings is a sample of the interaction model or
a row of the NLU table) and check that a wrong answer is scored as one.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from bench import coaching
from skill.coach.language import language_data
from skill.coach.step_coach import StepCoach
from skill.local.understanding.nlu import LocalNLU
from skill.local.understanding.utterance import wording_for

NLU_CASES = Path(__file__).with_name("nlu_cases.toml")
words_of = wording_for("en-US").words_of


def test_the_set_is_big_enough_and_every_place_is_known() -> None:
    places, cases = coaching.load()
    assert len(cases) >= 40
    assert {case["at"] for case in cases} <= set(places)
    assert all(case.get("says") or case.get("safety") for case in cases)


def test_no_held_out_phrasing_is_a_sample_or_a_test_row() -> None:
    _, cases = coaching.load()
    samples = {
        tuple(words_of(sample))
        for spec in language_data()["intents"].values()
        for sample in spec["samples"]
        if "{" not in sample
    }
    rows = {tuple(words_of(row["say"])) for row in tomllib.loads(NLU_CASES.read_text())["case"]}
    for case in cases:
        said = tuple(words_of(case["say"]))
        assert said not in samples, case["say"]
        assert said not in rows, case["say"]


def test_a_wrong_answer_counts_as_a_miss() -> None:
    places, _ = coaching.load()
    coach, nlu = StepCoach(persistence_adapter=None), LocalNLU.for_locale("en-US")
    right = coaching.run_case(
        coach, nlu, places, {"at": "clams_set", "say": "how many reps", "says": ["12"]}
    )
    assert right.right, right
    wrong = coaching.run_case(
        coach, nlu, places, {"at": "clams_set", "say": "how many reps", "says": ["13"]}
    )
    assert not wrong.right and wrong.missing == ("13",)
    fallback = coaching.run_case(
        coach, nlu, places, {"at": "clams_set", "say": "what's the weather"}
    )
    assert "not the fallback intent" in fallback.missing
