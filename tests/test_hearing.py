"""Speech input: synthesized people (flite voices) in quiet and noisy rooms, and what must not
be heard (silence, noise, the coach's own espeak-ng voice), read back through the text NLU.

Audio is synthesized once per session; the recognizer is built once per session.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import numpy as np
import pytest
import soxr

from skill.local.hearing import (
    AudioError,
    SimulatedMicrophone,
    bandwidth,
    read_wav,
    synthesis,
    write_wav,
)
from skill.local.hearing.denoise import denoise
from skill.local.hearing.endpoint import Endpointer, removed_db, room_dbfs
from skill.local.hearing.recognizer import (
    MAX_UTTERANCE_SECONDS,
    PREROLL_SECONDS,
    QUIET_ROOM_DBFS,
    TALKERS_FILLER_PROBABILITY,
    TALKERS_PREROLL_SECONDS,
    TALKERS_REMOVED_DB,
)
from skill.local.understanding.nlu import FALLBACK_INTENT, LocalNLU
from skill.local.understanding.speech_input import SpeechInput
from skill.settings import INTERACTION_MODELS_DIR

CASES = tomllib.loads((Path(__file__).with_name("hearing_cases.toml")).read_text())["case"]


@pytest.fixture(scope="session")
def recognizer(tmp_path_factory) -> SpeechInput:
    """Hearing and understanding, the one path every recording takes."""
    return SpeechInput.for_locale("en-US", cache_dir=tmp_path_factory.mktemp("hearing-cache"))


@pytest.fixture(scope="session")
def nlu() -> LocalNLU:
    return LocalNLU.for_locale("en-US")


@pytest.fixture(scope="session")
def spoken() -> dict[str, np.ndarray]:
    """Every case's words in its voice, with the silence a person leaves around them."""
    return {
        case["say"]: synthesis.pad(synthesis.flite(case["say"], case["voice"])) for case in CASES
    }


@pytest.fixture(scope="session")
def noises() -> dict[str, np.ndarray]:
    return {"pink": synthesis.pink_noise(12, seed=1), "babble": synthesis.babble(12, seed=2)}


def hear(recognizer: SpeechInput, samples: np.ndarray):
    return recognizer.hear(SimulatedMicrophone(samples).blocks())


def assert_understood(nlu: LocalNLU, case: dict, text: str) -> None:
    if case["intent"] == "launch":
        invocation = nlu.parse_invocation(text)
        assert invocation is not None and invocation.kind == "launch", text
        return
    understanding = nlu.understand(text)
    assert understanding.intent == case["intent"], (case["say"], text)
    slots = {name: slot.id for name, slot in understanding.slots.items()}
    assert slots == case.get("slots", {}), (case["say"], text)


def test_the_cases_cover_every_intent_exercise_topic_and_pace():
    model = json.loads((INTERACTION_MODELS_DIR / "en-US.json").read_text())
    language = model["interactionModel"]["languageModel"]
    intents = {intent["name"] for intent in language["intents"]} - {FALLBACK_INTENT}
    assert intents <= {case["intent"] for case in CASES}
    values = {value for case in CASES for value in case.get("slots", {}).values()}
    for slot_type in language["types"]:
        assert {value["id"] for value in slot_type["values"]} <= values, slot_type["name"]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case["say"])
def test_a_clean_command_is_heard(recognizer, nlu, spoken, case):
    heard = hear(recognizer, spoken[case["say"]])
    assert heard.understood and heard.confidence >= recognizer.threshold
    assert_understood(nlu, case, heard.text)


def test_a_neural_voice_is_heard_and_rarely_taken_for_another_command(recognizer, nlu):
    """piper's "joe" (a neural voice, the closest stand-in for a person here) says every
    case in a quiet room: measured 33 of 36 ("how am i doing" as "all my doing", "no
    thanks" as "no planks", "sounds off" as "sounds all")."""
    right = wrong = 0
    for case in CASES:
        heard = hear(recognizer, synthesis.pad(synthesis.piper(case["say"])))
        try:
            assert_understood(nlu, case, heard.text)
            right += 1
        except AssertionError:
            wrong += heard.understood and heard.intent != FALLBACK_INTENT
    assert right / len(CASES) >= 0.85
    assert wrong <= 3


