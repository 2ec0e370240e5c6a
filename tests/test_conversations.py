"""Every conversation flow of ``tests/conversations/`` against the skill core."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.conversations import FLOWS, load, run_flow


@pytest.mark.parametrize("flow", FLOWS, ids=[path.stem for path in FLOWS])
def test_conversation(coach, flow: Path) -> None:
    run_flow(coach, load(flow))
