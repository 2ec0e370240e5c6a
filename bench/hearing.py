"""Speech input on a held-out set: accuracy clean and noisy, false accepts, speed, latency.

Held out from the tests: other voices (flite's awb and kal16, and the 8 kHz kal, so
resampling is in the path) and other phrasings (sentences of the skill's corpus that
``tests/hearing_cases.toml`` does not use). An utterance counts as right when the text NLU
reads the recognized words as the same intent and slot ids as the words that were spoken;
as a wrong action when it is acted on as another command (:func:`wrong_action`). A miss is
one of: *unsure* (understanding read a command but was not sure enough to act: the runner
says it didn't catch that), *wrong*, *not heard* (no speech, a guess below the coverage
bar, too long) and *not understood* (words the text NLU reads as nothing, or as the request
of a one-shot without its invocation). A non-command (chatter, the coach's own espeak-ng
voice, noise, coughs) is a false accept when anything but nothing or
``AMAZON.FallbackIntent`` comes out.

Each command is heard with no dialog context: no workout in progress, no question asked,
no paced set playing. So the dialog's rules (a stop during a paced set, a yes after a
question) never help here, and a new workout is never consequential: in the runner, an
unsure one mid-workout is asked about ("Did you want to switch to clamshells?"), which would
count as unsure here, neither right nor a wrong action, as it does nothing until answered.

    .venv/bin/python -m bench.hearing            # the table (~20 min on 2 cores)
    .venv/bin/python -m bench.hearing --quick    # a third of the set (~6 min)
    ... --voices awb kal --conditions pink       # a part of the set
    ... --misses                                 # every miss: each version's reading, why
    ... --record hyps.json                       # keep the hypotheses heard, then
    ... --replay hyps.json                       # decide them again in seconds, no decoding
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
import tomllib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from bench.runner import TURNS, PerfClock, answer
from skill.coach.step_coach import StepCoach
from skill.local.hearing import synthesis
from skill.local.hearing.hypotheses import Hypotheses, Reading
from skill.local.hearing.language_model import corpus
from skill.local.hearing.microphone import SimulatedMicrophone
from skill.local.hearing.recognizer import Recognizer
from skill.local.runner.session import LocalSession
from skill.local.understanding.choosing import Heard
from skill.local.understanding.nlu import FALLBACK_INTENT, LocalNLU
from skill.local.understanding.speech_input import SpeechInput
from skill.local.voice.speaker import Speaker

# The held-out voices: flite's awb, kal16 and 8 kHz kal, and piper's neural joe.
VOICES = ("awb", "kal16", "kal", synthesis.PIPER_VOICE)
TEST_CASES = Path(__file__).resolve().parent.parent / "tests" / "hearing_cases.toml"
SNR_DB = 12.0
# Lines in the coach's own voice (espeak-ng), as a room microphone would pick them up.
COACH_LINES = (
    "Welcome back. I'll coach you through your workout step by step, hands-free.",
    "Step two of five. Lie on your side with your knees bent and your feet together.",
    "Say yes to continue glute bridges from step three, or no to start fresh.",
    "Great work. Rest for ten seconds. Next up, clamshells.",
    "Glutes keep your pelvis level when you run, so your knees track straight.",
    "Hold it. Five, four, three, two, one. Relax.",
    "Paused. Say resume when you are ready.",
    "Here are the workouts I know: glute bridges, clamshells and Russian push-ups.",
)


@dataclass(frozen=True)
class Sample:
    text: str
    voice: str
    audio: np.ndarray | None  # None when the bench replays recorded hypotheses


def same_meaning(nlu: LocalNLU, heard: Heard, said: str) -> bool:
    """Whether what was understood is the intent and slots said."""
    return heard.understanding is not None and (
        heard.understanding.meaning() == nlu.understand(said).meaning()
    )


def wrong_action(nlu: LocalNLU, heard: Heard, said: str) -> bool:
    """A command heard as a different command: the coach would do something else.

    A launch or a one-shot ("ask step coach to go on") means what the runner sends for it:
    the launch, or the meaning of its request.
    """
    if not heard.understood or heard.understanding is None:
        return False
    done = _action(nlu, heard.text)
    return done[0] != FALLBACK_INTENT and done != _action(nlu, said)


def _action(nlu: LocalNLU, text: str) -> tuple:
    invocation = nlu.parse_invocation(text)
    if invocation is None:
        return nlu.understand(text).meaning()
    if invocation.kind == "launch":
        return ("LaunchRequest", ())
    return nlu.understand(invocation.utterance or "").meaning()


def held_out_phrases(per_intent: int, seed: int = 7) -> list[str]:
    """Corpus sentences the tests do not use, a few per intent."""
    with TEST_CASES.open("rb") as handle:
        used = {case["say"] for case in tomllib.load(handle)["case"]}
    by_intent: dict[str, list[str]] = {}
    for sentence in corpus("en-US"):
        text = " ".join(sentence.words)
        if text not in used:
            by_intent.setdefault(sentence.intent, []).append(text)
    rng = random.Random(seed)
    phrases = []
    for intent in sorted(by_intent):
        options = sorted(set(by_intent[intent]))
        phrases += rng.sample(options, min(per_intent, len(options)))
    return phrases


def non_commands(count_chatter: int) -> list[tuple[str, np.ndarray]]:
    rng = np.random.default_rng(11)
    items = []
    for i, text in enumerate(synthesis.CHATTER[:count_chatter]):
        voice = VOICES[i % 2]
        items.append((f"chatter ({voice})", synthesis.pad(synthesis.flite(text, voice))))
    for line in COACH_LINES:
        items.append(("coach's voice", synthesis.pad(synthesis.espeak(line))))
    for seed in range(2):
        items.append(("pink noise", (synthesis.pink_noise(3, seed) * 3000).astype(np.int16)))
    crowd = synthesis.babble(8, seed=21)
    for part in range(2):
        piece = crowd[part * 4 * 16000 : (part + 1) * 4 * 16000]
        items.append(("babble", (piece * 3000).astype(np.int16)))
    for _ in range(2):
        n = int(0.3 * 16000)
        burst = rng.standard_normal(n) * np.exp(-np.linspace(0, 8, n)) * 9000
        cough = np.concatenate([burst, np.zeros(3000), burst * 0.6]).astype(np.int16)
        items.append(("cough", synthesis.pad(cough)))
    return items


CONDITIONS = ("clean", "pink", "babble")


@dataclass(frozen=True)
class Outcome:
    """One command heard in one condition, and what became of it."""

    condition: str
    voice: str
    said: str
    heard: Heard
    utterances: tuple[Hypotheses, ...]  # what hearing handed over, utterance by utterance
    verdict: str  # right, wrong, unsure, not heard, not understood


class _Recorder:
    """Hearing as the bench listens to it: the recognizer, keeping what it hands over,
    or (``replay``) what it handed over on an earlier run, without decoding again."""

    def __init__(self, recognizer: Recognizer | None, replay: Sequence[Hypotheses] = ()) -> None:
        self.recognizer = recognizer
        self.replay = tuple(replay)
        self.kept: list[Hypotheses] = []
        self.in_speech = False

    def utterances(self, blocks: Iterable[np.ndarray]) -> Iterator[Hypotheses]:
        source = self.replay if self.recognizer is None else self.recognizer.utterances(blocks)
        for hypotheses in source:
            self.kept.append(hypotheses)
            yield hypotheses


def hear(
    speech: SpeechInput, sound: np.ndarray | None, replay: Sequence[Hypotheses] | None = None
) -> tuple[Heard, tuple[Hypotheses, ...]]:
    """One recording heard as the runner hears a turn, and the hypotheses behind it; with
    ``replay``, those hypotheses decided again (no audio, no decoding)."""
    recorder = _Recorder(None if replay is not None else speech.recognizer, replay or ())
    heard = SpeechInput(recorder, speech.understander).hear(
        _blocks(sound) if sound is not None else []
    )
    return heard, tuple(recorder.kept)


def verdict(nlu: LocalNLU, heard: Heard, said: str) -> str:
    if heard.understood:
        if same_meaning(nlu, heard, said):
            return "right"
        return "wrong" if wrong_action(nlu, heard, said) else "not understood"
    if not heard.sure:
        return "unsure"
    return "not heard"


def run(
    quick: bool = False,
    *,
    voices: Sequence[str] = VOICES,
    conditions: Sequence[str] = CONDITIONS,
    record: Path | None = None,
    replay: Path | None = None,
) -> dict[str, object]:
    """The table's figures; ``outcomes`` holds every command's, for the per-voice table and
    the misses. ``record`` keeps every recording's hypotheses in a JSON file, ``replay``
    decides them again from one (the accuracy rows only: nothing is decoded)."""
    nlu = LocalNLU.for_locale("en-US")
    speech = SpeechInput.for_locale("en-US")
    phrases = held_out_phrases(1 if quick else 3)
    recorded = _load(replay) if replay is not None else None
    if recorded is None:
        print(
            f"bench.hearing: synthesizing {len(phrases) * len(voices)} commands ...",
            file=sys.stderr,
        )
        samples = [
            Sample(text, voice, synthesis.pad(synthesis.speak(text, voice)))
            for text in phrases
            for voice in voices
        ]
    else:  # the recorded commands of these voices
        keys = (key.split("|", 2) for key in recorded if not key.startswith("other|"))
        samples = [
            Sample(text, voice, None)
            for voice, text in dict.fromkeys((v, t) for _, v, t in keys if v in voices)
        ]
    noises = {"pink": synthesis.pink_noise(20, seed=5), "babble": synthesis.babble(20, seed=9)}
    results: dict[str, object] = {"commands": len(samples), "voices": tuple(voices)}
    outcomes: list[Outcome] = []
    keep: dict[str, list] = {}
    busy = audio = 0.0
    for condition in conditions:
        for sample in samples:
            key = f"{condition}|{sample.voice}|{sample.text}"
            sound = sample.audio
            if sound is not None and condition != "clean":
                sound = synthesis.mix(sound, noises[condition], SNR_DB)
            began = time.perf_counter()
            heard, utterances = hear(speech, sound, recorded[key] if recorded else None)
            busy += time.perf_counter() - began
            audio += len(sound) / 16000 if sound is not None else 0.0
            keep[key] = [asdict(hypotheses) for hypotheses in utterances]
            outcomes.append(
                Outcome(
                    condition,
                    sample.voice,
                    sample.text,
                    heard,
                    utterances,
                    verdict(nlu, heard, sample.text),
                )
            )
        mine = [outcome for outcome in outcomes if outcome.condition == condition]
        results[condition] = sum(o.verdict == "right" for o in mine) / len(mine)
        results[f"{condition}_wrong"] = sum(o.verdict == "wrong" for o in mine) / len(mine)
    results["outcomes"] = outcomes
    if recorded is None:
        others = list(enumerate(non_commands(6 if quick else 10)))
    else:
        others = [
            (int(key.split("|")[1]), (key.split("|", 2)[2], None))
            for key in recorded
            if key.startswith("other|")
        ]
    accepted = []
    for i, (label, sound) in others:
        key = f"other|{i}|{label}"
        heard, utterances = hear(speech, sound, recorded[key] if recorded else None)
        keep[key] = [asdict(hypotheses) for hypotheses in utterances]
        if heard.understood and heard.intent != FALLBACK_INTENT:
            accepted.append(f"{label}: {heard.text!r}")
    results["non_commands"] = len(others)
    results["false_accepts"] = accepted
    if record is not None:
        record.write_text(json.dumps(keep))
    if recorded is not None:
        return results
    results["rtf"] = busy / audio
    timed = samples[: 6 if quick else 12]
    results["latency_s"] = latency(speech, nlu, timed)
    results["latency_babble_s"] = latency(speech, nlu, timed, noises["babble"])
    results["first_sound_s"] = first_sound(speech, nlu, voices[:1] if quick else voices[:2])
    return results


def _load(path: Path) -> dict[str, list[Hypotheses]]:
    """A ``--record`` file's hypotheses, by condition, voice and text."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise SystemExit(
            f"bench.hearing: cannot read recorded hypotheses {path}: {error}"
        ) from None
    return {
        key: [
            Hypotheses(
                tuple(
                    Reading(r["text"], r["coverage"], tuple(r["nbest"]), r["strict"])
                    for r in utterance["readings"]
                ),
                utterance["start"],
                utterance["end"],
                utterance["seconds"],
                utterance["capped"],
            )
            for utterance in utterances
        ]
        for key, utterances in data.items()
    }