@pytest.mark.parametrize(
    ("noise", "snr", "floor"),
    [("pink", 12, 0.6), ("babble", 15, 0.45)],
)
def test_commands_in_noise_stay_above_the_measured_floor(
    recognizer, nlu, spoken, noises, noise, snr, floor
):
    """A regression floor, a little under what was measured (pink 12 dB: 26 of 34, and
    24 of 36 once the sound settings and "... instead" requests joined the model;
    babble 15 dB: 18 of 34, 25 of 36 with the third version and the corpus-sentence
    rules, 22 of 36 with a room of talkers' shorter pre-roll, which at 12 dB took these
    cases from 16 to 20, 25 of 36 with its strict language model, 20 at 12 dB; on this
    machine's wheels pink 23 and babble 22, 22 and 21 once a consequential command
    that another version heard as a different command is no longer acted on, 20 and 17
    once words outside the corpus that the NLU reads weakly are a guess, not a command;
    of the 51 cases since, pink 31 and babble 23, 33 and 24 once a version that explained
    less of the speech no longer counts against a consequential command);
    the targets are bench/hearing.py's. A miss that is a
    *different* command is worse than hearing nothing, so those are bounded too."""
    right = wrong = 0
    for case in CASES:
        heard = hear(recognizer, synthesis.mix(spoken[case["say"]], noises[noise], snr))
        try:
            assert_understood(nlu, case, heard.text)
            right += 1
        except AssertionError:
            wrong += heard.understood and nlu.understand(heard.text).intent != FALLBACK_INTENT
    assert right / len(CASES) >= floor
    assert wrong / len(CASES) <= 0.3


def test_silence_is_nothing(recognizer):
    heard = hear(recognizer, synthesis.silence(3))
    assert not heard.understood and heard.text == "" and heard.confidence == 0.0


@pytest.mark.parametrize("seed", [3, 4])
def test_noise_alone_is_nothing(recognizer, seed):
    heard = hear(recognizer, (synthesis.pink_noise(3, seed) * 3000).astype(np.int16))
    assert heard.text == ""


def test_a_cough_is_nothing(recognizer):
    rng = np.random.default_rng(5)
    n = 4800
    burst = rng.standard_normal(n) * np.exp(-np.linspace(0, 8, n)) * 9000
    cough = np.concatenate([burst, np.zeros(3000), burst * 0.6]).astype(np.int16)
    assert hear(recognizer, synthesis.pad(cough)).text == ""


@pytest.mark.parametrize(
    "line",
    [
        "Welcome to Step Coach. I'll coach you through your workout step by step, hands-free. "
        "Shall we start the knee routine?",
        "Step three of five. Lie on your back, knees bent, feet flat on the floor, and squeeze "
        "your glutes as you lift your hips.",
        "Keep your elbows close to your body and lower yourself slowly towards the floor.",
        # A command word, a sentence break, then more: one utterance, not "next" or "stop"
        # followed by a remark (both were heard as commands with a 0.3 s end window).
        "Next. Lie on your side, knees bent, and lift your top knee.",
        "Stop there. Take your time, then say resume.",
    ],
)
def test_the_coach_does_not_hear_its_own_voice(recognizer, nlu, line):
    heard = hear(recognizer, synthesis.pad(synthesis.espeak(line)))
    assert not heard.understood or nlu.understand(heard.text).intent == FALLBACK_INTENT


def test_babble_alone_is_not_a_command(recognizer, nlu, noises):
    heard = hear(recognizer, (noises["babble"][: 16000 * 5] * 3000).astype(np.int16))
    assert not heard.understood or nlu.understand(heard.text).intent == FALLBACK_INTENT


def test_clipped_audio_is_still_heard(recognizer, nlu, spoken):
    case = next(case for case in CASES if case["say"] == "start russian push ups")
    heard = hear(recognizer, synthesis.clip(spoken[case["say"]], gain=6.0))
    assert_understood(nlu, case, heard.text)


