"""What a device with a screen shows: one APL document per kind of screen, and its datasource.

The documents (``screens/*.json``) are data, read once; each takes one datasource,
``screen``, built here from what the response's card already says (title and text exist
once, in the templates) plus the screen library's labels (``_screen.ssml.j2``). Every
touch target sends ``[action, token, target]``; the token names the screen, so a touch on
a screen the session has moved past can be told from a current one (see handlers).

A paced step's countdown runs on the device: the document reads ``elapsedTime`` (since it
rendered, which is when the speech starts) against contiguous segments computed from the
same pacing script as the speech (:func:`skill.coach.pacing.countdowns`).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any

from skill.alexa.codec import JsonData
from skill.coach import pacing
from skill.coach.catalog import Catalog
from skill.coach.speech import BeatTimes, Rendered
from skill.coach.state import State
from skill.settings import SCREENS_DIR

if TYPE_CHECKING:
    from ask_sdk_model.interfaces.alexa.presentation.apl import RenderDocumentDirective

KINDS = ("menu", "step", "paced_set", "explanation", "finished")
# Tokens look like "stepcoach.12.step": a per-session counter, then the kind of screen.
TOKEN = re.compile(r"stepcoach\.(\d{1,6})\.([a-z_]{1,20})")
# The last segment of a paced screen lasts until the screen changes: a day, in ms.
FOREVER_MS = 86_400_000
STEP_BUTTONS = ("previous", "repeat", "pause", "next")
# The actions each kind of screen can send (its buttons and choices); a touch naming any
# other was not pressed on that screen.
ACTIONS = {
    "menu": frozenset({"start", "explain", "help"}),
    "step": frozenset(STEP_BUTTONS),
    "paced_set": frozenset(STEP_BUTTONS),
    "explanation": frozenset({"resume", "start", "menu"}),
    "finished": frozenset({"start", "start_over", "menu"}),
}
# Scripts whose countdowns are kept per locale: far above steps x paces x sounds.
TIMELINE_CACHE_LIMIT = 1024


# What comes before a paced part is one of a few hundred texts (step, notice, phrase):
# its estimated length is kept rather than re-read from the SSML on every request.
@lru_cache(maxsize=4096)
def _estimated_ms(ssml: str) -> int:
    # The SSML reader (and xml.etree) loads with the first screen, not on every cold start.
    from skill.alexa.ssml import estimated_speech_ms

    return estimated_speech_ms(ssml)


# Labels by (library, macro, arguments): button names, "Step 2 of 5", "Set 1 of 2", ...
LABEL_CACHE_LIMIT = 4096
_LABELS: dict[tuple[Any, str, tuple[str | int, ...]], str] = {}


@cache
def document(kind: str) -> JsonData:
    """A screen's APL document, read once; shared by every response, so never modified."""
    with (SCREENS_DIR / f"{kind}.json").open(encoding="utf-8") as handle:
        return JsonData(json.load(handle))


def load_documents() -> None:
    """Read every document at start-up, so no request pays for it (and a typo fails early)."""
    for kind in KINDS:
        document(kind)


def has_screen(envelope: Any) -> bool:
    """Whether the device says it renders APL (``context.System.device.supportedInterfaces``)."""
    device = getattr(getattr(getattr(envelope, "context", None), "system", None), "device", None)
    interfaces = getattr(device, "supported_interfaces", None)
    return getattr(interfaces, "alexa_presentation_apl", None) is not None


def kind_of(token: str | None) -> str | None:
    """The kind of screen a token names, if it is one of ours."""
    match = TOKEN.fullmatch(token or "")
    return match.group(2) if match and match.group(2) in ACTIONS else None


def lead_in_ms(speech: str, beats: tuple[pacing.Beat, ...], beat_times: BeatTimes) -> int:
    """How long the speech before the paced part takes (its first beat marks where)."""
    position = speech.find(beat_times.markup(beats[0])) if beats else -1
    if position < 0:
        return 0
    return _estimated_ms(speech[:position] + "</speak>")


