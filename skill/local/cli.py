"""The local runner: talk to Step Coach on a PC by typing, and hear it answer.

Each typed utterance goes through the local NLU (:mod:`skill.nlu`) into a genuine Alexa
request envelope (:mod:`skill.envelopes`), to the skill in-process or to a running
endpoint over HTTP (``--url``); the answer is printed and spoken with its pauses
(:mod:`skill.tts`). Options other tools rely on: ``--say``, ``--script``, ``--json``,
``--mute``, ``--wav``, ``--url``, ``--locale``, ``--voice``, ``--rate``, ``--list-voices``.

Errors the user can fix (an unreachable ``--url``, a missing script, an unknown locale)
are one line on stderr, ``local_runner: error: ...``, and a non-zero exit status.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import textwrap
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, NoReturn, Protocol, TextIO
from urllib.parse import urlparse

from skill import settings
from skill.alexa.requests import EXCEEDED_MAX_REPROMPTS, USER_INITIATED, new_marker
from skill.alexa.ssml import parse_segments, plain_text, tidy_spacing
from skill.local.nlu import LocalNLU, UnknownLocale, words_of
from skill.local.session import (
    LOCAL_APPLICATION_ID,
    LocalSession,
    Outgoing,
    ends_session,
    local_identity,
)
from skill.settings import DATA_DIR

PROG = "local_runner"
# This PC's remembered local user (a random marker), under the project's data folder.
LOCAL_USER_FILE = "local_runner_user"
# Typed alone at the prompt (or in a script), these leave the runner instead of going to
# the skill; an open session gets a SessionEndedRequest, as "Alexa, exit" would send.
QUIT_WORDS = frozenset({"quit", "exit"})
# HTTP timeouts for --url, in seconds: connecting, then waiting for the answer.
CONNECT_TIMEOUT_S = 3.0
READ_TIMEOUT_S = 10.0
# Pauses at least this long show as "…" in the console transcript (countdowns, holds).
SHOWN_PAUSE_MS = 2000
# Widest console line for the coach's words.
MAX_WIDTH = 100
PROMPT = "you> "
COACH = "coach> "


class RunnerError(Exception):
    """Something the user can fix; shown as one line, never as a traceback."""


class _UsageError(RunnerError):
    """A bad command line (exit status 2, like argparse)."""


# --- sending requests ---------------------------------------------------------------------


class Skill(Protocol):
    """Where requests go: the skill in this process, or an endpoint over HTTP."""

    def send(self, envelope: Mapping[str, Any]) -> dict[str, Any]: ...

    def close(self) -> None: ...


class InProcessSkill:
    """The skill core called directly, built once per run."""

    def __init__(self) -> None:
        from skill.coach.step_coach import StepCoach  # deferred: --list-voices needs no skill

        self.coach = StepCoach.from_environment()

    def send(self, envelope: Mapping[str, Any]) -> dict[str, Any]:
        from skill.coach.step_coach import InvalidRequest

        try:
            return self.coach.handle(dict(envelope))
        except InvalidRequest as refused:
            raise RunnerError(
                f"the skill refused a locally built request ({refused.reason}); "
                "this is a bug in skill/envelopes.py"
            ) from None

    def close(self) -> None:
        """Nothing to release: the skill lives as long as the process."""


class HttpSkill:
    """A running endpoint (``--url``): POSTs the envelope as JSON, as Alexa does."""

    def __init__(self, url: str, timeout: tuple[float, float] | None = None) -> None:
        parsed = urlparse(url)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise _UsageError(f"--url must be an http:// or https:// URL, not {url!r}")
        import requests  # deferred: in-process runs never need it

        self._requests = requests
        self._session = requests.Session()
        self.url = url
        self.timeout = timeout or (CONNECT_TIMEOUT_S, READ_TIMEOUT_S)

    def send(self, envelope: Mapping[str, Any]) -> dict[str, Any]:
        errors = self._requests.exceptions
        try:
            answer = self._session.post(
                self.url,
                data=json.dumps(envelope).encode("utf-8"),
                headers={
                    "Content-Type": "application/json; charset=utf-8",
                    "Accept": "application/json",
                },
                timeout=self.timeout,
            )
        except errors.Timeout:
            raise RunnerError(f"no answer from {self.url} within {self.timeout[1]:g} s") from None
        except errors.ConnectionError as failure:
            raise RunnerError(f"cannot reach {self.url}: {_connection_reason(failure)}") from None
        except errors.RequestException as failure:
            raise RunnerError(f"request to {self.url} failed: {failure}") from None
        if answer.status_code >= 400:
            raise RunnerError(_http_error(self.url, answer))
        try:
            body = answer.json()
        except ValueError:
            kind = answer.headers.get("Content-Type") or "no content type"
            raise RunnerError(
                f"{self.url} answered with something other than JSON ({kind})"
            ) from None
        if not isinstance(body, dict) or not isinstance(body.get("response"), dict):
            raise RunnerError(f"{self.url} answered JSON that is not an Alexa response")
        return body

    def close(self) -> None:
        self._session.close()


def _connection_reason(failure: Exception) -> str:
    text = str(failure)
    for marker, reason in (
        ("Connection refused", "connection refused"),
        ("Name or service not known", "unknown host"),
        ("nodename nor servname", "unknown host"),
        ("No route to host", "no route to host"),
        ("CERTIFICATE_VERIFY_FAILED", "TLS certificate not trusted"),
    ):
        if marker in text:
            return reason
    return "connection failed"


def _http_error(url: str, answer: Any) -> str:
    """One line for an HTTP error status, with the endpoint's own reason when it gives one."""
    detail = ""
    try:
        body = answer.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and (body.get("error") or body.get("message")):
        detail = ": " + "; ".join(str(body[k]) for k in ("error", "message") if body.get(k))
    line = f"{url} answered HTTP {answer.status_code}{detail}"
    if answer.status_code in (400, 401, 403) and re.search(r"signature|cert", detail, re.I):
        line += f" (the runner cannot sign requests: start the endpoint with {settings.VERIFY}=0)"
    return " ".join(line.split())


