"""Decoding: a stream of sound as the hypotheses of each utterance in it.

A stream of 16 kHz blocks goes through noise suppression (:mod:`denoise`) and the
endpointer (:mod:`endpoint`), which finds where speech starts and ends (with a pre-roll it
would otherwise clip, and a cap on one utterance's length: in steady noise it may never
close). Each utterance is decoded whole, in the versions worth decoding for its room
(:func:`_versions`), with the skill's own language model (:mod:`language_model`), whose
vocabulary also has pocketsphinx's filler models (``[NOISE]``, ``[SPEECH]``, silence).

What comes out is :class:`~skill.local.hearing.hypotheses.Hypotheses`: every version's
best reading, its coverage (the share of the speech command words explain) and its N-best
readings. Choosing one, and rejecting a guess, is understanding's job
(:mod:`skill.local.understanding.choosing`), which has the dialog's context.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
import pocketsphinx

from skill.local.hearing import bandwidth, language_model
from skill.local.hearing.audio import SAMPLE_RATE
from skill.local.hearing.denoise import Denoiser, denoise
from skill.local.hearing.endpoint import ROOM_SECONDS, Endpointer, removed_db, room_dbfs
from skill.local.hearing.hypotheses import Hypotheses, Reading

# Each constant's measurements, and what was tried instead, are in the hearing README
# ("Choices, and what was measured").

# Longest utterance in seconds: the endpointer can fail to close in steady noise.
MAX_UTTERANCE_SECONDS = 7.0
# Audio kept before the endpointer's speech start, which clips weak first consonants.
PREROLL_SECONDS = 0.25
# ... and after its end: the decoder needs some silence to close the last word.
POSTROLL_SECONDS = 0.2
# Below this level (dBFS, the room's quiet moments) only the suppressed version is decoded.
QUIET_ROOM_DBFS = -50.0
# A room whose noise RNNoise removes less of than this (dB) is talkers: people, a TV.
TALKERS_REMOVED_DB = 33.0
# The pre-roll in a room of talkers, whose words before a command spoil its reading.
TALKERS_PREROLL_SECONDS = 0.1
# The filler probability of the strict decoder a room of talkers adds (default 1e-8).
TALKERS_FILLER_PROBABILITY = 1e-3
# Readings kept from each decode's N-best list, for understanding's vote.
N_BEST = 25
# Shortest speech worth decoding, in seconds (a click, a tap on the desk is shorter).
MIN_SPEECH_SECONDS = 0.15


def _quiet_config(**settings) -> pocketsphinx.Config:
    config = pocketsphinx.Config(
        hmm=os.path.join(pocketsphinx.get_model_path(), "en-us", "en-us"),
        samprate=SAMPLE_RATE,
        logfn=os.devnull,
        **settings,
    )
    return config


# The language the shipped acoustic model (pocketsphinx's "en-us") hears.
ACOUSTIC_MODEL_LANGUAGE = "en"


def hears(locale: str) -> bool:
    """Whether speech input can hear the locale's language: the acoustic model's only, so
    Dutch is never decoded as though it were English."""
    return locale.replace("_", "-").split("-", 1)[0].lower() == ACOUSTIC_MODEL_LANGUAGE


class Recognizer:
    """The locale's command decoder; build one per process and reuse it.

    English locales only: the shipped acoustic model is US English (:func:`hears`).
    """

    def __init__(
        self,
        locale: str = "en-US",
        *,
        noise_suppression: bool = True,
        cache_dir: Path | None = None,
    ) -> None:
        if not hears(locale):
            raise language_model.LanguageModelError(
                f"speech input speaks English only (the acoustic model is US English), not {locale}"
            )
        self.locale = locale
        self.noise_suppression = noise_suppression
        # Whether the stream being heard is in the middle of an utterance right now.
        self.in_speech = False
        self.model = language_model.build(locale, cache_dir)
        dictionary = str(self.model.dict_path)
        self._decoder = pocketsphinx.Decoder(
            _quiet_config(lm=str(self.model.lm_path), dict=dictionary)
        )
        self._talkers_decoder = pocketsphinx.Decoder(
            _quiet_config(
                lm=str(self.model.strict_lm_path),
                dict=dictionary,
                fillprob=TALKERS_FILLER_PROBABILITY,
            )
        )

    # --- one utterance ----------------------------------------------------------------------

    def recognize(self, samples: np.ndarray) -> Hypotheses:
        """One utterance of 16 kHz mono int16 samples, already cut (no endpointing)."""
        clean = denoise(samples) if self.noise_suppression else None
        versions = _versions(samples, clean, room_dbfs(samples))
        return self._hypotheses(versions, 0.0, len(samples) / SAMPLE_RATE, capped=False)

    # --- streams ------------------------------------------------------------------------

    def utterances(self, blocks: Iterable[np.ndarray]) -> Iterator[Hypotheses]:
        """Every utterance in a stream of 16 kHz int16 blocks, as it ends.

        Silence and noise that the endpointer never takes for speech yield nothing.
        """
        endpointer = Endpointer()
        frame = endpointer.frame
        denoiser = Denoiser() if self.noise_suppression else None
        preroll = int(PREROLL_SECONDS * SAMPLE_RATE)
        talkers_preroll = int(TALKERS_PREROLL_SECONDS * SAMPLE_RATE)
        room_span = int(ROOM_SECONDS * SAMPLE_RATE)
        postroll = int(POSTROLL_SECONDS * SAMPLE_RATE)
        cap = int(MAX_UTTERANCE_SECONDS * SAMPLE_RATE)
        raw = _Tape()  # what the microphone heard
        clean = _Tape()  # the same, noise suppressed (aligned sample for sample)
        start: int | None = None  # sample where the current utterance starts
        pending = np.zeros(0, dtype=np.int16)

        def cut(end: int, capped: bool) -> Hypotheses:
            end = min(raw.end, end + postroll)
            first = endpointer.confirm_start(start)
            room = endpointer.room_dbfs
            talkers = False
            if denoiser is not None and room > QUIET_ROOM_DBFS:
                since = raw.end - room_span
                removed = removed_db(raw.between(since, raw.end), clean.between(since, raw.end))
                talkers = removed is not None and removed < TALKERS_REMOVED_DB
            begin = max(0, first - (talkers_preroll if talkers else preroll))
            suppressed = clean.between(begin, end) if denoiser is not None else None
            versions = _versions(raw.between(begin, end), suppressed, room)
            return self._hypotheses(
                versions, first / SAMPLE_RATE, end / SAMPLE_RATE, capped, talkers=talkers
            )

        def feed(final: bool) -> Iterator[Hypotheses]:
            nonlocal pending, start
            while len(pending) >= frame or (final and len(pending)):
                chunk = np.pad(pending[:frame], (0, max(0, frame - len(pending))))
                pending = pending[frame:]
                raw.append(chunk)
                boundary = endpointer.process(chunk)
                if boundary is not None and boundary.kind == "start":
                    start = boundary.sample
                elif boundary is not None and start is not None:
                    yield cut(boundary.sample, capped=False)
                    start = None
                elif start is not None and raw.end - start >= cap:
                    yield cut(raw.end, capped=True)
                    endpointer.reset()
                    start = None
                self.in_speech = start is not None
                if start is None:
                    raw.forget_before(raw.end - preroll - cap)
                    clean.forget_before(raw.end - preroll - cap)
            if final and start is not None:
                yield cut(raw.end, capped=False)

        for block in blocks:
            if denoiser is not None:
                clean.append(denoiser.process(block))
            pending = np.concatenate([pending, block])
            yield from feed(final=False)
        if denoiser is not None:
            clean.append(denoiser.flush())
        yield from feed(final=True)

    def _hypotheses(
        self,
        versions: list[np.ndarray],
        start: float,
        end: float,
        capped: bool,
        talkers: bool = False,
    ) -> Hypotheses:
        """Every version of an utterance decoded (as heard, widened, noise suppressed; in a
        room of talkers the raw one also read with the strict model and more room for
        fillers, first, as the least trusted).

        Noise suppression rescues speech from steady noise but can erase it under babble,
        so all are decoded; understanding chooses among them.
        """
        seconds = len(versions[0]) / SAMPLE_RATE
        if len(versions[0]) < MIN_SPEECH_SECONDS * SAMPLE_RATE:
            return Hypotheses((), start, end, seconds, capped)
        readers = [(audio, self._decoder, False) for audio in versions]
        if talkers and len(versions) > 1:
            readers.insert(0, (versions[-2], self._talkers_decoder, True))
        readings = tuple(self._words(audio, decoder, strict) for audio, decoder, strict in readers)
        return Hypotheses(readings, start, end, seconds, capped)

    def _words(self, audio: np.ndarray, decoder: pocketsphinx.Decoder, strict: bool) -> Reading:
        """A decoder's best reading, its coverage, and its N_BEST best readings."""
        decoder.start_utt()
        decoder.process_raw(audio.astype("<i2").tobytes(), full_utt=True)
        decoder.end_utt()
        hyp = decoder.hyp()
        hypothesis = hyp.hypstr.strip() if hyp is not None else ""
        if not hypothesis:
            return Reading("", 0.0, (), strict)
        readings = (reading for reading in decoder.nbest() if reading is not None)
        nbest = tuple(
            " ".join(word for word in reading.hypstr.split() if not _is_filler(word))
            for reading in itertools.islice(readings, N_BEST)
        )
        return Reading(hypothesis, _coverage(decoder.seg()), nbest, strict)


