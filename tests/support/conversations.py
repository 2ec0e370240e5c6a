"""Conversations as data: each file in ``tests/conversations/`` is a flow of turns.

A turn names the request (or intent and slots), the words the speech must (or must not)
contain, and whether the session stays open. Session attributes are carried from turn
to turn as Alexa would, unless a turn overrides them (to tamper with them).

A flow runs on a device (:data:`DEVICES`): ``voice`` is an Echo without a screen, where
no response may carry a screen; ``screen`` is an Echo Show spoken to, and ``touch`` the
same Echo Show where every turn with a ``touch = [action, target]`` presses that button
(it must be on the screen shown) instead of speaking. A turn comes the moment the last
response was sent (mid-speech, as a barge-in does) unless it says ``after = "speech"``:
after that response's speech ended, as a user who listened to the whole counted set.

On a screen every response that keeps the session open shows a document that passes the
APL checks, and its text, as ``--screen`` prints it, holds each of the turn's ``screen``
fragments. A turn's ``reprompt`` lists words the reprompt must hold.
"""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from skill.alexa.ssml import estimated_speech_ms
from skill.alexa.ssml_rules import validate_alexa_ssml
from skill.local.runner.screen_text import RENDER_DOCUMENT, screen_lines, screen_of
from tests.support import alexa
from tests.support.apl import check_document

FLOWS = sorted((Path(__file__).resolve().parents[1] / "conversations").glob("*.toml"))
DEVICES = ("voice", "screen", "touch")


def load(path: Path) -> list[dict]:
    with path.open("rb") as handle:
        return tomllib.load(handle)["turns"]


def has_screens(turns: list[dict]) -> bool:
    return any("screen" in turn for turn in turns)


class TurnClock:
    """When each turn of a flow comes: at once, or (``after = "speech"``) once the last
    response's speech has been heard, plus a moment to answer.
    """

    def __init__(self) -> None:
        self.now = datetime.now(UTC).replace(microsecond=0)

    def at(self, turn: dict, last: dict | None) -> datetime:
        if turn.get("after") == "speech" and last is not None:
            heard = estimated_speech_ms(alexa.speech_of(last))
            self.now += timedelta(milliseconds=heard) + timedelta(seconds=2)
        return self.now


def run_flow(coach, turns: list[dict], device: str = "voice") -> list[dict]:
    attributes: dict = {}
    responses: list[dict] = []
    clock = TurnClock()
    for number, turn in enumerate(turns, start=1):
        now = clock.at(turn, responses[-1] if responses else None)
        if device == "touch" and "touch" in turn:
            request = alexa.touch(press(turn["touch"], responses[-1]), attributes, timestamp=now)
        else:
            request = alexa.turn_request(turn, attributes, new=number == 1, timestamp=now)
            if device != "voice":
                request = alexa.on_screen(request)
        response = coach.handle(request)
        responses.append(response)
        check_turn(number, turn, response)
        if device == "voice":
            assert not screen_directives(response), f"turn {number}: a screen on a voice device"
        else:
            check_screen(number, turn, response)
        attributes = response.get("sessionAttributes") or {}
    return responses


def press(touch: list[str], shown: dict) -> list[str]:
    """The arguments the button ``touch`` names sends, from the screen shown last."""
    action, target = ([*touch, ""])[:2]
    properties = screen_of(shown)
    assert properties is not None, f"nothing to touch for {touch}"
    targets = [*properties.get("buttons", []), *properties.get("choices", [])]
    found = [t for t in targets if t["action"] == action and t["target"] == target]
    assert found, f"no {touch} on the screen: {targets}"
    return [action, properties["token"], target]


def screen_directives(response: dict) -> list[dict[str, Any]]:
    directives = response["response"].get("directives") or []
    return [d for d in directives if d.get("type") == RENDER_DOCUMENT]


def check_screen(number: int, turn: dict, response: dict) -> None:
    where = f"turn {number} ({turn.get('intent') or turn.get('request')}) on a screen"
    shown = screen_directives(response)
    body = response["response"]
    if body.get("shouldEndSession") or "elicit" in turn:
        assert not shown, where
        return
    assert len(shown) == 1, where
    directive = shown[0]
    assert check_document(directive["document"], directive["datasources"]) == [], where
    assert directive["token"] == response["sessionAttributes"]["screen"], where
    text = "\n".join(screen_lines(screen_of(response) or {}))
    for expected in turn.get("screen", []):
        assert expected.lower() in text.lower(), f"{where}: {expected!r} not in\n{text}"


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
    if turn.get("reprompt"):
        again = alexa.plain(body["reprompt"]["outputSpeech"]["ssml"]).lower()
        for expected in turn["reprompt"]:
            assert expected.lower() in again, f"{where}: {expected!r} not in {again!r}"
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
    directives = [d for d in body.get("directives") or [] if d.get("type") != RENDER_DOCUMENT]
    if "elicit" in turn:
        assert directives[0]["type"] == "Dialog.ElicitSlot", where
        assert directives[0]["slotToElicit"] == turn["elicit"], where
    else:
        assert not directives, where