# --- what a turn shows ----------------------------------------------------------------------


@dataclass
class TurnRecord:
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

    @classmethod
    def of(cls, sent: Outgoing, response: Mapping[str, Any]) -> TurnRecord:
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
        )

    @classmethod
    def reprompted(cls, reprompt: str) -> TurnRecord:
        """Silence after the coach spoke: Alexa plays the reprompt; nothing is sent."""
        return cls(
            utterance="",
            request_type=None,
            intent=None,
            slots={},
            speech=reprompt,
            text=plain_text(reprompt),
            reprompt=reprompt,
            reprompt_text=plain_text(reprompt),
            end_session=False,
            new_session=False,
            score=None,
        )

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)


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


def console_text(ssml: str) -> str:
    """The words with long pauses shown as "…", so a countdown reads like one."""
    parts = []
    for segment in parse_segments(ssml):
        if not segment.is_pause:
            parts.append(segment.text)
        elif segment.pause_ms >= SHOWN_PAUSE_MS and parts and parts[-1] != "…":
            parts.append("…")
    return tidy_spacing(" ".join(parts))


# --- the console ------------------------------------------------------------------------------


class Console:
    """What the user sees: a transcript on stdout, or JSON lines; notices on stderr."""

    def __init__(
        self,
        *,
        json_lines: bool,
        echo_user: bool,
        verbose: bool = False,
        out: TextIO | None = None,
        err: TextIO | None = None,
    ) -> None:
        self.json_lines = json_lines
        self.echo_user = echo_user
        self.verbose = verbose
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

    def show(self, record: TurnRecord, sent: Outgoing | None = None) -> None:
        """Every turn is a JSON line; the transcript leaves out the silent endings."""
        if self.json_lines:
            print(record.to_json(), file=self.out, flush=True)
        elif record.request_type != "SessionEndedRequest":
            self._show_text(record)
        if self.verbose:
            self._explain(record, sent)

    def _show_text(self, record: TurnRecord) -> None:
        if self.echo_user and record.request_type is not None:
            print(f"{PROMPT}{record.utterance}", file=self.out)
        if record.speech:
            text = console_text(record.speech)
            lines = textwrap.wrap(
                text, self.width, initial_indent=COACH, subsequent_indent=" " * len(COACH)
            )
            print("\n".join(lines) or COACH.rstrip(), file=self.out)
        if record.end_session and record.request_type != "SessionEndedRequest":
            print(f"{' ' * len(COACH)}(session ended)", file=self.out)
        print(file=self.out)  # a blank line between exchanges reads better
        self.out.flush()

    def _explain(self, record: TurnRecord, sent: Outgoing | None) -> None:
        if sent is None:
            self.notice("  [silence: reprompt]")
            return
        what = record.request_type or "-"
        if sent.understanding is not None:
            what += " " + sent.understanding.explain()
        elif record.request_type == "SessionEndedRequest":
            what += " " + str(sent.envelope["request"].get("reason"))
        self.notice(f"  [{what}]")


