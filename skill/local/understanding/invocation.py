"""Addressing the skill by name, as Alexa reads it: a launch, or a one-shot request."""

from __future__ import annotations

from dataclasses import dataclass

from skill.local.understanding.utterance import Wording


@dataclass(frozen=True)
class Invocation:
    """How an utterance addresses the skill by name: a launch, or a one-shot request."""

    kind: str  # "launch" or "intent"
    utterance: str | None = None  # the request part of a one-shot


def parse_invocation(
    words: list[str], name: tuple[str, ...], wording: Wording
) -> Invocation | None:
    """Read "open step coach" (a launch) or "ask step coach to start planks" (a one-shot).

    ``words`` are the utterance's words that matter, ``name`` the invocation name's word
    keys. None when the utterance does not name the skill. Follows Alexa's documented
    phrases, in the language's words (:class:`Wording`): "<verb> <name>",
    "ask|tell|use|open... <name> [to|about|for|that|and] <request>" and
    "<request> from|with|using... <name>".
    """
    keys = [wording.key_of(w) for w in words]
    where = next(
        (i for i in range(len(keys) - len(name) + 1) if tuple(keys[i : i + len(name)]) == name),
        None,
    )
    if where is None:
        return None
    before, after = keys[:where], words[where + len(name) :]
    if before and before[-1] in wording.article_keys:  # "open the step coach"
        before = before[:-1]
    if not after:
        if not before or tuple(before) in wording.launch_keys:
            return Invocation("launch")
        if before[-1] in wording.trailing_connector_keys and len(before) > 1:
            return Invocation("intent", " ".join(words[: len(before) - 1]))
        return None
    if tuple(before) not in wording.one_shot_keys:
        return None
    if after[0] in wording.one_shot_connectors and len(after) > 1:
        after = after[1:]
    return Invocation("intent", " ".join(after))
