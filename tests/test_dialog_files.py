"""ASK CLI dialog files: ``--replay`` reads ``ask dialog``'s replay format and
``--save-skill-io`` writes the shape ``ask dialog --save-skill-io`` writes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from skill.alexa.ssml import plain_text
from skill.local.runner.cli import main

SKILL_ID = "amzn1.ask.skill.11111111-2222-3333-4444-555555555555"


def replay_file(folder: Path, content: object, name: str = "replay.json") -> Path:
    path = folder / name
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(["--mute", "--new-user", *argv])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_a_replay_file_is_said_in_its_locale_for_its_skill(tmp_path, capsys) -> None:
    replay = replay_file(
        tmp_path,
        {
            "skillId": SKILL_ID,
            "locale": "en-GB",
            "type": "text",
            "userInput": ["open step coach", "start russian push ups", "next", ".quit", "stop"],
        },
    )
    status, out, err = run(capsys, "--json", "--replay", str(replay))
    assert status == 0, err
    turns = [json.loads(line) for line in out.splitlines()]
    assert [turn["utterance"] for turn in turns] == [
        "open step coach",
        "start russian push ups",
        "next",
    ]  # ".quit" ends the replay, as in ask dialog
    assert [turn["intent"] for turn in turns] == [None, "StartWorkoutIntent", "AMAZON.NextIntent"]
    assert "Step 2 of 5" in turns[-1]["text"]


def test_save_skill_io_writes_what_ask_dialog_writes(tmp_path, capsys) -> None:
    saved = tmp_path / "io.json"
    status, out, err = run(
        capsys,
        "--json",
        "--skill-id",
        SKILL_ID,
        "--save-skill-io",
        str(saved),
        "--say",
        "open step coach",
        "--say",
        "protect my knees",
        "--say",
        "stop",
        "--say",
        "what exercises do you have",
    )
    assert status == 0, err
    shown = [json.loads(line) for line in out.splitlines()]
    invocations = json.loads(saved.read_text())["invocations"]
    assert [item["request"] for item in invocations] == [
        {"utterance": "open step coach", "newSession": True},
        {"utterance": "protect my knees", "newSession": False},
        {"utterance": "stop", "newSession": False},
        {"utterance": "what exercises do you have", "newSession": True},  # stop ended it
    ]
    for item, turn in zip(invocations, shown, strict=True):
        body = item["response"]["body"]
        assert body["status"] == "SUCCESSFUL"
        [call] = body["result"]["skillExecutionInfo"]["invocations"]
        request = call["invocationRequest"]["body"]
        assert call["invocationRequest"]["endpoint"] == "local:in-process"
        assert request["context"]["System"]["application"]["applicationId"] == SKILL_ID
        assert request["request"]["type"] == turn["request_type"]
        response = call["invocationResponse"]["body"]["response"]
        assert plain_text(response["outputSpeech"]["ssml"]) == turn["text"]
        [spoken] = body["result"]["alexaExecutionInfo"]["alexaResponses"]
        assert spoken == {"type": "Speech", "content": {"caption": turn["text"]}}


def test_a_saved_conversation_replays_to_the_same_answers(tmp_path, capsys) -> None:
    """The round trip: what --save-skill-io wrote, fed back as a replay file."""
    saved = tmp_path / "io.json"
    said = ["open step coach", "start glute bridges", "next", "why do glutes matter", "stop"]
    argv = [arg for utterance in said for arg in ("--say", utterance)]
    status, first, err = run(capsys, "--json", "--save-skill-io", str(saved), *argv)
    assert status == 0, err
    utterances = [
        item["request"]["utterance"] for item in json.loads(saved.read_text())["invocations"]
    ]
    replay = replay_file(
        tmp_path, {"skillId": SKILL_ID, "locale": "en-US", "type": "text", "userInput": utterances}
    )
    status, second, err = run(capsys, "--json", "--replay", str(replay))
    assert status == 0, err

    def answers(out: str) -> list[tuple]:
        return [
            (t["intent"], t["slots"], t["end_session"]) for t in map(json.loads, out.splitlines())
        ]

    assert answers(second) == answers(first)


@pytest.mark.parametrize(
    ("content", "complaint"),
    [
        ("{not json", "is not JSON"),
        ("[1, 2]", "must hold a JSON object"),
        ({"locale": "en-US", "type": "voice", "userInput": []}, '"type" must be "text"'),
        ({"type": "text", "userInput": ["hi"]}, '"locale" must be'),
        ({"locale": "en-US", "type": "text"}, '"userInput" must be a list of strings'),
        ({"locale": "en-US", "type": "text", "userInput": ["hi", 3]}, '"userInput" must be'),
        ({"locale": "en-US", "type": "text", "userInput": [], "skillId": 7}, '"skillId" must be'),
        ({"locale": "xx-XX", "type": "text", "userInput": ["hi"]}, "xx-XX"),
    ],
)
def test_a_malformed_replay_file_is_one_line_naming_the_problem(
    tmp_path, capsys, content, complaint
) -> None:
    status, out, err = run(capsys, "--replay", str(replay_file(tmp_path, content)))
    assert status != 0 and out == ""
    [line] = err.strip().splitlines()
    assert line.startswith("local_runner: error: ") and complaint in line, line


def test_a_missing_replay_file_and_a_clash_with_say_are_one_line(tmp_path, capsys) -> None:
    status, out, err = run(capsys, "--replay", str(tmp_path / "nope.json"))
    assert out == ""
    assert status == 1 and "not found" in err and len(err.strip().splitlines()) == 1
    replay = replay_file(tmp_path, {"locale": "en-US", "type": "text", "userInput": ["next"]})
    status, _, err = run(capsys, "--replay", str(replay), "--say", "next")
    assert status == 2 and "takes the place of --say" in err


def test_an_unwritable_skill_io_file_is_one_line_before_anything_is_said(tmp_path, capsys):
    status, out, err = run(
        capsys, "--save-skill-io", str(tmp_path / "no" / "such" / "dir.json"), "--say", "hello"
    )
    assert status == 1 and out == ""
    [line] = err.strip().splitlines()
    assert line.startswith("local_runner: error: cannot write")
