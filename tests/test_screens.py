"""The APL screens: documented vocabulary only, every binding bound, touch wired to events.

Each document in ``skill/coach/screens`` is checked against a sample of the datasource
the skill sends with it (``tests/screen_samples``), with the allow-list of
``apl_reference.toml`` (see ``tests.support.apl``). The checker itself is tested on broken
documents, so a clean result means something.
"""

from __future__ import annotations

import copy
import itertools
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model import RequestEnvelope
from ask_sdk_model.interfaces.alexa.presentation.apl import RenderDocumentDirective, UserEvent

from tests.support import apl_suggester
from tests.support.apl import check_document, expressions, load_reference

ROOT = Path(__file__).resolve().parents[1]
SCREENS_DIR = ROOT / "skill" / "coach" / "screens"
SAMPLES_DIR = Path(__file__).with_name("screen_samples")
KINDS = ("menu", "step", "paced_set", "explanation", "finished")
# The smallest viewport a screen must fit: Echo Spot, 480x480 dp.
SMALLEST_SIDE_DP = 480
TOKEN_BINDING = "${screen.properties.token}"


def document(kind: str) -> dict[str, Any]:
    return json.loads((SCREENS_DIR / f"{kind}.json").read_text(encoding="utf-8"))


def sample(kind: str) -> dict[str, Any]:
    return json.loads((SAMPLES_DIR / f"{kind}.json").read_text(encoding="utf-8"))


def walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


def test_one_document_per_kind_of_screen() -> None:
    assert sorted(path.stem for path in SCREENS_DIR.glob("*.json")) == sorted(KINDS)
    assert sorted(path.stem for path in SAMPLES_DIR.glob("*.json")) == sorted(KINDS)


@pytest.mark.parametrize("kind", KINDS)
def test_document_uses_documented_apl_and_binds_to_its_datasource(kind: str) -> None:
    example = sample(kind)
    assert example["document"] == kind
    assert check_document(document(kind), example["datasources"]) == []


def test_amazons_apl_suggester_finds_nothing_in_any_screen() -> None:
    screens = {kind: (document(kind), sample(kind)["datasources"]) for kind in KINDS}
    assert apl_suggester.validate(screens) == {kind: [] for kind in KINDS}


def test_apl_suggester_reports_what_it_found_in_the_paced_set_before_the_fix() -> None:
    """Its one finding in these screens: the paced set's text scrolls in a row whose height
    was left to its content, so the ScrollView's 100% had nothing to be a share of."""
    broken = document("paced_set")
    del broken["mainTemplate"]["item"]["item"]["items"][2]["height"]
    found = apl_suggester.validate({"paced_set": (broken, sample("paced_set")["datasources"])})
    assert found == {
        "paced_set": [
            "WARNING /mainTemplate/item/item/items/2/items/0/height: ScrollView height must be "
            "an absolute value when the parent height is set to auto."
        ]
    }


@pytest.mark.parametrize("kind", KINDS)
def test_document_serializes_through_the_sdk_render_document_directive(kind: str) -> None:
    example = sample(kind)
    token = example["datasources"]["screen"]["properties"]["token"]
    directive = RenderDocumentDirective(
        token=token, document=document(kind), datasources=example["datasources"]
    )
    wire = DefaultSerializer().serialize(directive)
    assert wire["type"] == "Alexa.Presentation.APL.RenderDocument"
    assert wire["token"] == token
    assert wire["document"] == document(kind)
    assert wire["datasources"] == example["datasources"]


@pytest.mark.parametrize("kind", KINDS)
def test_every_touch_sends_action_screen_token_and_target(kind: str) -> None:
    """A UserEvent's arguments are ``[action, token, target]``; the skill checks all three."""
    events = [node for node in walk(document(kind)) if node.get("type") == "SendEvent"]
    assert events, f"{kind} has nothing to touch"
    for event in events:
        action, token, target = event["arguments"]
        assert token == TOKEN_BINDING
        assert re.fullmatch(r"[a-z]+|\$\{data\.action\}", action)
        assert target == "" or target == "${data.target}"


def test_buttons_carry_what_the_skill_must_answer() -> None:
    """Next, Back, Pause and Repeat reach the skill on a step; the skill decides the words."""
    actions = {
        b["action"] for b in sample("step")["datasources"]["screen"]["properties"]["buttons"]
    }
    assert {"next", "previous", "pause", "repeat"} <= actions


