"""Conversations as data: each file in ``tests/conversations/`` is a flow of turns.

A turn names the request (or intent and slots), the words the speech must (or must not)
contain, and whether the session stays open. Session attributes are carried from turn
to turn as Alexa would, unless a turn overrides them (to tamper with them).
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from skill.alexa.ssml_rules import validate_alexa_ssml
from tests.support import alexa

FLOWS = sorted((Path(__file__).resolve().parents[1] / "conversations").glob("*.toml"))


def load(path: Path) -> list[dict]:
    with path.open("rb") as handle:
        return tomllib.load(handle)["turns"]


def run_flow(coach, turns: list[dict]) -> list[dict]:
    attributes: dict = {}
    responses = []
    for number, turn in enumerate(turns, start=1):
        request = alexa.turn_request(turn, attributes, new=number == 1)
        response = coach.handle(request)
        responses.append(response)
        check_turn(number, turn, response)
        attributes = response.get("sessionAttributes") or {}
    return responses


def check_turn(number: int, turn: dict, response: dict) -> None:
    body = response["response"]
    where = f"turn {number} ({turn.get('intent') or turn.get('request')})"
    if turn.get("silent"):
        assert "outputSpeech" not in body, where
        return
    ssml = alexa.speech_of(response)
    assert validate_alexa_ssml(ssml) == [], where
    words = alexa.plain(ssml).lower()
    for expected in turn.get("says", []):
        assert expected.lower() in words, f"{where}: {expected!r} not in {words!r}"
    for unexpected in turn.get("not_says", []):
        assert unexpected.lower() not in words, f"{where}: {unexpected!r} in {words!r}"
    for fragment in turn.get("ssml_lacks", []):
        assert fragment not in ssml, f"{where}: {fragment!r} in the SSML"
    card = body["card"]["content"].lower()
    for expected in turn.get("card", []):
        assert expected.lower() in card, f"{where}: card lacks {expected!r}"
    if turn.get("open", True):
        assert body.get("shouldEndSession") is False, where
        assert validate_alexa_ssml(body["reprompt"]["outputSpeech"]["ssml"]) == [], where
    else:
        assert body.get("shouldEndSession") is True, where
        assert "reprompt" not in body, where
    if turn.get("breaks"):
        assert "<break" in ssml, where
    directives = body.get("directives") or []
    if "elicit" in turn:
        assert directives[0]["type"] == "Dialog.ElicitSlot", where
        assert directives[0]["slotToElicit"] == turn["elicit"], where
    else:
        assert not directives, where