def test_a_command_late_in_a_30_second_recording(recognizer, nlu, spoken, noises):
    case = next(case for case in CASES if case["say"] == "pause")
    quiet_room = synthesis.mix(synthesis.silence(30), noises["pink"], 0) // 40
    recording = quiet_room.copy()
    at = 22 * 16000
    command = spoken[case["say"]]
    recording[at : at + len(command)] += command
    heard = hear(recognizer, recording)
    assert_understood(nlu, case, heard.text)
    assert 21.5 < heard.start < heard.end < 25


def test_endless_talk_is_cut_into_capped_utterances(recognizer, noises):
    talk = (np.resize(noises["babble"], 16000 * 20) * 4000).astype(np.int16)
    heard = list(recognizer.utterances(SimulatedMicrophone(talk).blocks()))
    assert heard, "babble is speech to the endpointer"
    assert all(h.end - h.start <= MAX_UTTERANCE_SECONDS + 0.5 for h in heard)
    assert not any(h.understood for h in heard if h.capped)


# --- files: what --hear reads ------------------------------------------------------------


def _wav(path: Path, frames: bytes, *, rate=16000, channels=1, width=2) -> Path:
    import wave

    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(width)
        wav.setframerate(rate)
        wav.writeframes(frames)
    return path


@pytest.mark.parametrize(("rate", "channels"), [(8000, 1), (22050, 2), (44100, 1), (48000, 2)])
def test_common_wav_formats_are_resampled_to_16k_mono(tmp_path, rate, channels):
    t = np.arange(rate) / rate
    tone = (8000 * np.sin(2 * np.pi * 440 * t)).astype(np.int16)
    frames = np.repeat(tone, channels).tobytes()
    samples = read_wav(_wav(tmp_path / "tone.wav", frames, rate=rate, channels=channels))
    assert samples.dtype == np.int16 and abs(len(samples) - 16000) <= 16
    spectrum = np.abs(np.fft.rfft(samples[: 16000 // 2 * 2]))
    assert abs(np.argmax(spectrum) * 16000 / len(samples[: 16000 // 2 * 2]) - 440) < 5


def test_a_file_is_heard_like_the_microphone(recognizer, nlu, spoken, tmp_path):
    case = next(case for case in CASES if case["say"] == "next")
    path = tmp_path / "next.wav"
    write_wav(path, spoken[case["say"]])
    assert recognizer.hear_file(path) == hear(recognizer, spoken[case["say"]])
    assert_understood(nlu, case, recognizer.hear_file(path).text)


def _bad_files(folder: Path) -> dict[str, tuple[Path, str]]:
    tone = np.zeros(1600, dtype=np.int16).tobytes()
    truncated = _wav(folder / "cut.wav", tone)
    truncated.write_bytes(truncated.read_bytes()[:-1000])
    float_wav = folder / "float.wav"
    data = np.zeros(160, dtype="<f4").tobytes()
    header = b"RIFF" + (36 + len(data)).to_bytes(4, "little") + b"WAVEfmt "
    header += (16).to_bytes(4, "little") + (3).to_bytes(2, "little") + (1).to_bytes(2, "little")
    header += (16000).to_bytes(4, "little") + (64000).to_bytes(4, "little")
    header += (4).to_bytes(2, "little") + (32).to_bytes(2, "little")
    float_wav.write_bytes(header + b"data" + len(data).to_bytes(4, "little") + data)
    text = folder / "notes.wav"
    text.write_text("not audio at all")
    return {
        "8-bit": (_wav(folder / "u8.wav", bytes(800), width=1), "8-bit"),
        "24-bit": (_wav(folder / "s24.wav", bytes(2400), width=3), "24-bit"),
        "float": (float_wav, "floating-point"),
        "truncated": (truncated, "truncated"),
        "empty": (_wav(folder / "empty.wav", b""), "no audio"),
        "not a wav": (text, "not a readable WAV"),
        "too slow": (_wav(folder / "slow.wav", tone, rate=4000), "4000 Hz"),
        "missing": (folder / "absent.wav", "no such file"),
    }


@pytest.mark.parametrize(
    "kind", ["8-bit", "24-bit", "float", "truncated", "empty", "not a wav", "too slow", "missing"]
)
def test_an_unsupported_file_is_a_one_line_error(tmp_path, kind):
    path, words = _bad_files(tmp_path)[kind]
    with pytest.raises(AudioError) as error:
        read_wav(path)
    message = str(error.value)
    assert words in message and "\n" not in message and path.name in message


def test_a_quiet_room_decodes_one_version_a_noisy_room_three_and_talkers_four(
    recognizer, nlu, spoken, noises
):
    """Noise suppression has nothing to remove in a quiet room: one decode, a quicker
    answer. A noisy room decodes the raw version widened, the raw one and the suppressed one;
    a room of talkers the raw one again, by the decoder with the strict language model and
    more room for fillers."""
    decoders = []
    hearing = recognizer.recognizer
    words = hearing._words

    def counting(audio, decoder, strict):
        decoders.append(decoder)
        return words(audio, decoder, strict)

    hearing._words = counting
    heard = {}
    try:
        for room, sound in (
            ("quiet", spoken["next"]),
            ("pink", synthesis.mix(spoken["next"], noises["pink"], 20)),
            ("babble", synthesis.mix(spoken["next"], noises["babble"], 20)),
        ):
            decoders.clear()
            text = hear(recognizer, sound).text
            heard[room] = (nlu.understand(text).intent, list(decoders))
    finally:
        del hearing._words
    plain, talkers = hearing._decoder, hearing._talkers_decoder
    assert heard["quiet"] == ("AMAZON.NextIntent", [plain])
    assert heard["pink"] == ("AMAZON.NextIntent", [plain] * 3)
    assert heard["babble"] == ("AMAZON.NextIntent", [talkers] + [plain] * 3)
    assert plain.config["lm"] == str(hearing.model.lm_path)
    assert talkers.config["lm"] == str(hearing.model.strict_lm_path)
    assert talkers.config["fillprob"] == TALKERS_FILLER_PROBABILITY > plain.config["fillprob"]


def test_noise_suppression_removes_steady_noise_and_not_talkers(spoken, noises):
    """RNNoise takes pink noise almost whole and leaves talkers, which are speech: how much
    it removed tells a room of talkers (a TV, people) from a steady one."""
    command = spoken["start russian push ups"]
    pink = synthesis.mix(command, noises["pink"], 12)
    babble = synthesis.mix(command, noises["babble"], 12)
    assert removed_db(pink, denoise(pink)) > TALKERS_REMOVED_DB + 10
    assert removed_db(babble, denoise(babble)) < TALKERS_REMOVED_DB - 10
    assert removed_db(synthesis.silence(2), synthesis.silence(2)) is None  # nothing to judge
    assert removed_db(pink[:1000], denoise(pink[:1000])) is None


def test_in_a_room_of_talkers_the_pre_roll_is_shorter(recognizer, spoken, noises):
    """Before a command, a room of talkers holds their words, not the command's first
    consonant: the cut starts closer to the speech there than in steady noise."""
    cuts = []
    hearing = recognizer.recognizer
    decode = hearing._hypotheses

    def recording(versions, start, end, capped, talkers):
        cuts.append(len(versions[-1]) / 16000 - (end - start))
        return decode(versions, start, end, capped, talkers)

    hearing._hypotheses = recording
    try:
        command = spoken["start russian push ups"]
        hear(recognizer, synthesis.mix(command, noises["pink"], 12))
        steady, cuts[:] = cuts[0], []
        hear(recognizer, synthesis.mix(command, noises["babble"], 12))
        talkers = cuts[0]
    finally:
        del hearing._hypotheses
    assert steady == pytest.approx(PREROLL_SECONDS, abs=0.03)
    assert talkers == pytest.approx(TALKERS_PREROLL_SECONDS, abs=0.03)


def _telephone(samples: np.ndarray, folder: Path) -> np.ndarray:
    """16 kHz samples as an 8 kHz WAV would bring them: band-limited, then read back up."""
    narrow = soxr.resample(samples.astype(np.float32), 16000, 8000)
    path = folder / "telephone.wav"
    write_wav(path, np.clip(np.rint(narrow), -32768, 32767).astype(np.int16), rate=8000)
    return read_wav(path)


def test_telephone_band_audio_is_told_from_wideband(spoken, noises, tmp_path):
    wide = spoken["start russian push ups"]
    assert bandwidth.is_narrowband(_telephone(wide, tmp_path))
    assert not bandwidth.is_narrowband(wide)
    assert not bandwidth.is_narrowband(spoken["go to the main menu"])  # the least above 4 kHz
    assert not bandwidth.is_narrowband(
        synthesis.mix(_telephone(wide, tmp_path), noises["pink"], 20)
    )
    assert not bandwidth.is_narrowband(synthesis.silence(1))


def test_widening_fills_the_high_band_and_keeps_the_rest(spoken, tmp_path):
    narrow = _telephone(spoken["start russian push ups"], tmp_path)
    wide = bandwidth.widen(narrow)
    assert len(wide) == len(narrow) and not bandwidth.is_narrowband(wide)
    freqs = np.fft.rfftfreq(len(narrow), 1 / 16000)
    low = freqs < 3_800
    before, after = np.fft.rfft(narrow.astype(float)), np.fft.rfft(wide.astype(float))
    assert np.abs(after[low] - before[low]).sum() < 0.01 * np.abs(before[low]).sum()
    assert np.array_equal(bandwidth.widen(narrow), wide)  # the same audio, the same reading


def test_telephone_band_commands_stay_above_the_measured_floor(recognizer, nlu, spoken, tmp_path):
    """The tests' commands through an 8 kHz WAV: 31 of 36 heard as decoded at 16 kHz
    unchanged, 33 widened and decoded in both versions (bench.hearing's 8 kHz voice: 51 of
    63 before, 59 after)."""
    right = 0
    for case in CASES:
        try:
            assert_understood(
                nlu, case, hear(recognizer, _telephone(spoken[case["say"]], tmp_path)).text
            )
            right += 1
        except AssertionError:
            pass
    assert right / len(CASES) >= 0.88


def test_the_room_level_is_its_quiet_moments():
    speech = synthesis.pad(synthesis.flite("start russian push ups"))
    assert room_dbfs(speech) < QUIET_ROOM_DBFS  # digital silence around the words
    hum = (synthesis.pink_noise(3, seed=8) * 300).astype(np.int16)  # about -41 dBFS
    assert room_dbfs(hum) == pytest.approx(-41, abs=3)
    assert room_dbfs(synthesis.mix(speech, hum, 20)) > QUIET_ROOM_DBFS


def _cut(sound: np.ndarray) -> tuple[float, float]:
    """The first utterance's start as the endpointer decided it, and as it is confirmed at
    its end, in seconds."""
    endpointer = Endpointer()
    frame = endpointer.frame
    start = None
    for i in range(0, len(sound) - frame + 1, frame):
        boundary = endpointer.process(sound[i : i + frame])
        if boundary is not None and boundary.kind == "start":
            start = boundary.sample
        elif boundary is not None and start is not None:
            return start / 16000, endpointer.confirm_start(start) / 16000
    assert start is not None
    return start / 16000, endpointer.confirm_start(start) / 16000


def test_talkers_heard_just_before_a_command_are_not_its_start(spoken, noises):
    """Talkers who begin 0.2 s into the recording are louder than the silent room before
    them, so the endpointer starts there, well before the words; by the utterance's end
    the room has heard them, and the start moves to the command. In steady noise and in a
    quiet room nothing moves (bench.hearing's babble third: 33 -> 38 of 63 right)."""
    command = spoken["start russian push ups"]
    voiced = np.flatnonzero(np.abs(command) > 300)[0] / 16000
    talkers = np.concatenate([np.zeros(3_200, dtype=np.float32), noises["babble"]])
    decided, confirmed = _cut(synthesis.mix(command, talkers, 12))
    assert decided < voiced - 0.3
    assert abs(confirmed - voiced) < 0.2
    for sound in (command, synthesis.mix(command, noises["pink"], 12)):
        decided, confirmed = _cut(sound)
        assert confirmed == decided