def _blocks(sound: np.ndarray) -> list[np.ndarray]:
    return [sound[i : i + 1600] for i in range(0, len(sound), 1600)]


def latency(
    recognizer: SpeechInput,
    nlu: LocalNLU,
    samples: Sequence[Sample],
    noise: np.ndarray | None = None,
) -> float:
    """Median seconds from the end of speech to the intent, microphone fed in real time,
    in a quiet room or with ``noise`` at SNR_DB (a noisy room decodes more versions)."""
    delays = []
    for sample in samples:
        speech_end = _speech_end(sample.audio)
        sound = sample.audio if noise is None else synthesis.mix(sample.audio, noise, SNR_DB)
        microphone = SimulatedMicrophone(sound, realtime=True)
        started = time.monotonic()
        heard = recognizer.hear(microphone.blocks())
        if heard.understood:
            delays.append(time.monotonic() - started - speech_end)
    return statistics.median(delays) if delays else float("nan")


def _speech_end(audio: np.ndarray) -> float:
    voiced = np.flatnonzero(np.abs(audio) > 300)
    return (voiced[-1] + 1) / 16000 if len(voiced) else 0.0


def first_sound(recognizer: SpeechInput, nlu: LocalNLU, voices: Sequence[str]) -> float:
    """Median seconds from the end of speech to the coach's first sound, over sessions
    spoken in real time (the local runner's turns: open, start, next, a question, stop).

    Each turn is heard, read, answered by the skill and streamed by a muted speaker; the
    first sound is the moment the player would start (the first segment rendered).
    """
    coach = StepCoach()
    delays = []
    with Speaker(mute=True) as speaker:
        if speaker.stream("<speak>Ready.</speak>") is None:
            return float("nan")  # no speech engine: the coach never makes a sound
        for voice in voices:
            session = LocalSession(nlu)
            for text in TURNS:
                audio = synthesis.pad(synthesis.speak(text, voice))
                began = time.perf_counter()
                heard = recognizer.hear(SimulatedMicrophone(audio, realtime=True).blocks())
                if not heard.understood:
                    continue
                prepared = session.prepare(heard.text, heard.understanding)
                ssml = answer(coach, session, prepared)
                playback = speaker.stream(ssml, PerfClock()) if ssml else None
                if playback is not None:
                    delays.append(playback.started - began - _speech_end(audio))
    return statistics.median(delays) if delays else float("nan")


