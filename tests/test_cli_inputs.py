"""The runner's bad inputs: each is one line on stderr and a non-zero exit, never a traceback;
one turn is capped as Alexa caps one; a session the runner leaves open hears that it ended."""

from __future__ import annotations

import io
import os
import struct
import threading
from pathlib import Path

import numpy as np
import pytest

from skill.local.hearing.audio import write_wav
from skill.local.runner.console import Console
from skill.local.runner.conversation import MAX_RECORDING_SECONDS, MAX_UTTERANCE_CHARS
from tests.support.runner import RecordingSkill, assert_one_line_error, run


def _riff(*chunks: bytes) -> bytes:
    body = b"WAVE" + b"".join(chunks)
    return b"RIFF" + struct.pack("<I", len(body)) + body


FORMAT_CHUNK = b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, 16_000, 32_000, 2, 16)


# --- recordings --------------------------------------------------------------------------


def test_a_data_chunk_of_odd_length(tmp_path, capsys) -> None:
    path = tmp_path / "odd.wav"
    path.write_bytes(_riff(FORMAT_CHUNK, b"data" + struct.pack("<I", 3) + b"\x01\x02\x03\x00"))
    assert_one_line_error(*run(capsys, "--mute", "--hear", str(path)), "odd.wav", "sample")


def test_a_junk_chunk_sized_past_the_end_of_the_file(tmp_path, capsys) -> None:
    path = tmp_path / "junk.wav"
    junk = b"JUNK" + struct.pack("<I", 0xFFFFFF00)
    path.write_bytes(_riff(junk, FORMAT_CHUNK, b"data" + struct.pack("<I", 4) + bytes(4)))
    assert_one_line_error(*run(capsys, "--mute", "--hear", str(path)), "junk.wav", "chunk")


def test_a_path_through_a_file(capsys) -> None:
    assert_one_line_error(*run(capsys, "--mute", "--hear", "/etc/passwd/x.wav"), "not a folder")


def test_a_file_name_too_long(tmp_path, capsys) -> None:
    path = tmp_path / ("a" * 300 + ".wav")
    assert_one_line_error(*run(capsys, "--mute", "--hear", str(path)), "too long")


def test_a_fifo_is_refused_at_once(tmp_path, capsys) -> None:
    path = tmp_path / "pipe.wav"
    os.mkfifo(path)
    outcome: list[tuple[int, str, str]] = []
    worker = threading.Thread(target=lambda: outcome.append(run(capsys, "--hear", str(path))))
    worker.start()
    worker.join(timeout=20)
    if worker.is_alive():  # unblock the reader that should never have opened it
        with open(path, "wb"):
            pass
        worker.join()
    assert outcome, "the runner blocked on the FIFO"
    assert_one_line_error(*outcome[0], "not a regular file")


def test_a_ten_minute_recording_is_more_than_one_turn(tmp_path, capsys) -> None:
    path = tmp_path / "long.wav"
    write_wav(path, np.zeros(16_000 * 600, dtype=np.int16))
    assert_one_line_error(
        *run(capsys, "--mute", "--hear", str(path)), "600.0 s", f"{MAX_RECORDING_SECONDS:g} s"
    )


# --- typed, scripted and replayed lines --------------------------------------------------


def test_a_megabyte_script_line_is_more_than_one_turn(tmp_path, capsys) -> None:
    script = tmp_path / "big.txt"
    script.write_text("open step coach\n" + "next " * 200_000 + "\n", encoding="utf-8")
    assert_one_line_error(
        *run(capsys, "--mute", "--script", str(script)), "line 2", f"{MAX_UTTERANCE_CHARS:,}"
    )


def test_a_replay_of_deeply_nested_brackets(tmp_path, capsys) -> None:
    path = tmp_path / "replay.json"
    path.write_text("[" * 100_000, encoding="utf-8")
    assert_one_line_error(*run(capsys, "--mute", "--replay", str(path)), "nested too deeply")


