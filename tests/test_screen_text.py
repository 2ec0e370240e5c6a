"""The console's ``--screen`` view: a RenderDocument's datasource as lines of text."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from skill.local.runner.screen_text import RENDER_DOCUMENT, screen_lines, screen_of

SAMPLES_DIR = Path(__file__).with_name("screen_samples")


def response(kind: str) -> dict[str, Any]:
    sample = json.loads((SAMPLES_DIR / f"{kind}.json").read_text(encoding="utf-8"))
    directive = {
        "type": RENDER_DOCUMENT,
        "token": sample["datasources"]["screen"]["properties"]["token"],
        "document": {"type": "APL", "version": "2023.3"},
        "datasources": sample["datasources"],
    }
    return {"version": "1.0", "response": {"directives": [directive]}}


def test_a_step_screen_shows_exercise_step_text_progress_and_buttons() -> None:
    assert screen_lines(screen_of(response("step")) or {}) == [
        "== Russian push-ups | Step 2 of 5 ==",
        "Lower yourself until your chest hovers about an inch above the floor.",
        "[####----------------] 20%  Step 2 of 5 of Russian push-ups",
        "Touch: [Back] | [Repeat] | [Pause] | [Next*]",
    ]


def test_a_paced_screen_names_its_countdowns() -> None:
    lines = screen_lines(screen_of(response("paced_set")) or {})
    assert "Counts down a 30-second hold, 0:18 into the answer" in lines
    two = {
        "segments": [
            {"label": "Rest", "seconds": 20, "start": 61_400, "set": "Set 1 of 2"},
            {"label": "Done", "seconds": 0, "start": 80_000, "set": ""},
            {"label": "Rest", "seconds": 20, "start": 125_000, "set": "Set 2 of 3"},
        ]
    }
    assert screen_lines({"title": "T", "timer": two})[1] == (
        "Counts down a 20-second rest, 1:01 into the answer (Set 1 of 2), "
        "then a 20-second rest, 2:05 into the answer (Set 2 of 3)"
    )


def test_the_menu_lists_its_choices_in_order() -> None:
    lines = screen_lines(screen_of(response("menu")) or {})
    assert lines[1].startswith("  1. Knee protection routine - Glute isolation")
    assert lines[3] == "  3. Why do glutes matter? - A short answer."


def test_the_finish_shows_the_stats() -> None:
    assert "3 workouts this week, a 2-day streak" in screen_lines(
        screen_of(response("finished")) or {}
    )


@pytest.mark.parametrize(
    "body",
    [
        {"version": "1.0", "response": {}},
        {"version": "1.0", "response": {"directives": [{"type": "Dialog.ElicitSlot"}]}},
        {"response": {"directives": [{"type": RENDER_DOCUMENT, "datasources": {"other": {}}}]}},
        {"response": {"directives": "not a list"}},
        {"response": {"directives": [{"type": RENDER_DOCUMENT, "datasources": {"screen": []}}]}},
    ],
)
def test_no_screen_without_a_render_document(body: dict[str, Any]) -> None:
    assert screen_of(body) is None


def test_odd_values_are_left_out_not_printed() -> None:
    properties = {
        "title": "  Step\nCoach ",
        "subtitle": 7,
        "progress": {"percent": True, "label": "half"},
        "timer": {"segments": [{"label": "Hold", "seconds": "30", "start": 0}, "x"]},
        "choices": [{"label": None}, "x"],
        "buttons": [{"label": ""}, {"label": "Next", "primary": "yes"}],
    }
    assert screen_lines(properties) == ["== Step Coach ==", "half", "Touch: [Next]"]


def test_progress_is_clamped_to_the_bar() -> None:
    lines = screen_lines({"title": "T", "progress": {"percent": 140, "label": ""}})
    assert lines[1] == "[" + "#" * 20 + "] 140%"
