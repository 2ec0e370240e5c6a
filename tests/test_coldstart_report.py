"""The cold-start row of ``./dev bench``: both figures, their ratio and the target's verdict."""

from __future__ import annotations

from bench import coldstart, coldstart_dynamodb, report


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


def _dynamodb(coach_ms: float, peer_ms: float, first_ms: float, warm_ms: float):
    def sample(wall_ms: float) -> coldstart.Sample:
        return coldstart.Sample(wall_ms, wall_ms * 0.9, wall_ms * 0.7, 5.0)

    restored = coldstart_dynamodb.Restored(150.0, 300.0, 20.0, first_ms, warm_ms, warm_ms * 1.2)
    return coldstart_dynamodb.Results(
        (sample(coach_ms),) * 3, (sample(peer_ms),) * 3, (restored,) * 3
    )


def test_the_dynamodb_section_gives_both_rows_against_their_targets() -> None:
    text = "\n".join(report.lambda_dynamodb_section(_dynamodb(540.0, 450.0, 3.0, 2.0)))
    assert "| on demand | step coach | 540 | 1.20x | 486 | 1.20x |" in text
    assert "| first LaunchRequest | **3.0** |" in text
    assert "on demand **1.20x** the peer whole process (target ≤ 1.2x: met)" in text
    assert "the first request **1.50x** a warm one (target ≤ 1.5x: met)" in text


def test_the_dynamodb_rows_say_missed_when_they_miss() -> None:
    summary = coldstart_dynamodb.summary(_dynamodb(600.0, 450.0, 4.0, 2.0))
    assert "**1.33x** the peer whole process (target ≤ 1.2x: missed)" in summary
    assert "**2.00x** a warm one (target ≤ 1.5x: missed)" in summary
