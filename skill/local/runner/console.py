"""What the user sees: the transcript of each exchange, or one JSON object per line."""

from __future__ import annotations

import json
import shutil
import sys
import textwrap
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, TextIO

from skill.alexa.ssml import parse_segments, plain_text, tidy_spacing
from skill.coach.locales import DEFAULT_LANGUAGE
from skill.local.runner.runner_words import RunnerWords, runner_words
from skill.local.runner.screen_text import screen_lines, screen_of
from skill.local.runner.session import (
    Outgoing,
    ends_session,
)

# Pauses at least this long show as "…" in the console transcript (countdowns, holds).
SHOWN_PAUSE_MS = 2000
# Widest console line for the coach's words.
MAX_WIDTH = 100
PROMPT = "you> "
HEARD_PROMPT = "you (heard)> "
COACH = "coach> "


@dataclass
class Exchange:
    """One turn as ``--json`` prints it (one object per line) and the console shows it."""

    utterance: str
    request_type: str | None
    intent: str | None
    slots: dict[str, dict[str, str | None]]
    speech: str | None  # the SSML
    text: str | None  # the words, plain
    reprompt: str | None  # the reprompt's SSML
    reprompt_text: str | None
    end_session: bool
    new_session: bool
    score: float | None  # the NLU's confidence, for intent requests
    card: dict[str, Any] | None = field(default=None)
    directives: list[dict[str, Any]] | None = field(default=None)
    screen: list[str] | None = field(default=None)  # what a screen shows, as --screen prints
    # Spoken turns only: what the recogniser heard ("" when nothing was understood) and how
    # sure it was; typed turns leave both out of their JSON.
    heard: str | None = None
    confidence: float | None = None

    @classmethod
    def of(
        cls, sent: Outgoing, response: Mapping[str, Any], words: RunnerWords | None = None
    ) -> Exchange:
        request = sent.envelope["request"]
        body = response.get("response") or {}
        speech = _ssml(body.get("outputSpeech"))
        reprompt = _ssml((body.get("reprompt") or {}).get("outputSpeech"))
        slots = {
            name: {"value": slot.get("value"), "id": _resolved_id(slot)}
            for name, slot in ((request.get("intent") or {}).get("slots") or {}).items()
            if slot.get("value") is not None
        }
        understanding = sent.understanding
        return cls(
            utterance=sent.utterance,
            request_type=request["type"],
            intent=(request.get("intent") or {}).get("name"),
            slots=slots,
            speech=speech,
            text=plain_text(speech) if speech else None,
            reprompt=reprompt,
            reprompt_text=plain_text(reprompt) if reprompt else None,
            end_session=request["type"] == "SessionEndedRequest" or ends_session(body),
            new_session=bool(sent.envelope["session"]["new"]),
            score=round(understanding.score, 3) if understanding else None,
            card=body.get("card"),
            directives=body.get("directives"),
            screen=(
                screen_lines(shown, words) if (shown := screen_of(response)) is not None else None
            ),
        )

    @classmethod
    def reprompted(cls, reprompt: str) -> Exchange:
        """Silence after the coach spoke: Alexa plays the reprompt; nothing is sent."""
        return cls._unsent(reprompt, reprompt=reprompt)

    @classmethod
    def unheard(cls, confidence: float, apology: str | None) -> Exchange:
        """Speech nobody could make out (or none at all): nothing is sent, as on an Echo."""
        return cls._unsent(apology, heard="", confidence=confidence)

    @classmethod
    def _unsent(cls, speech: str | None, reprompt: str | None = None, **heard: Any) -> Exchange:
        """A turn the runner answers itself, without a request to the skill."""
        return cls(
            utterance="",
            request_type=None,
            intent=None,
            slots={},
            speech=speech,
            text=plain_text(speech) if speech else None,
            reprompt=reprompt,
            reprompt_text=plain_text(reprompt) if reprompt else None,
            end_session=False,
            new_session=False,
            score=None,
            **heard,
        )

    def to_json(self) -> str:
        fields = asdict(self)
        if self.heard is None:
            del fields["heard"], fields["confidence"]
        return json.dumps(fields, ensure_ascii=False)


