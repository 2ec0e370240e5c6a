"""The ASK CLI's dialog files, so one conversation runs here and against the live skill.

``ask dialog --replay FILE`` reads ``{"skillId", "locale", "type": "text", "userInput":
[...]}``; ``--replay`` here reads the same file. ``ask dialog --save-skill-io FILE`` writes
``{"invocations": [{"request": {"utterance", "newSession"}, "response": {"body": ...}}]}``,
one invocation per utterance whose body is a skill simulation result: the requests Alexa
sent the skill with its responses (``result.skillExecutionInfo.invocations``) and what
Alexa said (``result.alexaExecutionInfo.alexaResponses``); ``--save-skill-io`` here writes
that shape from the local run, so the two files can be compared.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from skill.alexa.ssml import plain_text
from skill.local.runner.transports import RunnerError

# ASK dialog's own commands inside a replay's userInput: ".quit" ends the replay.
QUIT_COMMAND = ".quit"
# The only replay type the ASK CLI knows.
REPLAY_TYPE = "text"
# The status of a finished simulation, as SMAPI reports it.
SIMULATION_SUCCESSFUL = "SUCCESSFUL"


@dataclass(frozen=True)
class Replay:
    """A replay file's conversation: who it is for and what the user says, in order."""

    skill_id: str | None
    locale: str
    utterances: tuple[str, ...]


def read_replay(path: str | Path) -> Replay:
    """Read an ``ask dialog --replay`` file; :class:`RunnerError` names what is wrong."""
    where = f"replay file {path}"
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RunnerError(f"{where} not found") from None
    except (OSError, UnicodeDecodeError) as failure:
        reason = getattr(failure, "strerror", None) or type(failure).__name__
        raise RunnerError(f"cannot read {where}: {reason}") from None
    except json.JSONDecodeError as failure:
        raise RunnerError(f"{where} is not JSON: {failure.msg} at line {failure.lineno}") from None
    except RecursionError:
        raise RunnerError(f"{where} is nested too deeply to be a replay file") from None
    if not isinstance(data, dict):
        raise RunnerError(f"{where} must hold a JSON object")
    if data.get("type") != REPLAY_TYPE:
        raise RunnerError(f'{where}: "type" must be "{REPLAY_TYPE}", not {data.get("type")!r}')
    locale = data.get("locale")
    if not isinstance(locale, str) or not locale:
        raise RunnerError(f'{where}: "locale" must be a locale such as "en-US"')
    skill_id = data.get("skillId")
    if skill_id is not None and not isinstance(skill_id, str):
        raise RunnerError(f'{where}: "skillId" must be a string')
    inputs = data.get("userInput")
    if not isinstance(inputs, list) or not all(isinstance(item, str) for item in inputs):
        raise RunnerError(f'{where}: "userInput" must be a list of strings')
    utterances: list[str] = []
    for item in inputs:
        if item.strip() == QUIT_COMMAND:
            break
        utterances.append(item)
    return Replay(skill_id or None, locale, tuple(utterances))


class SkillIoRecorder:
    """Collects what ``ask dialog --save-skill-io`` would write, and writes it on :meth:`save`."""

    def __init__(self, path: str | Path, endpoint: str) -> None:
        self.path = Path(path)
        self.endpoint = endpoint
        self._write({"invocations": []})  # a file that cannot be written fails now, not after
        self._invocations: list[dict[str, Any]] = []
        self._current: dict[str, Any] | None = None

    def utterance_started(self, utterance: str, new_session: bool) -> None:
        self._finish()
        self._current = {
            "request": {"utterance": utterance, "newSession": new_session},
            "skill": [],
            "alexa": [],
        }

    def exchanged(
        self, request: Mapping[str, Any], response: Mapping[str, Any], skill_ms: float
    ) -> None:
        """One request the skill answered, within the current utterance."""
        if self._current is None:
            return  # silence or leaving: not an utterance the ASK CLI would simulate
        self._current["skill"].append(
            {
                "invocationRequest": {"endpoint": self.endpoint, "body": request},
                "invocationResponse": {"body": response},
                "metrics": {"skillExecutionTimeInMilliseconds": round(skill_ms)},
            }
        )
        speech = (response.get("response") or {}).get("outputSpeech") or {}
        text = speech.get("text") if speech.get("type") == "PlainText" else None
        caption = text or plain_text(speech.get("ssml") or "")
        if caption and request.get("request", {}).get("type") != "SessionEndedRequest":
            self._current["alexa"].append({"type": "Speech", "content": {"caption": caption}})

    def utterance_finished(self) -> None:
        self._finish()

    def save(self) -> None:
        self._finish()
        self._write({"invocations": self._invocations})

    def _write(self, content: Mapping[str, Any]) -> None:
        try:
            self.path.write_text(json.dumps(content, indent=2) + "\n", encoding="utf-8")
        except OSError as failure:
            raise RunnerError(f"cannot write {self.path}: {failure.strerror}") from None

    def _finish(self) -> None:
        if self._current is None:
            return
        body = {
            "id": str(uuid.uuid4()),
            "status": SIMULATION_SUCCESSFUL,
            "result": {
                "skillExecutionInfo": {"invocations": self._current["skill"]},
                "alexaExecutionInfo": {"alexaResponses": self._current["alexa"]},
                "error": None,
            },
        }
        self._invocations.append({"request": self._current["request"], "response": {"body": body}})
        self._current = None
