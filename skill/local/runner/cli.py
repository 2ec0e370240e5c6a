"""The local runner's command line: talk to Step Coach on a PC, and hear it answer.

Each typed utterance goes through the local NLU (:mod:`skill.local.understanding.nlu`)
into a genuine Alexa request (:mod:`skill.local.runner.session`), to the skill
in-process or to a running endpoint over HTTP (``--url``,
:mod:`skill.local.runner.transports`); the answer is printed
(:mod:`skill.local.runner.console`) and spoken with its pauses
(:mod:`skill.local.voice.speaker`). Options other tools rely on: ``--say``, ``--script``,
``--json``, ``--mute``, ``--wav``, ``--url``, ``--locale``, ``--voice``, ``--rate``,
``--list-voices``, ``--screen`` (the requests claim an Echo Show's screen; the console
prints it, :mod:`skill.local.runner.screen_text`), ``--person`` (a recognised voice in
the household).

Errors the user can fix (an unreachable ``--url``, a missing script, an unknown locale)
are one line on stderr, ``local_runner: error: ...``, and a non-zero exit status.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

from skill import settings
from skill.alexa.requests import new_marker
from skill.coach.language import content_languages, language_data
from skill.local.runner.console import Console
from skill.local.runner.conversation import MAX_RECORDING_SECONDS, Conversation, utterance_problem
from skill.local.runner.dialog_files import SkillIoRecorder, read_replay
from skill.local.runner.runner_words import RunnerWords
from skill.local.runner.session import (
    LOCAL_APPLICATION_ID,
    LocalSession,
    local_identity,
    local_person_id,
)
from skill.local.runner.transports import HttpSkill, InProcessSkill, RunnerError, Skill, UsageError
from skill.local.understanding.nlu import LocalNLU, UnknownLocale
from skill.settings import DATA_DIR

if TYPE_CHECKING:  # hearing and the voice load only for the options that need them
    import numpy as np

    from skill.local.hearing.microphone import Microphone
    from skill.local.understanding.speech_input import SpeechInput
    from skill.local.voice.speaker import Speaker

PROG = "local_runner"
# The endpoint a --save-skill-io file names when the skill runs in this process.
IN_PROCESS_ENDPOINT = "local:in-process"
# This PC's remembered local user (a random marker), under the project's data folder.
LOCAL_USER_FILE = "local_runner_user"


# --- command line -----------------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


class _AddTurns(argparse.Action):
    """--say, --script and --hear all add to one list, in command-line order."""

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
        "--hear",
        metavar="WAV",
        dest="turns",
        action=_AddTurns,
        help="hear this recording as what the microphone picked up for one turn (repeatable)",
    )
    parser.add_argument(
        "--listen",
        action="store_true",
        help="hands-free: listen to the microphone and take turns like an Echo",
    )
    parser.add_argument(
        "--replay",
        metavar="FILE",
        help="say the userInput of an `ask dialog --replay` FILE, with its locale and skill id",
    )
    parser.add_argument(
        "--save-skill-io",
        metavar="FILE",
        help="write each utterance's requests and responses to FILE, as `ask dialog` does",
    )
    parser.add_argument(
        "--json", action="store_true", help="print one JSON object per turn on stdout, nothing else"
    )
    parser.add_argument("--mute", action="store_true", help="no audio")
    parser.add_argument(
        "--screen",
        action="store_true",
        help="talk through an Echo Show: print what its screen shows; 'tap next' presses a button",
    )
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
        "--person",
        metavar="NAME",
        help="speak as this member of the household (a recognised voice profile): each "
        "person keeps their own progress on this PC's account",
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
    lines = [(number, line.strip()) for number, line in enumerate(text.splitlines(), start=1)]
    return [
        _checked(line, f"{path}, line {number}")
        for number, line in lines
        if line and not line.startswith("#")
    ]


def _checked(utterance: str, where: str) -> str:
    """The utterance, or RunnerError when it cannot be one turn (checked before any runs)."""
    problem = utterance_problem(utterance)
    if problem is not None:
        raise RunnerError(f"{where}: {problem}")
    return utterance


@dataclass(frozen=True)
class Recording:
    """A --hear turn: a WAV file's sound, read and resampled before anything runs."""

    path: str
    samples: np.ndarray  # 16 kHz mono int16


def _scripted_turns(turns: Sequence[tuple[str, str]]) -> list[str | Recording]:
    """All --say, --script and --hear turns in order; files are read before anything runs."""
    utterances: list[str | Recording] = []
    for option, value in turns:
        if option == "--script":
            utterances.extend(_script_lines(value))
        elif option == "--hear":
            utterances.append(_recording(value))
        else:
            utterances.append(_checked(value, option))
    return utterances


def _recording(path: str) -> Recording:
    from skill.local.hearing.audio import AudioError, read_wav

    try:
        return Recording(path, read_wav(path, max_seconds=MAX_RECORDING_SECONDS))
    except AudioError as error:
        raise RunnerError(str(error)) from None


def _hears(nlu: LocalNLU, console: Console, words: RunnerWords) -> bool:
    """Whether speech input hears this locale's language; if not, one line says so (the
    conversation carries on typed)."""
    from skill.local.hearing.recognizer import hears

    if hears(nlu.locale):
        return True
    console.notice(words.spoken_input_unavailable.format(locale=nlu.locale))
    return False


def _speech_input(nlu: LocalNLU) -> SpeechInput:
    """The runner's hearing and understanding for this locale; RunnerError when it cannot
    hear this language."""
    from skill.local.hearing.language_model import LanguageModelError
    from skill.local.understanding.speech_input import SpeechInput

    try:
        return SpeechInput.for_locale(nlu.locale)
    except LanguageModelError as error:
        raise RunnerError(str(error)) from None