def _ssml(output_speech: Mapping[str, Any] | None) -> str | None:
    if not output_speech:
        return None
    if output_speech.get("type") == "PlainText":
        text = str(output_speech.get("text") or "")
        return "<speak>" + text.replace("&", "&amp;").replace("<", "&lt;") + "</speak>"
    return output_speech.get("ssml")


def _resolved_id(slot: Mapping[str, Any]) -> str | None:
    for authority in (slot.get("resolutions") or {}).get("resolutionsPerAuthority") or []:
        if (authority.get("status") or {}).get("code") == "ER_SUCCESS_MATCH":
            values = authority.get("values") or []
            if values:
                return values[0]["value"]["id"]
    return None


# How an earcon (<audio>) shows in the transcript: the sound is heard, the note is seen.
EARCON_MARK = "♪"


def console_text(ssml: str) -> str:
    """The words with long pauses shown as "…", so a countdown reads like one, and each
    sound as "♪".
    """
    parts = []
    for segment in parse_segments(ssml):
        if segment.audio:
            parts.append(EARCON_MARK)
        elif not segment.is_pause:
            parts.append(segment.text)
        elif segment.pause_ms >= SHOWN_PAUSE_MS and parts and parts[-1] != "…":
            parts.append("…")
    return tidy_spacing(" ".join(parts))


class Console:
    """What the user sees: a transcript on stdout, or JSON lines; notices on stderr."""

    def __init__(
        self,
        *,
        json_lines: bool,
        echo_user: bool,
        verbose: bool = False,
        show_screen: bool = False,
        out: TextIO | None = None,
        err: TextIO | None = None,
        words: RunnerWords | None = None,
    ) -> None:
        self.json_lines = json_lines
        self.words = words or runner_words(DEFAULT_LANGUAGE)
        self.echo_user = echo_user
        self.verbose = verbose
        self.show_screen = show_screen
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        columns = shutil.get_terminal_size((MAX_WIDTH, 24)).columns
        self.width = max(40, min(MAX_WIDTH, columns - 1))

    def notice(self, message: str) -> None:
        print(message, file=self.err, flush=True)

    def read(self, prompt: str = PROMPT) -> str:
        """One typed line; the prompt goes to stderr when stdout carries JSON."""
        if self.json_lines:
            self.err.write(prompt)
            self.err.flush()
            return input()
        line = input(prompt)
        if not sys.stdin.isatty():
            print(line, file=self.out)  # piped input is not echoed by a terminal
        return line

    def show(self, record: Exchange, sent: Outgoing | None = None) -> None:
        """Every turn is a JSON line; the transcript leaves out the silent endings."""
        if self.json_lines:
            print(record.to_json(), file=self.out, flush=True)
        elif record.request_type != "SessionEndedRequest":
            self._show_text(record)
        if self.verbose:
            self._explain(record, sent)

    def _show_text(self, record: Exchange) -> None:
        if record.heard:
            print(f"{HEARD_PROMPT}{record.heard}", file=self.out)
        elif self.echo_user and record.request_type is not None:
            print(f"{PROMPT}{record.utterance}", file=self.out)
        if record.speech:
            text = console_text(record.speech)
            lines = textwrap.wrap(
                text, self.width, initial_indent=COACH, subsequent_indent=" " * len(COACH)
            )
            print("\n".join(lines) or COACH.rstrip(), file=self.out)
        if self.show_screen and record.screen:
            indent = " " * len(COACH)
            print("\n".join(f"{indent}| {line}" for line in record.screen), file=self.out)
        if record.end_session and record.request_type != "SessionEndedRequest":
            print(f"{' ' * len(COACH)}{self.words.session_ended}", file=self.out)
        print(file=self.out)  # a blank line between exchanges reads better
        self.out.flush()

    def _explain(self, record: Exchange, sent: Outgoing | None) -> None:
        if sent is None:
            self.notice("  [silence: reprompt]")
            return
        what = record.request_type or "-"
        if sent.understanding is not None:
            what += " " + sent.understanding.explain()
        elif record.request_type == "SessionEndedRequest":
            what += " " + str(sent.envelope["request"].get("reason"))
        self.notice(f"  [{what}]")
