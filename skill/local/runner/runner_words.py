"""The runner's own words around the coach's, in the conversation's language.

What the console shows that is not the skill's (the welcome, "(session ended)", a screen's
countdowns and touch targets) and the words typed to the runner itself ("quit", "tap
next") are the ``[runner]`` table of the language's ``language.toml``; the coach's words
are the skill's templates. Command-line help and error lines stay English.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from skill.coach.language import language_data, language_of

# The table of language.toml that holds the runner's words.
TABLE = "runner"


@dataclass(frozen=True)
class RunnerWords:
    welcome: str  # {invocation}: the skill's invocation name
    quit_words: frozenset[str]
    tap_words: tuple[tuple[str, ...], ...]  # phrases, longest first ("druk op", "tap")
    tap_verbs: frozenset[str]
    session_ended: str
    no_answer: str  # silence twice: the session has ended
    countdowns: str  # {countdowns}: the countdowns joined by countdown_then
    countdown: str  # {seconds}, {what} (lower case), {label}, {time}
    countdown_set: str  # {set}
    countdown_then: str
    touch: str  # {buttons}
    spoken_input_unavailable: str  # {locale}

    @classmethod
    def from_data(cls, table: Mapping[str, Any]) -> RunnerWords:
        def words(name: str) -> frozenset[str]:
            return frozenset(word.lower() for word in table[name])

        return cls(  # every key required: a language without one fails when it loads
            welcome=table["welcome"],
            quit_words=words("quit_words"),
            tap_words=tuple(
                sorted(
                    (tuple(p.lower().split()) for p in table["tap_words"]), key=len, reverse=True
                )
            ),
            tap_verbs=words("tap_verbs"),
            session_ended=table["session_ended"],
            no_answer=table["no_answer"],
            countdowns=table["countdowns"],
            countdown=table["countdown"],
            countdown_set=table["countdown_set"],
            countdown_then=table["countdown_then"],
            touch=table["touch"],
            spoken_input_unavailable=table["spoken_input_unavailable"],
        )


@cache
def runner_words(language: str) -> RunnerWords:
    """A content language's runner words; KeyError names a missing one."""
    return RunnerWords.from_data(language_data(language)[TABLE])


def runner_words_for(locale: str) -> RunnerWords:
    return runner_words(language_of(locale))