def _versions(raw: np.ndarray, clean: np.ndarray | None, room: float) -> list[np.ndarray]:
    """The versions of an utterance worth decoding, the least trusted first (a later one
    wins a tie): in a noisy room the raw one widened, the raw one and the suppressed one;
    in a quiet room (:data:`QUIET_ROOM_DBFS`) only the suppressed one; without noise
    suppression the raw one.

    In a noisy room the band above 4 kHz, where speech is weakest, is the room's more than
    the speaker's: the widened version has it rebuilt from the band below
    (:func:`bandwidth.widen`), which reads differently from both others, and the three
    readings let the sentence rules and the vote find the command (bench.hearing, 16 kHz
    voices: babble 89 -> 98 of 126, pink 113 -> 113; the 8 kHz voice, whose band above
    4 kHz holds only the bench's 16 kHz room, 22 -> 37 of 63).

    Telephone-band audio (:func:`bandwidth.is_narrowband`) is widened, and both versions
    are decoded even in a quiet room: the model hears it worst, and a second reading is
    worth the decoding time there (bench.hearing's 63 commands in the 8 kHz voice, widened:
    7 missed with one decode, 4 with both; decoding both without widening: 11 as before).
    """
    versions = [raw] if clean is None else [raw, clean]
    if bandwidth.is_narrowband(raw):
        return [bandwidth.widen(version) for version in versions]
    if clean is None:
        return versions
    if room <= QUIET_ROOM_DBFS:
        return [clean]
    return [bandwidth.widen(raw), *versions]


class _Tape:
    """A stream's recent samples, addressed by their position in the whole stream."""

    def __init__(self) -> None:
        self._samples = np.zeros(0, dtype=np.int16)
        self._first = 0  # stream position of self._samples[0]

    @property
    def end(self) -> int:
        return self._first + len(self._samples)

    def append(self, samples: np.ndarray) -> None:
        self._samples = np.concatenate([self._samples, samples.astype(np.int16)])

    def between(self, begin: int, end: int) -> np.ndarray:
        return self._samples[max(0, begin - self._first) : max(0, end - self._first)]

    def forget_before(self, position: int) -> None:
        if position - self._first > SAMPLE_RATE:  # trim in steps of a second or more
            self._samples = self._samples[position - self._first :]
            self._first = position


def _is_filler(word: str) -> bool:
    return word.startswith(("<", "[", "+"))


def _coverage(segments: Iterable) -> float:
    """Share of the speech (between the utterance's edges) that command words explain."""
    spoken = words = 0
    for segment in segments:
        if segment.word in ("<s>", "</s>"):
            continue
        frames = segment.end_frame - segment.start_frame + 1
        spoken += frames
        if not _is_filler(segment.word):
            words += frames
    return words / spoken if spoken else 0.0
