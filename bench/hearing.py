"""Speech input on a held-out set: accuracy clean and noisy, false accepts, speed, latency.

Held out from the tests: other voices (flite's awb and kal16, and the 8 kHz kal, so
resampling is in the path) and other phrasings (sentences of the skill's corpus that
``tests/hearing_cases.toml`` does not use). An utterance counts as right when the text NLU
reads the recognized words as the same intent and slot ids as the words that were spoken.
A non-command (chatter, the coach's own espeak-ng voice, noise, coughs) is a false accept
when anything but nothing or ``AMAZON.FallbackIntent`` comes out.

    .venv/bin/python -m bench.hearing            # the table (~2-3 min on 2 cores)
    .venv/bin/python -m bench.hearing --quick    # a third of the set
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bench.runner import TURNS, PerfClock, answer
from skill.coach.step_coach import StepCoach
from skill.local.hearing import synthesis
from skill.local.hearing.language_model import corpus
from skill.local.hearing.microphone import SimulatedMicrophone
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
    audio: np.ndarray


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


def run(quick: bool = False) -> dict[str, object]:
    nlu = LocalNLU.for_locale("en-US")
    recognizer = SpeechInput.for_locale("en-US")
    phrases = held_out_phrases(1 if quick else 3)
    print(f"bench.hearing: synthesizing {len(phrases) * len(VOICES)} commands ...", file=sys.stderr)
    samples = [
        Sample(text, voice, synthesis.pad(synthesis.speak(text, voice)))
        for text in phrases
        for voice in VOICES
    ]
    noises = {
        "pink": synthesis.pink_noise(20, seed=5),
        "babble": synthesis.babble(20, seed=9),
    }
    results: dict[str, object] = {"commands": len(samples)}
    busy = audio = 0.0
    for condition in ("clean", "pink", "babble"):
        right = wrong = 0
        for sample in samples:
            sound = sample.audio
            if condition != "clean":
                sound = synthesis.mix(sound, noises[condition], SNR_DB)
            began = time.perf_counter()
            heard = recognizer.hear(_blocks(sound))
            busy += time.perf_counter() - began
            audio += len(sound) / 16000
            right += heard.understood and same_meaning(nlu, heard, sample.text)
            wrong += wrong_action(nlu, heard, sample.text)
        results[condition] = right / len(samples)
        results[f"{condition}_wrong"] = wrong / len(samples)
    results["rtf"] = busy / audio
    others = non_commands(6 if quick else 10)
    accepted = []
    for label, sound in others:
        heard = recognizer.hear(_blocks(sound))
        if heard.understood and heard.intent != FALLBACK_INTENT:
            accepted.append(f"{label}: {heard.text!r}")
    results["non_commands"] = len(others)
    results["false_accepts"] = accepted
    results["latency_s"] = latency(recognizer, nlu, samples[: 6 if quick else 12])
    results["latency_babble_s"] = latency(
        recognizer, nlu, samples[: 6 if quick else 12], noises["babble"]
    )
    results["first_sound_s"] = first_sound(recognizer, nlu, VOICES[:1] if quick else VOICES[:2])
    return results


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


def table(results: dict[str, object]) -> str:
    accepts = results["false_accepts"]
    rows = [
        ("intent accuracy, clean", f"{results['clean']:.1%}", ">= 95%"),
        (f"intent accuracy, pink noise {SNR_DB:.0f} dB SNR", f"{results['pink']:.1%}", ">= 85%"),
        (f"intent accuracy, babble {SNR_DB:.0f} dB SNR", f"{results['babble']:.1%}", ">= 80%"),
        ("wrong actions, clean", f"{results['clean_wrong']:.1%}", "<= 2%"),
        (f"wrong actions, pink noise {SNR_DB:.0f} dB SNR", f"{results['pink_wrong']:.1%}", "<= 2%"),
        (f"wrong actions, babble {SNR_DB:.0f} dB SNR", f"{results['babble_wrong']:.1%}", "<= 2%"),
        (
            "false accepts on non-commands",
            f"{len(accepts)} of {results['non_commands']}",
            "<= 1 of 20",
        ),
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
    lines = [
        f"speech input, held-out set: {results['commands']} commands ({', '.join(VOICES)} voices)",
        "",
        "| measure | result | target |",
        "| --- | --- | --- |",
    ]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    lines += [f"- false accept: {item}" for item in accepts]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.hearing", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a third of the set")
    args = parser.parse_args(argv)
    print(table(run(args.quick)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
