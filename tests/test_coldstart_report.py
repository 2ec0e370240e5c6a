"""The cold-start row of ``./dev bench``: both figures, their ratio and the target's verdict."""

from __future__ import annotations

from bench import coldstart, report


def _row(handler: str, bytecode: bool, wall_ms: float, instructions: int | None = None):
    sample = coldstart.Sample(wall_ms, wall_ms * 0.9, wall_ms * 0.6, wall_ms * 0.05)
    return coldstart.Row(handler, bytecode, (sample, sample, sample), instructions)


ROWS = [
    _row("step coach", True, 150.0, 500_000_000),
    _row("hello floor", True, 100.0, 330_000_000),
    _row("step coach", False, 700.0, 2_000_000_000),
    _row("hello floor", False, 400.0, 1_300_000_000),
]


def test_the_section_gives_both_figures_and_the_ratio_of_the_shipped_zip() -> None:
    lines = report.lambda_cold_start_section(ROWS)
    text = "\n".join(lines)
    assert lines[0] == "### Lambda cold start"
    assert "| .pyc (as shipped) | step coach | 150 | 1.50x |" in text
    assert "| no .pyc | step coach | 700 | 1.75x |" in text
    assert "| 500 M | 1.52x |" in text
    assert (
        "step coach 150 ms, hello floor 100 ms: **1.50x** whole process (target ≤ 1.5x: met)"
        in text
    )
    assert "without bytecode 1.75x" in text


def test_a_ratio_over_the_target_is_reported_as_missed() -> None:
    slower = [_row("step coach", True, 151.0), *ROWS[1:]]
    assert coldstart.ratio(slower) > coldstart.TARGET_RATIO
    assert "(target ≤ 1.5x: missed)" in coldstart.summary(slower)