def paced_end_ms(speech: str, beats: tuple[pacing.Beat, ...], beat_times: BeatTimes) -> int:
    """How long after the speech starts its paced part ends: pauses exact, words estimated."""
    return lead_in_ms(speech, beats, beat_times) + sum(beat_times(beat) for beat in beats)


def next_token(state: State, kind: str) -> str:
    match = TOKEN.fullmatch(state.screen or "")
    counter = int(match.group(1)) + 1 if match else 1
    return f"stepcoach.{counter % 1_000_000}.{kind}"


def _text(markup: object) -> str:
    return html.unescape(" ".join(str(markup).split()))


@dataclass
class ScreenBuilder:
    """Builds one response's screen from the response key, the rendered card and the data."""

    catalog: Catalog
    words: Any  # the locale's ``screen`` macro library
    beat_times: BeatTimes

    def label(self, macro: str, *args: str | int) -> str:
        """A screen label from the locale's library, rendered once per macro and arguments."""
        key = (self.words, macro, args)
        text = _LABELS.get(key)
        if text is None:
            if len(_LABELS) >= LABEL_CACHE_LIMIT:
                _LABELS.clear()
            text = _LABELS[key] = _text(getattr(self.words, macro)(*args))
        return text

    def kind(self, key: str, state: State, data: Mapping[str, Any]) -> str:
        if key == "step":
            return "paced_set" if data.get("beats") else "step"
        if key == "set_done":
            return "step"
        if key in ("finished", "already_finished"):
            return "finished"
        if key == "explain" or (state.workout and not state.finished):
            return "explanation"
        return "menu"

    def button(self, action: str, *, primary: bool = False) -> dict[str, Any]:
        """A control (next, pause, menu, ...): one of the handlers' TOUCHES, no target."""
        return {
            "label": self.label("button", action),
            "action": action,
            "target": "",
            "primary": primary,
            "essential": primary or action in ("previous", "menu", "resume"),
        }

    def start_button(self, workout_id: str, *, primary: bool = True) -> dict[str, Any]:
        return {
            "label": self.label("start", self.catalog.workout_name(workout_id)),
            "action": "start",
            "target": workout_id,
            "primary": primary,
            "essential": primary,
        }

    def properties(
        self,
        kind: str,
        token: str,
        state: State,
        rendered: Rendered,
        speech: str,
        data: Mapping[str, Any],
        summary: Any = None,
    ) -> dict[str, Any]:
        """The datasource's properties: the card's title and text, and the screen's own."""
        properties: dict[str, Any] = {
            "token": token,
            "title": rendered.card_title,
            "subtitle": "",
            "text": rendered.card_text,
        }
        plan = self.catalog.plan(state.workout) if state.workout else None
        if kind in ("step", "paced_set") and plan is not None:
            here, count = plan.steps[state.step], len(plan.steps)
            properties["subtitle"] = self.label(
                "step_of", here.number, here.of, here.item_number, here.item_count
            )
            properties["progress"] = {
                "percent": round(100 * state.step / count),
                "label": self.label(
                    "progress", plan.name, here.number, here.of, here.item_number, here.item_count
                ),
            }
            properties["buttons"] = [
                self.button(action, primary=action == "next") for action in STEP_BUTTONS
            ]
            if kind == "paced_set":
                properties["timer"] = self.timer(speech, data["beats"])
        elif kind == "finished" and plan is not None:
            properties["subtitle"] = self.label("finished", plan.name)
            properties["stats"] = _text(self.words.stats(summary)) if summary else ""
            buttons = [self.button("start_over"), self.button("menu")]
            if state.offer is not None:
                buttons.insert(0, self.start_button(state.offer.workout))
            properties["buttons"] = buttons
        elif kind == "explanation":
            buttons = [self.button("menu")]
            if state.offer is not None:
                in_workout = plan is not None and not state.finished
                buttons.insert(0, self.start_button(state.offer.workout, primary=not in_workout))
            if plan is not None and not state.finished:
                here = plan.steps[state.step]
                properties["subtitle"] = self.label(
                    "back_to",
                    plan.name, here.number, here.of, here.item_number, here.item_count,
                    here.exercise.name,
                )  # fmt: skip
                buttons.insert(0, self.button("resume", primary=True))
            properties["buttons"] = buttons
        else:
            properties["subtitle"] = self.label("menu_subtitle")
            properties["choices"] = self.choices()
            properties["buttons"] = [self.button("help")]
        return properties

    def choices(self) -> list[dict[str, str]]:
        catalog = self.catalog
        workouts = [*catalog.routines.values(), *catalog.exercises.values()]
        # A topic about a workout the menu lists ("Russian push-ups") is that choice's twin.
        choices = [
            {
                "label": self.label("start", w.name),
                "detail": w.intro,
                "action": "start",
                "target": w.id,
            }
            for w in workouts
        ]
        choices += [
            {
                "label": topic.name[:1].upper() + topic.name[1:],
                "detail": "",
                "action": "explain",
                "target": topic.id,
            }
            for topic in catalog.topics.values()
            if catalog.find_workout(topic.name) is None
        ]
        return choices

    def timer(self, speech: str, beats: tuple[pacing.Beat, ...]) -> dict[str, Any]:
        """Contiguous countdown segments from the moment the speech starts, in milliseconds.

        The segments of a script are built once per locale, from the start of the paced
        part; each response shifts them by its own lead-in.
        """
        entry = self.beat_times.timelines.get(id(beats))
        if entry is None or entry[0] is not beats:
            if len(self.beat_times.timelines) >= TIMELINE_CACHE_LIMIT:
                self.beat_times.timelines.clear()
            entry = self.beat_times.timelines[id(beats)] = (beats, self.timeline(beats))
        lead_in = lead_in_ms(speech, beats, self.beat_times)
        segments = [
            {**segment, "start": segment["start"] + lead_in, "end": segment["end"] + lead_in}
            for segment in entry[1]
        ]
        segments[0]["start"] = 0
        segments[-1]["end"] = FOREVER_MS
        return {"idle": "", "segments": segments}

    def timeline(self, beats: tuple[pacing.Beat, ...]) -> list[dict[str, Any]]:
        """The segments from the start of the paced part (the first starts at 0)."""
        segments: list[dict[str, Any]] = []
        elapsed = 0
        # Between countdowns the speech counts reps, or gets the user into position.
        between = "reps" if any(beat.kind == "begin" for beat in beats) else "ready"
        for countdown in pacing.countdowns(beats, self.beat_times):
            start, end = countdown.start_ms, countdown.end_ms
            segments.append(self.segment(between, elapsed, start, 0, countdown))
            segments.append(self.segment(countdown.kind, start, end, countdown.seconds, countdown))
            elapsed = end
        segments.append(self.segment("done" if segments else between, elapsed, FOREVER_MS, 0, None))
        return segments

    def segment(
        self, kind: str, start: int, end: int, seconds: int, countdown: pacing.Countdown | None
    ) -> dict[str, Any]:
        where = self.label("set_of", countdown.set_number, countdown.sets) if countdown else ""
        return {
            "label": self.label("timer", kind),
            "set": where,
            "start": start,
            "end": max(end, start + 1),
            "seconds": seconds,
        }


def render_document(kind: str, properties: dict[str, Any]) -> RenderDocumentDirective:
    # The APL models (74 modules) load with the first screen, not on every cold start.
    from ask_sdk_model.interfaces.alexa.presentation.apl import RenderDocumentDirective

    datasources = {
        "screen": {"type": "object", "objectId": "stepCoachScreen", "properties": properties}
    }
    return RenderDocumentDirective(
        token=properties["token"], document=document(kind), datasources=datasources
    )