TARGETS = {"clean": ">= 95%", "pink": ">= 85%", "babble": ">= 80%"}
ROOMS = {
    "clean": "clean",
    "pink": f"pink noise {SNR_DB:.0f} dB SNR",
    "babble": f"babble {SNR_DB:.0f} dB SNR",
}


def table(results: dict[str, object]) -> str:
    """The bench's table: the rows measured (a replay has no speed or latency rows)."""
    accepts = results["false_accepts"]
    conditions = [condition for condition in CONDITIONS if condition in results]
    rows = [(f"intent accuracy, {ROOMS[c]}", f"{results[c]:.1%}", TARGETS[c]) for c in conditions]
    rows += [
        (f"wrong actions, {ROOMS[c]}", f"{results[c + '_wrong']:.1%}", "<= 2%") for c in conditions
    ]
    rows.append(
        (
            "false accepts on non-commands",
            f"{len(accepts)} of {results['non_commands']}",
            "<= 1 of 20",
        )
    )
    if "rtf" in results:
        rows += [
            ("real-time factor (2 cores)", f"{results['rtf']:.3f}", ""),
            ("end of speech -> intent (median)", f"{results['latency_s']:.2f} s", ""),
            (
                f"end of speech -> intent, babble {SNR_DB:.0f} dB SNR (median)",
                f"{results['latency_babble_s']:.2f} s",
                "",
            ),
            (
                "end of speech -> coach's first sound (median)",
                f"{results['first_sound_s']:.2f} s",
                "<= 0.6 s",
            ),
        ]
    voices = results.get("voices", VOICES)
    lines = [
        f"speech input, held-out set: {results['commands']} commands ({', '.join(voices)} voices)",
        "",
        "| measure | result | target |",
        "| --- | --- | --- |",
    ]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    lines += [f"- false accept: {item}" for item in accepts]
    return "\n".join(lines)