# --- the conversation -------------------------------------------------------------------------


class Conversation:
    """Turns typed words into requests, and answers into text and sound."""

    def __init__(self, session: LocalSession, skill: Skill, speaker: Any, console: Console) -> None:
        self.session = session
        self.skill = skill
        self.speaker = speaker
        self.console = console
        self.reprompt: str | None = None
        self._unanswered = False  # the reprompt has been played once already
        self._speech_failed = False
        self._understood_s = 0.0

    def say(self, utterance: str) -> bool:
        """Handle one typed line; False when the user leaves."""
        text = utterance.strip()
        if words_of(text) and set(words_of(text)) <= QUIT_WORDS:
            self.leave(text)
            return False
        if not text:
            self.silence()
            return True
        self._unanswered = False
        started = time.perf_counter()
        prepared = self.session.prepare(text)
        self._understood_s = time.perf_counter() - started
        for sent in prepared:
            self._exchange(sent)
        return True

    def silence(self) -> None:
        """Nothing said: Alexa plays the reprompt once, then closes the session."""
        if not self.session.is_open:
            return
        if self.reprompt and not self._unanswered:
            self._unanswered = True
            record = TurnRecord.reprompted(self.reprompt)
            self.console.show(record)
            self._speak(self.reprompt)
            return
        ended = self.session.end(EXCEEDED_MAX_REPROMPTS)
        if ended is not None:
            self._exchange(ended)
            if not self.console.json_lines:
                self.console.notice("(no answer: the session has ended, as Alexa would end it)")

    def leave(self, utterance: str = "") -> None:
        """The user quits: an open session hears ``SessionEndedRequest(USER_INITIATED)``."""
        ended = self.session.end(USER_INITIATED, utterance)
        if ended is not None:
            self._exchange(ended)

    def _exchange(self, sent: Outgoing) -> None:
        started = time.perf_counter()
        response = self.skill.send(sent.envelope)
        answered = time.perf_counter()
        self.session.absorb(sent, response)
        record = TurnRecord.of(sent, response)
        self.reprompt = None if record.end_session else record.reprompt
        self.console.show(record, sent)
        if record.request_type == "SessionEndedRequest":
            return  # Alexa does not speak a response to it
        if record.speech:
            self._speak(record.speech)
        if self.console.verbose:
            self.console.notice(
                f"  [understanding {self._understood_s * 1000:.1f} ms, "
                f"skill {(answered - started) * 1000:.1f} ms, "
                f"speech {(time.perf_counter() - answered) * 1000:.0f} ms]"
            )

    def _speak(self, ssml: str) -> None:
        if self.speaker is None or self._speech_failed:
            return
        try:
            self.speaker.speak(ssml)
        except Exception as failure:  # the third-party engine must never end the session
            self._speech_failed = True
            self.console.notice(f"Speech failed ({failure}); continuing in text.")


# --- command line -----------------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise _UsageError(message)


