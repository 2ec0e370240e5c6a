"""Addressing the skill by name, as Alexa reads it: a launch, or a one-shot request."""

from __future__ import annotations

from dataclasses import dataclass

from skill.local.understanding.utterance import key_of, raw_words, strip_phrases

# Alexa's phrases that open a skill by name: "open step coach", "talk to step coach".
_LAUNCH_VERBS: tuple[tuple[str, ...], ...] = (
    ("open",), ("launch",), ("start",), ("begin",), ("load",), ("run",), ("play",),
    ("resume",), ("use",), ("talk", "to"), ("ask",), ("tell",), ("do",), ("start", "playing"),
)  # fmt: skip
# ... and that open it with a request: "ask step coach to ...", "tell step coach that ...".
_ONE_SHOT_VERBS: tuple[tuple[str, ...], ...] = (
    ("ask",), ("tell",), ("use",), ("open",), ("launch",), ("start",), ("begin",),
    ("load",), ("run",),
)  # fmt: skip
# Words between the name and the request, or between a request and the name
# ("start planks with step coach").
_ONE_SHOT_CONNECTORS = frozenset({"to", "about", "for", "if", "whether", "that", "and"})
_TRAILING_CONNECTORS = frozenset({"using", "with", "from", "by", "in", "on"})


@dataclass(frozen=True)
class Invocation:
    """How an utterance addresses the skill by name: a launch, or a one-shot request."""

    kind: str  # "launch" or "intent"
    utterance: str | None = None  # the request part of a one-shot


def parse_invocation(utterance: str, name: tuple[str, ...]) -> Invocation | None:
    """Read "open step coach" (a launch) or "ask step coach to start planks" (a one-shot).

    ``name`` is the invocation name's word keys. None when the utterance does not name the
    skill. Follows Alexa's documented
    phrases: "<verb> <name>", "ask|tell|use|open... <name> [to|about|for|that|and]
    <request>" and "<request> from|with|using... <name>".
    """
    words = strip_phrases(raw_words(utterance))
    keys = [key_of(w) for w in words]
    where = next(
        (i for i in range(len(keys) - len(name) + 1) if tuple(keys[i : i + len(name)]) == name),
        None,
    )
    if where is None:
        return None
    before, after = keys[:where], words[where + len(name) :]
    if before and before[-1] == "the":
        before = before[:-1]
    if not after:
        if not before or tuple(before) in _LAUNCH_VERBS:
            return Invocation("launch")
        if before[-1] in _TRAILING_CONNECTORS and len(before) > 1:
            return Invocation("intent", " ".join(words[: len(before) - 1]))
        return None
    if tuple(before) not in _ONE_SHOT_VERBS:
        return None
    if after[0] in _ONE_SHOT_CONNECTORS and len(after) > 1:
        after = after[1:]
    return Invocation("intent", " ".join(after))
