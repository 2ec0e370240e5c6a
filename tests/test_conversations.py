"""Every conversation flow of ``tests/conversations/`` against the skill core.

Each flow runs on a voice-only Echo (never a screen); flows that say what the screen
shows run on an Echo Show too, spoken to and touched.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.conversations import DEVICES, FLOWS, has_screens, load, run_flow

CASES = [
    pytest.param(flow, device, id=f"{flow.stem}-{device}")
    for flow in FLOWS
    for device in DEVICES
    if device == "voice" or has_screens(load(flow))
]


@pytest.mark.parametrize(("flow", "device"), CASES)
def test_conversation(coach, flow: Path, device: str) -> None:
    run_flow(coach, load(flow), device)