class _AddTurns(argparse.Action):
    """--say and --script both add to one list, in command-line order."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        turns = list(getattr(namespace, self.dest) or [])
        turns.append((option_string, values))
        setattr(namespace, self.dest, turns)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="Talk to Step Coach on this computer: type what you would say to Alexa, "
        "hear what Alexa would say.",
        epilog="At the prompt: an empty line is silence (Alexa plays the reprompt); "
        "'quit', 'exit' or Ctrl-D leaves.",
    )
    parser.add_argument(
        "--say",
        metavar="TEXT",
        dest="turns",
        action=_AddTurns,
        help="say this, then exit (repeatable; turns run in order)",
    )
    parser.add_argument(
        "--script",
        metavar="FILE",
        dest="turns",
        action=_AddTurns,
        help="say each line of FILE (blank lines and # comments skipped)",
    )
    parser.add_argument(
        "--json", action="store_true", help="print one JSON object per turn on stdout, nothing else"
    )
    parser.add_argument("--mute", action="store_true", help="no audio")
    parser.add_argument(
        "--wav", metavar="PATH", help="also write the whole run's audio, pauses included, to PATH"
    )
    parser.add_argument(
        "--url", help="send requests to a running endpoint instead of calling the skill in-process"
    )
    parser.add_argument(
        "--locale", default="en-US", help="interaction model and voice locale (default en-US)"
    )
    parser.add_argument("--voice", help="voice id, name or locale (see --list-voices)")
    parser.add_argument("--rate", type=int, help="speaking rate in words per minute")
    parser.add_argument(
        "--list-voices", action="store_true", help="list the installed voices and exit"
    )
    parser.add_argument(
        "--skill-id",
        help="application id in the requests (default: "
        f"${settings.SKILL_ID}'s first id, else a fixed local id)",
    )
    parser.add_argument(
        "--new-user",
        action="store_true",
        help="talk as a brand-new user (by default this PC's user is remembered between runs)",
    )
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="show how each utterance was understood (on stderr)",
    )
    return parser  # fmt: skip


def _script_lines(path: str) -> list[str]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RunnerError(f"script file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as failure:
        reason = getattr(failure, "strerror", None) or type(failure).__name__
        raise RunnerError(f"cannot read script file {path}: {reason}") from None
    lines = (line.strip() for line in text.splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def _scripted_turns(turns: Sequence[tuple[str, str]]) -> list[str]:
    """All --say and --script utterances in order; scripts are read before anything runs."""
    utterances: list[str] = []
    for option, value in turns:
        utterances.extend(_script_lines(value) if option == "--script" else [value])
    return utterances


def _application_id(explicit: str | None) -> str:
    if explicit:
        return explicit
    return next(iter(settings.configured_skill_ids(os.environ)), LOCAL_APPLICATION_ID)


def _remembered_marker() -> str | None:
    """This PC's local user, kept in var/ so the skill can offer to resume and keep history.

    The marker is random (nothing about the machine or person goes into it); when var/
    is not writable every run is simply a new user.
    """
    path = DATA_DIR / LOCAL_USER_FILE
    try:
        marker = path.read_text(encoding="ascii").strip()
        if marker.isalnum():
            return marker
    except (OSError, UnicodeDecodeError):
        pass
    marker = new_marker()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(marker + "\n", encoding="ascii")
    except OSError:
        return None
    return marker


def _list_voices(out: TextIO) -> int:
    from skill.local.speaker import list_voices

    voices = list_voices()
    if not voices:
        raise RunnerError("no speech engine found: install espeak-ng for voices")
    width = max(len(voice.id) for voice in voices)
    for voice in voices:
        print(f"{voice.id:<{width}}  {voice.name}  ({', '.join(voice.languages)})", file=out)
    return 0


def _speaker(args: argparse.Namespace) -> Any:
    from skill.local.speaker import Speaker, voice_for_locale

    audio_wanted = not args.mute or args.wav
    voice = args.voice or (voice_for_locale(args.locale) if audio_wanted else None)
    return Speaker(mute=args.mute, voice=voice, rate=args.rate, wav_path=args.wav)


def _interactive(conversation: Conversation, console: Console) -> None:
    if sys.stdin.isatty():
        import readline  # noqa: F401 - line editing and history for input()
    console.notice(
        "Step Coach local runner. Type what you would say to Alexa, e.g. 'open step coach'. "
        "Empty line: silence. 'quit' or Ctrl-D: leave."
    )
    while True:
        try:
            line = console.read()
        except EOFError:
            if not console.json_lines:
                print(file=console.out)
            conversation.leave()
            return
        if not conversation.say(line):
            return


def run(args: argparse.Namespace) -> int:
    """The runner with parsed options; raises :class:`RunnerError` for user errors."""
    if args.list_voices:
        return _list_voices(sys.stdout)
    try:
        nlu = LocalNLU.for_locale(args.locale)
    except UnknownLocale as unknown:
        raise _UsageError(str(unknown)) from None
    utterances = _scripted_turns(args.turns or [])
    skill: Skill = HttpSkill(args.url) if args.url else InProcessSkill()
    marker = None if args.new_user else _remembered_marker()
    identity = local_identity(_application_id(args.skill_id), marker)
    session = LocalSession(nlu, identity=identity)
    console = Console(json_lines=args.json, echo_user=bool(args.turns), verbose=args.verbose)
    try:
        with _speaker(args) as speaker:
            conversation = Conversation(session, skill, speaker, console)
            if args.turns:
                for utterance in utterances:
                    if not conversation.say(utterance):
                        break
            else:
                _interactive(conversation, console)
    finally:
        skill.close()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python local_runner.py``; returns the exit status."""
    try:
        args = build_parser().parse_args(argv)
        return run(args)
    except _UsageError as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 2
    except RunnerError as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return 130
    except SystemExit as leaving:  # --help
        return leaving.code if isinstance(leaving.code, int) else 0
