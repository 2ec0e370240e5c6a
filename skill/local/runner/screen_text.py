"""What an Echo Show would show, as lines of text for the console (``--screen``).

The skill sends a screen as an ``Alexa.Presentation.APL.RenderDocument`` directive whose
datasource ``screen`` carries everything the document displays (title, subtitle, text,
progress, buttons, menu choices, countdowns). The console has no APL renderer, so it
prints that datasource in the order the documents lay it out; the words are the skill's,
and the few around them the language's (:mod:`skill.local.runner.runner_words`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from skill.coach.locales import DEFAULT_LANGUAGE
from skill.local.runner.runner_words import RunnerWords, runner_words

RENDER_DOCUMENT = "Alexa.Presentation.APL.RenderDocument"
BAR_WIDTH = 20  # characters of the progress bar


def screen_of(response: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The ``screen`` datasource properties of a response envelope's RenderDocument, if any."""
    body = response.get("response", response)
    directives = body.get("directives") if isinstance(body, Mapping) else None
    for directive in directives if isinstance(directives, Sequence) else ():
        if isinstance(directive, Mapping) and directive.get("type") == RENDER_DOCUMENT:
            source = (directive.get("datasources") or {}).get("screen")
            properties = source.get("properties") if isinstance(source, Mapping) else None
            if isinstance(properties, Mapping):
                return properties
    return None


def screen_lines(properties: Mapping[str, Any], words: RunnerWords | None = None) -> list[str]:
    """The screen as the console prints it: heading, text, countdown, progress, touch targets."""
    words = words or runner_words(DEFAULT_LANGUAGE)
    lines = [_heading(properties)]
    if text := _text(properties.get("text")):
        lines.append(text)
    if countdowns := _countdowns(properties.get("timer"), words):
        lines.append(countdowns)
    if stats := _text(properties.get("stats")):
        lines.append(stats)
    if progress := _progress(properties.get("progress")):
        lines.append(progress)
    choices = properties.get("choices")
    for number, choice in enumerate(choices if isinstance(choices, list) else [], start=1):
        if isinstance(choice, Mapping) and (label := _text(choice.get("label"))):
            detail = _text(choice.get("detail"))
            lines.append(f"  {number}. {label}" + (f" - {detail}" if detail else ""))
    if buttons := _buttons(properties.get("buttons"), words):
        lines.append(buttons)
    return lines


def _text(value: object) -> str:
    return " ".join(value.split()) if isinstance(value, str) else ""


def _heading(properties: Mapping[str, Any]) -> str:
    parts = [_text(properties.get("title")), _text(properties.get("subtitle"))]
    return "== " + " | ".join(part for part in parts if part) + " =="


def _progress(progress: object) -> str:
    if not isinstance(progress, Mapping):
        return ""
    percent = progress.get("percent")
    if not isinstance(percent, int | float) or isinstance(percent, bool):
        return _text(progress.get("label"))
    filled = round(max(0.0, min(100.0, percent)) * BAR_WIDTH / 100)
    bar = "#" * filled + "-" * (BAR_WIDTH - filled)
    return f"[{bar}] {round(percent)}%  {_text(progress.get('label'))}".rstrip()


def _countdowns(timer: object, words: RunnerWords) -> str:
    """The countdowns the device runs, each with when it starts after the speech does."""
    segments = timer.get("segments") if isinstance(timer, Mapping) else None
    parts = []
    for segment in segments if isinstance(segments, list) else []:
        if not isinstance(segment, Mapping):
            continue
        seconds, start = segment.get("seconds"), segment.get("start")
        if not _number(seconds) or not _number(start) or seconds <= 0:
            continue
        where = _text(segment.get("set"))
        minutes, rest = divmod(round(start / 1000), 60)
        label = _text(segment.get("label"))
        parts.append(
            words.countdown.format(
                seconds=f"{seconds:g}",
                what=label.lower(),
                label=label,
                time=f"{minutes}:{rest:02d}",
            )
            + (words.countdown_set.format(set=where) if where else "")
        )
    return words.countdowns.format(countdowns=words.countdown_then.join(parts)) if parts else ""


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _buttons(buttons: object, words: RunnerWords) -> str:
    labels = (
        [
            _text(button.get("label")) + ("*" if button.get("primary") is True else "")
            for button in buttons
            if isinstance(button, Mapping) and _text(button.get("label"))
        ]
        if isinstance(buttons, list)
        else []
    )
    shown = " | ".join(f"[{label}]" for label in labels)
    return words.touch.format(buttons=shown) if labels else ""