def test_a_user_event_from_a_button_reads_back_through_the_sdk() -> None:
    """What a device posts when the Next button's SendEvent runs (APL interface reference)."""
    body = {
        "version": "1.0",
        "session": {
            "new": False,
            "sessionId": "amzn1.echo-api.session.1",
            "application": {"applicationId": "amzn1.ask.skill.1"},
            "user": {"userId": "amzn1.ask.account.1"},
        },
        "context": {"System": {"application": {"applicationId": "amzn1.ask.skill.1"}}},
        "request": {
            "type": "Alexa.Presentation.APL.UserEvent",
            "requestId": "amzn1.echo-api.request.1",
            "timestamp": "2026-12-01T10:00:00Z",
            "locale": "en-US",
            "token": "stepcoach.russian_pushups.1.7",
            "arguments": ["next", "stepcoach.russian_pushups.1.7", ""],
            "source": {"type": "TouchWrapper", "handler": "Press", "id": ""},
        },
    }
    envelope = DefaultSerializer().deserialize(json.dumps(body), RequestEnvelope)
    assert isinstance(envelope.request, UserEvent)
    assert envelope.request.arguments == ["next", "stepcoach.russian_pushups.1.7", ""]
    assert envelope.request.token == "stepcoach.russian_pushups.1.7"


@pytest.mark.parametrize("kind", KINDS)
def test_layout_has_rules_for_round_show_5_and_tv(kind: str) -> None:
    conditions = [block.get("when", "") for block in document(kind)["resources"]]
    assert "${viewport.shape == 'round'}" in conditions
    assert any("viewport.height < 540" in condition for condition in conditions)
    assert "${viewport.mode == 'tv'}" in conditions


@pytest.mark.parametrize("kind", KINDS)
def test_nothing_is_wider_or_taller_than_the_smallest_screen(kind: str) -> None:
    sizes = ("width", "height", "minWidth", "minHeight", "maxWidth", "maxHeight")
    doc = document(kind)
    for node in walk(doc):
        for key in sizes:
            value = node.get(key)
            if isinstance(value, str) and value.endswith("dp"):
                assert float(value[:-2]) <= SMALLEST_SIDE_DP, (kind, key, value)
            elif isinstance(value, int | float):
                assert value <= SMALLEST_SIDE_DP, (kind, key, value)
    for block in doc["resources"]:
        for value in block.get("dimensions", {}).values():
            if value.endswith("dp"):
                assert float(value[:-2]) <= SMALLEST_SIDE_DP / 2, (kind, value)


def test_paced_countdown_runs_on_the_device_over_the_segments() -> None:
    """One timer per segment, shown while elapsedTime is inside it; no speech in the screen."""
    doc = document("paced_set")
    props = sample("paced_set")["datasources"]["screen"]["properties"]
    timer = next(n for n in walk(doc) if n.get("data") == "${screen.properties.timer.segments}")
    shown = timer["item"]["display"]
    assert "elapsedTime >= data.start" in shown and "elapsedTime < data.end" in shown
    countdown = [e for n in walk(timer) for e in expressions(str(n.get("text", "")))]
    assert any("data.end - elapsedTime" in e for e in countdown)
    assert not any(n.get("type") == "SpeakItem" for n in walk(doc))
    assert "speech" not in props and "transformers" not in sample("paced_set")["datasources"]
    segments = props["timer"]["segments"]
    assert segments[0]["start"] == 0
    assert all(a["end"] == b["start"] for a, b in itertools.pairwise(segments))


def test_screens_use_only_the_version_and_package_we_target() -> None:
    versions = set(load_reference().raw["versions"])
    for kind in KINDS:
        doc = document(kind)
        assert doc["version"] in versions
        assert doc["import"] == [{"name": "alexa-layouts", "version": "1.7.0"}]


# --- the checker itself: broken documents must be caught --------------------------------
def _paced() -> tuple[dict[str, Any], dict[str, Any]]:
    return document("paced_set"), sample("paced_set")["datasources"]


def _first_text(doc: dict[str, Any]) -> dict[str, Any]:
    return next(n for n in walk(doc) if n.get("type") == "Text")


def _break_property(doc: dict[str, Any], data: dict[str, Any]) -> None:
    _first_text(doc)["fontColour"] = "red"


def _break_component(doc: dict[str, Any], data: dict[str, Any]) -> None:
    _first_text(doc)["type"] = "Label"