def test_a_replay_holding_a_lone_surrogate_under_json(tmp_path, capsys) -> None:
    path = tmp_path / "replay.json"
    path.write_text(
        '{"type": "text", "locale": "en-US", "userInput": ["open step coach", "\\ud800"]}',
        encoding="utf-8",
    )
    assert_one_line_error(
        *run(capsys, "--mute", "--json", "--replay", str(path)), "userInput 2", "surrogate"
    )


# --- the store's configuration -----------------------------------------------------------


def test_an_unknown_store(monkeypatch, capsys) -> None:
    monkeypatch.setenv("STEP_COACH_STORE", "bogus")
    assert_one_line_error(*run(capsys, "--mute", "--say", "open step coach"), "bogus")


def test_a_store_endpoint_that_is_not_a_url(monkeypatch, capsys) -> None:
    """Whatever the storage factory raises for a bad configuration is one line."""

    def refuse(environ):
        raise ValueError(
            f"STEP_COACH_DYNAMODB_ENDPOINT={environ['STEP_COACH_DYNAMODB_ENDPOINT']!r}"
            " is not an http:// or https:// URL"
        )

    monkeypatch.setenv("STEP_COACH_STORE", "dynamodb")
    monkeypatch.setenv("STEP_COACH_DYNAMODB_ENDPOINT", "not a url")
    monkeypatch.setattr("skill.coach.step_coach.create_persistence_adapter", refuse)
    assert_one_line_error(*run(capsys, "--mute", "--say", "open step coach"), "not a url")


# --- the end of a session the skill did not end ------------------------------------------


@pytest.mark.parametrize("option", ["--say", "--script"])
def test_the_end_of_a_script_ends_the_open_session(option, tmp_path, monkeypatch, capsys) -> None:
    skill = RecordingSkill()
    monkeypatch.setattr("skill.local.runner.cli.InProcessSkill", lambda: skill)
    if option == "--say":
        argv = ["--say", "open step coach", "--say", "start russian push ups"]
    else:
        script = tmp_path / "turns.txt"
        script.write_text("open step coach\nstart russian push ups\n", encoding="utf-8")
        argv = ["--script", str(script)]
    status, out, _ = run(capsys, "--mute", "--json", *argv)
    assert status == 0
    assert len(out.splitlines()) == 2  # the runner's own ending is not a turn of the user's
    (ended,) = skill.ended()
    assert ended["reason"] == "USER_INITIATED"
    assert skill.sent[-1]["session"]["sessionId"] == skill.sent[0]["session"]["sessionId"]


def test_a_script_the_skill_ended_sends_no_more(monkeypatch, capsys) -> None:
    skill = RecordingSkill()
    monkeypatch.setattr("skill.local.runner.cli.InProcessSkill", lambda: skill)
    assert run(capsys, "--mute", "--say", "open step coach", "--say", "stop")[0] == 0
    assert skill.ended() == []


def test_ctrl_d_at_the_prompt_ends_the_open_session(monkeypatch, capsys) -> None:
    skill = RecordingSkill()
    monkeypatch.setattr("skill.local.runner.cli.InProcessSkill", lambda: skill)
    monkeypatch.setattr("sys.stdin", io.StringIO("open step coach\n"))
    assert run(capsys, "--mute")[0] == 0
    (ended,) = skill.ended()
    assert ended["reason"] == "USER_INITIATED"


def test_ctrl_c_ends_the_open_session(monkeypatch, capsys) -> None:
    skill = RecordingSkill()
    monkeypatch.setattr("skill.local.runner.cli.InProcessSkill", lambda: skill)
    lines = iter(["open step coach"])

    def read(_console: Console) -> str:
        line = next(lines, None)
        if line is None:
            raise KeyboardInterrupt
        return line

    monkeypatch.setattr(Console, "read", read)
    assert run(capsys, "--mute")[0] == 130
    (ended,) = skill.ended()
    assert ended["reason"] == "USER_INITIATED"


def test_script_files_read_as_before(tmp_path: Path, capsys) -> None:
    script = tmp_path / "turns.txt"
    script.write_text("# a comment\n\nopen step coach\n", encoding="utf-8")
    status, out, _ = run(capsys, "--mute", "--json", "--script", str(script))
    assert status == 0 and len(out.splitlines()) == 1