def _microphone(console: Console) -> Microphone | None:
    """The default microphone, or None (with one line saying why) to carry on typing."""
    from skill.local.hearing.microphone import Microphone, NoMicrophone

    try:
        microphone = Microphone()
        microphone.__enter__()
    except NoMicrophone as missing:
        console.notice(f"{str(missing)[:1].upper()}{str(missing)[1:]}; carrying on with typing.")
        return None
    return microphone


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
    from skill.local.voice.espeak import list_voices

    voices = list_voices()
    if not voices:
        raise RunnerError("no speech engine found: install espeak-ng for voices")
    width = max(len(voice.id) for voice in voices)
    for voice in voices:
        print(f"{voice.id:<{width}}  {voice.name}  ({', '.join(voice.languages)})", file=out)
    return 0


def _speaker(args: argparse.Namespace) -> Speaker:
    from skill.local.voice.espeak import voice_for_locale
    from skill.local.voice.speaker import Speaker

    audio_wanted = not args.mute or args.wav
    voice = args.voice or (voice_for_locale(args.locale) if audio_wanted else None)
    return Speaker(mute=args.mute, voice=voice, rate=args.rate, wav_path=args.wav)


def _interactive(conversation: Conversation, console: Console) -> None:
    if sys.stdin.isatty():
        import readline  # noqa: F401 - line editing and history for input()
    session = conversation.session
    console.notice(session.words.welcome.format(invocation=session.nlu.invocation_name))
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


def _run_turns(
    conversation: Conversation,
    turns: Sequence[str | Recording],
    nlu: LocalNLU,
    console: Console,
) -> None:
    speech = None
    hearing = None
    for turn in turns:
        if isinstance(turn, Recording):
            from skill.local.runner.listening import take_turn

            if hearing is None:
                hearing = _hears(nlu, console, conversation.session.words)
            if not hearing:
                continue  # said once; the typed turns carry on
            speech = speech or _speech_input(nlu)
            heard = speech.hear_recording(turn.samples, conversation.context())
            staying = take_turn(conversation, heard)
        else:
            staying = conversation.say(turn)
        if not staying:
            return


def _converse(
    conversation: Conversation,
    args: argparse.Namespace,
    scripted: bool,
    utterances: Sequence[str | Recording],
    nlu: LocalNLU,
    console: Console,
) -> None:
    if scripted:
        _run_turns(conversation, utterances, nlu, console)
    elif (
        args.listen
        and _hears(nlu, console, conversation.session.words)
        and (microphone := _microphone(console)) is not None
    ):
        from skill.local.runner.listening import hands_free

        try:
            from skill.local.runner.listening import Listener

            hands_free(conversation, Listener(_speech_input(nlu), microphone), console)
        finally:
            microphone.close()
    else:
        _interactive(conversation, console)


def content_locales() -> tuple[str, ...]:
    """Every locale some content language serves ("en-US", ..., "nl-NL")."""
    return tuple(
        sorted(
            locale
            for language in content_languages()
            for locale in language_data(language)["locales"]
        )
    )


def _nlu(locale: str) -> LocalNLU:
    """The NLU of a locale the content has; UsageError (one line, exit 2) for any other."""
    known = {name.lower(): name for name in content_locales()}
    wanted = known.get(locale.strip().replace("_", "-").lower())
    if wanted is None:
        raise UsageError(f"unknown locale {locale!r}; the content has {', '.join(known.values())}")
    try:
        return LocalNLU.for_locale(wanted)
    except UnknownLocale:
        raise UsageError(
            f"no interaction model for {wanted}: run `python -m skill.interaction_model`"
        ) from None


def run(args: argparse.Namespace) -> int:
    """The runner with parsed options; raises :class:`RunnerError` for user errors."""
    if args.list_voices:
        return _list_voices(sys.stdout)
    replay = read_replay(args.replay) if args.replay else None
    if replay is not None:
        if args.turns:
            raise UsageError("--replay takes the place of --say and --script")
        args.locale = replay.locale
        args.skill_id = args.skill_id or replay.skill_id
    nlu = _nlu(args.locale)
    args.locale = nlu.locale
    if replay is not None:
        utterances = [
            _checked(text, f"{args.replay}, userInput {number}")
            for number, text in enumerate(replay.utterances, start=1)
        ]
    else:
        utterances = _scripted_turns(args.turns or [])
    scripted = replay is not None or bool(args.turns)
    skill: Skill = HttpSkill(args.url) if args.url else InProcessSkill()
    marker = None if args.new_user else _remembered_marker()
    identity = local_identity(_application_id(args.skill_id), marker)
    try:
        person_id = local_person_id(args.person) if args.person is not None else None
    except ValueError as bad:
        raise UsageError(f"--person: {bad}") from None
    session = LocalSession(nlu, identity=identity, screen=args.screen, person_id=person_id)
    console = Console(
        json_lines=args.json,
        echo_user=scripted,
        verbose=args.verbose,
        show_screen=args.screen,
        words=session.words,
    )
    recorder = None
    if args.save_skill_io:
        recorder = SkillIoRecorder(args.save_skill_io, endpoint=args.url or IN_PROCESS_ENDPOINT)
    try:
        with _speaker(args) as speaker:
            conversation = Conversation(session, skill, speaker, console, recorder)
            try:
                _converse(conversation, args, scripted, utterances, nlu, console)
            finally:  # the end of a script, Ctrl-C: an open session hears that it ended
                conversation.close()
    finally:
        skill.close()
        if recorder is not None:
            recorder.save()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python local_runner.py``; returns the exit status."""
    try:
        args = build_parser().parse_args(argv)
        return run(args)
    except UsageError as error:
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