def _break_command(doc: dict[str, Any], data: dict[str, Any]) -> None:
    next(n for n in walk(doc) if n.get("type") == "SendEvent")["type"] = "Send"


def _speaking(doc: dict[str, Any], data: dict[str, Any]) -> None:
    """Give the document a spoken part the way phase 1 had it: SpeakItem, SetValue, speech."""
    root = doc["mainTemplate"]["item"]
    root["bind"] = [{"name": "timerEndsAt", "type": "number", "value": 0}]
    root["item"]["speech"] = "${screen.properties.speechAudio}"
    root["item"]["id"] = "coachSpeech"
    root["onMount"] = [
        {"type": "SpeakItem", "componentId": "coachSpeech"},
        {"type": "SetValue", "componentId": "root", "property": "timerEndsAt", "value": 1},
    ]
    data["screen"]["properties"]["speech"] = "<speak>Go.</speak>"
    data["screen"]["transformers"] = [
        {"inputPath": "speech", "outputName": "speechAudio", "transformer": "ssmlToSpeech"}
    ]


def _break_target(doc: dict[str, Any], data: dict[str, Any]) -> None:
    _speaking(doc, data)
    doc["mainTemplate"]["item"]["onMount"][0]["componentId"] = "nowhere"


def _break_bound_value(doc: dict[str, Any], data: dict[str, Any]) -> None:
    _speaking(doc, data)
    next(n for n in walk(doc) if n.get("type") == "SetValue")["property"] = "timerEnd"


def _drop_datasource_key(doc: dict[str, Any], data: dict[str, Any]) -> None:
    del data["screen"]["properties"]["subtitle"]


def _drop_transformer(doc: dict[str, Any], data: dict[str, Any]) -> None:
    _speaking(doc, data)
    del data["screen"]["transformers"]


def _drop_key_in_one_item(doc: dict[str, Any], data: dict[str, Any]) -> None:
    del data["screen"]["properties"]["buttons"][2]["essential"]


def _drop_key_in_one_segment(doc: dict[str, Any], data: dict[str, Any]) -> None:
    del data["screen"]["properties"]["timer"]["segments"][1]["end"]


def _undocumented_global(doc: dict[str, Any], data: dict[str, Any]) -> None:
    _first_text(doc)["text"] = "${viewport.colour}"


def _unknown_name(doc: dict[str, Any], data: dict[str, Any]) -> None:
    _first_text(doc)["text"] = "${payload.title}"


def _missing_resource(doc: dict[str, Any], data: dict[str, Any]) -> None:
    _first_text(doc)["color"] = "@coachPink"


def _data_outside_data_child(doc: dict[str, Any], data: dict[str, Any]) -> None:
    _first_text(doc)["text"] = "${data.label}"


def _event_outside_handler(doc: dict[str, Any], data: dict[str, Any]) -> None:
    _first_text(doc)["text"] = "${event.markValue}"


def _layout_without_import(doc: dict[str, Any], data: dict[str, Any]) -> None:
    doc["import"] = []


def _wrong_version(doc: dict[str, Any], data: dict[str, Any]) -> None:
    doc["version"] = "1.0"


BREAKAGES = {
    _break_property: "'fontColour' is not a documented property",
    _break_component: "'Label' is not a documented component",
    _break_command: "'Send' is not a documented command",
    _break_target: "no component has id 'nowhere'",
    _break_bound_value: "no bound value or property 'timerEnd'",
    _drop_datasource_key: "${screen.properties.subtitle} does not resolve",
    _drop_transformer: "${screen.properties.speechAudio} does not resolve",
    _drop_key_in_one_item: "missing in some data items",
    _drop_key_in_one_segment: "missing in some data items",
    _undocumented_global: "viewport has no documented member 'colour'",
    _unknown_name: "${payload...} names nothing in scope",
    _missing_resource: "resource '@coachPink' is not defined",
    _data_outside_data_child: "${data...} names nothing in scope",
    _event_outside_handler: "${event...} names nothing in scope",
    _layout_without_import: "AlexaButton needs the alexa-layouts package imported",
    _wrong_version: "APL version '1.0' is not one we target",
}


@pytest.mark.parametrize("breakage", BREAKAGES, ids=lambda breakage: breakage.__name__)
def test_the_checker_catches_a_broken_document(breakage: Any) -> None:
    doc, data = (copy.deepcopy(part) for part in _paced())
    breakage(doc, data)
    problems = check_document(doc, data)
    assert any(BREAKAGES[breakage] in problem for problem in problems), problems