def per_voice(results: dict[str, object]) -> str:
    """Accuracy and wrong actions per voice and condition: where the misses come from."""
    outcomes: list[Outcome] = results["outcomes"]
    conditions = [condition for condition in CONDITIONS if condition in results]
    lines = [
        "| voice | " + " | ".join(f"{c} right | {c} wrong" for c in conditions) + " |",
        "| --- |" + " --- |" * (2 * len(conditions)),
    ]
    for voice in results.get("voices", VOICES):
        cells = []
        for condition in conditions:
            mine = [o for o in outcomes if o.voice == voice and o.condition == condition]
            right = sum(o.verdict == "right" for o in mine)
            wrong = sum(o.verdict == "wrong" for o in mine)
            cells += [f"{right} of {len(mine)}", f"{wrong}"]
        lines.append(f"| {voice} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def misses(results: dict[str, object]) -> str:
    """Every command not heard right: what was said, what each version read (coverage and
    best reading, the least trusted first), what was decided and why."""
    lines = []
    for o in results["outcomes"]:
        if o.verdict == "right":
            continue
        decided = o.heard.understanding.explain() if o.heard.understanding else "-"
        lines.append(
            f"{o.condition} {o.voice} {o.verdict}: said {o.said!r}, took {o.heard.hypothesis!r}"
            f" -> {decided}"
        )
        for n, hypotheses in enumerate(o.utterances):
            for reading in hypotheses.readings:
                mark = " strict" if reading.strict else ""
                lines.append(
                    f"    utterance {n} ({hypotheses.seconds:.1f} s){mark}: "
                    f"{reading.coverage:.2f} {reading.text!r}"
                )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.hearing",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="a third of the set")
    parser.add_argument(
        "--voices", nargs="+", choices=VOICES, default=VOICES, help="only these voices"
    )
    parser.add_argument(
        "--conditions", nargs="+", choices=CONDITIONS, default=CONDITIONS, help="only these rooms"
    )
    parser.add_argument("--misses", action="store_true", help="print every miss and why")
    parser.add_argument("--record", type=Path, metavar="JSON", help="keep the hypotheses heard")
    parser.add_argument(
        "--replay", type=Path, metavar="JSON", help="decide a --record file's hypotheses again"
    )
    args = parser.parse_args(argv)
    results = run(
        args.quick,
        voices=args.voices,
        conditions=args.conditions,
        record=args.record,
        replay=args.replay,
    )
    print(table(results))
    print()
    print(per_voice(results))
    if args.misses:
        print()
        print(misses(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
