"""Recognition with rejection: what was said, how sure, or nothing at all.

A stream of 16 kHz blocks goes through noise suppression (:mod:`denoise`), then
pocketsphinx's Endpointer, which finds where speech starts and ends (with a pre-roll it
would otherwise clip, and a cap on one utterance's length: in steady noise it may never
close). Each utterance is decoded whole with the skill's own language model
(:mod:`language_model`), whose vocabulary also has pocketsphinx's filler models
(``[NOISE]``, ``[SPEECH]``, silence).

Rejection, measured on synthesized speech (``bench/hearing.py``):

- *coverage*: the share of the utterance's speech that command words explain, the rest
  going to fillers. Commands are explained almost whole; a reading that leaves much to
  fillers is a guess. It is reported as the confidence.
- *length*: no command takes longer than :data:`MAX_COMMAND_SECONDS`; a TV or the coach
  talking does.
- empty or filler-only hypotheses, and coughs and clicks shorter than
  :data:`MIN_SPEECH_SECONDS`.

What passes is text for the text NLU, which still answers out-of-domain word salad with
``AMAZON.FallbackIntent``: the last line of defence, as on an Echo. In babble the
decoder reads the talkers as words around the command, so a version heard as a sentence
of the skill's corpus beats one that is not (:meth:`Recognizer._sentence`), and when the
best reading is word salad, a corpus sentence that is most of a reading
(:meth:`Recognizer._sentence_within`) or else the N-best readings' vote
(:meth:`Recognizer._vote`) names the command.
"""

from __future__ import annotations

import functools
import itertools
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pocketsphinx

from skill.local.hearing import bandwidth, language_model
from skill.local.hearing._skill import FALLBACK_INTENT, LocalNLU
from skill.local.hearing.audio import SAMPLE_RATE, read_wav
from skill.local.hearing.denoise import Denoiser, denoise
from skill.local.hearing.endpoint import ROOM_SECONDS, Endpointer, removed_db, room_dbfs

# Least coverage (share of the speech explained by command words) of an accepted command.
# Tuned on the tests' voices (slt, rms; 120 corpus sentences): 1% of correctly decoded
# commands fall below 0.73, and fragments of chatter or the coach's voice mostly score
# 1.0 anyway (length and the text NLU reject those), so the bar only drops filler-ridden
# readings.
COVERAGE_THRESHOLD = 0.75
# Longest command worth acting on, in seconds of speech.
MAX_COMMAND_SECONDS = 4.5
# Longest utterance: the Endpointer can fail to close in steady noise.
MAX_UTTERANCE_SECONDS = 7.0
# Audio kept before the Endpointer's speech start: it clips weak first consonants.
PREROLL_SECONDS = 0.25
# ... and after its end: the decoder needs some silence to close the last word.
POSTROLL_SECONDS = 0.2
# A room quieter than this (dB of full scale, in its quiet moments) leaves the noise
# suppressor little to remove: only the suppressed version is decoded, which halves the
# decoding between the end of a command and its answer (decoding both there got 2 more
# of bench.hearing's 189 clean commands). Louder rooms get three versions decoded
# (:func:`_versions`), a room of talkers four (:data:`TALKERS_FILLER_PROBABILITY`).
QUIET_ROOM_DBFS = -50.0
# A room whose noise the suppressor removes less of than this, in dB
# (:func:`endpoint.removed_db`), is talkers: people, a TV. Around bench.hearing's commands
# RNNoise removed 46-80 dB of pink noise and 8-21 dB of babble.
TALKERS_REMOVED_DB = 33.0
# The pre-roll in a room of talkers: there the audio before the command's start is their
# words, which the decoder reads as the command's first words ("why are", "to") and which
# spoil its reading of the rest. bench.hearing's babble: 133 -> 144 of 189 (0.05 s: 141; 0.1 s
# in pink noise too: pink 161 -> 155, its weak first consonants lost).
TALKERS_PREROLL_SECONDS = 0.1
# In a room of talkers the raw version is decoded once more, by a decoder that reads the
# strict language model (language_model.STRICT_BACKOFF_SCALE: it keeps to the corpus's
# word sequences, where the talkers' words make up others) and gives pocketsphinx's noise
# and speech fillers this probability (its default is 1e-8), so that talkers heard
# between and around the command's words can go to them; a fourth reading for the
# sentence rules and the vote, kept only when a plain decode heard its meaning too
# (Recognizer._confirmed). bench.hearing's babble: 144 -> 147 of 189 with the fillers, 157
# with the strict model too (155 with it and the default filler probability; the strict
# model for all four decodes: 151); the tests' babble at 15 dB 22 -> 27 of 36.
TALKERS_FILLER_PROBABILITY = 1e-3
# N-best intent voting, when the best reading is a FallbackIntent: the readings of each
# decoded version that the text NLU reads as the same intent and slots pool their votes,
# VOTE_HYPOTHESES per version, a reading of rank r (0 the decoder's best) weighing
# 1 / (r + 1) ** VOTE_POWER. On a third of bench.hearing's set, babble 38 -> 43 of 63,
# clean and pink unchanged; a power of 0.5 measured the same, 2 worse (when voting always).
VOTE_HYPOTHESES = 25
VOTE_POWER = 1.0
# Shortest speech worth decoding (a click, a tap on the desk is shorter).
MIN_SPEECH_SECONDS = 0.15


# One decode: its best reading, that reading's coverage, its VOTE_HYPOTHESES best readings.
_Reading = tuple[str, float, list[str]]


@dataclass(frozen=True)
class Heard:
    """One utterance: the words understood (empty when rejected) and how sure."""

    text: str
    confidence: float
    hypothesis: str = ""  # what the command decoder said, even when rejected
    start: float = 0.0  # seconds into the stream
    end: float = 0.0
    capped: bool = False  # the utterance hit MAX_UTTERANCE_SECONDS

    @property
    def understood(self) -> bool:
        return bool(self.text)


def _quiet_config(**settings) -> pocketsphinx.Config:
    config = pocketsphinx.Config(
        hmm=os.path.join(pocketsphinx.get_model_path(), "en-us", "en-us"),
        samprate=SAMPLE_RATE,
        logfn=os.devnull,
        **settings,
    )
    return config


class Recognizer:
    """The locale's command decoder with rejection; build one per process and reuse it.

    English locales only: the shipped acoustic model is US English.
    """

    def __init__(
        self,
        locale: str = "en-US",
        *,
        noise_suppression: bool = True,
        threshold: float = COVERAGE_THRESHOLD,
        cache_dir: Path | None = None,
    ) -> None:
        if not locale.lower().startswith("en"):
            raise language_model.LanguageModelError(
                f"speech input speaks English only (the acoustic model is US English), not {locale}"
            )
        self.locale = locale
        self.noise_suppression = noise_suppression
        self.threshold = threshold
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
        self._nlu = LocalNLU.for_locale(locale)
        # The text NLU's reading of a decoded text, read once: an utterance's readings are
        # read again and again (ranked, confirmed, voted, their rules checked).
        self._understand = functools.lru_cache(maxsize=1024)(self._nlu.understand)

    # --- one utterance ----------------------------------------------------------------------

    def recognize(self, samples: np.ndarray) -> Heard:
        """One utterance of 16 kHz mono int16 samples, already cut (no endpointing)."""
        clean = denoise(samples) if self.noise_suppression else None
        versions = _versions(samples, clean, room_dbfs(samples))
        return self._decode(versions, 0.0, len(samples) / SAMPLE_RATE, capped=False)

    # --- streams ------------------------------------------------------------------------

    def utterances(self, blocks: Iterable[np.ndarray]) -> Iterator[Heard]:
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

        def cut(end: int, capped: bool) -> Heard:
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
            return self._decode(
                versions, first / SAMPLE_RATE, end / SAMPLE_RATE, capped, talkers=talkers
            )

        def feed(final: bool) -> Iterator[Heard]:
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

    def _decode(
        self,
        versions: list[np.ndarray],
        start: float,
        end: float,
        capped: bool,
        talkers: bool = False,
    ) -> Heard:
        """The best reading of an utterance among its versions (as heard, noise suppressed;
        in a room of talkers the raw one also read with the strict model and more room
        for fillers).

        Noise suppression rescues speech from steady noise but can erase it under babble,
        so all are decoded and the reading that command words explain best wins; on equal
        coverage (most readings are explained whole), the one the text NLU is surer of, and
        then the suppressed one (bench.hearing's babble: 4 more of 189, the paraphrases of
        the NLU cases 4 more of 216, pink and clean unchanged).
        """
        best = Heard("", 0.0, start=start, end=end, capped=capped)
        if len(versions[0]) < MIN_SPEECH_SECONDS * SAMPLE_RATE:
            return best
        readings: list[list[str]] = []
        hypotheses: list[str] = []
        rank = (0.0, 0.0)  # the best reading's coverage and NLU score
        readers = [(audio, self._decoder) for audio in versions]
        strict = talkers and len(versions) > 1
        if strict:  # the least trusted first: a later one wins a tie
            readers.insert(0, (versions[-2], self._talkers_decoder))
        decoded = [self._words(audio, decoder) for audio, decoder in readers]
        if strict:
            decoded = self._confirmed(decoded)
        for hypothesis, coverage, nbest in decoded:
            readings.append(nbest)
            hypotheses.append(hypothesis)
            reading = (round(coverage, 3), self._understand(hypothesis).score)
            if hypothesis and reading >= rank:
                rank = reading
                best = Heard("", reading[0], hypothesis, start, end, capped)
        seconds = len(versions[0]) / SAMPLE_RATE
        if best.confidence >= self.threshold and seconds <= MAX_COMMAND_SECONDS:
            text = self._sentence(best.hypothesis, hypotheses)
            if self._understand(text).intent == FALLBACK_INTENT:
                text = self._sentence_within(hypotheses) or text
            if self._understand(text).intent == FALLBACK_INTENT:
                text = self._vote(readings) or text
            best = replace(best, text=text)
        return best

    def _words(self, audio: np.ndarray, decoder: pocketsphinx.Decoder) -> _Reading:
        """A decoder's best reading, its coverage, and its VOTE_HYPOTHESES best readings."""
        decoder.start_utt()
        decoder.process_raw(audio.astype("<i2").tobytes(), full_utt=True)
        decoder.end_utt()
        hyp = decoder.hyp()
        hypothesis = hyp.hypstr.strip() if hyp is not None else ""
        if not hypothesis:
            return "", 0.0, []
        readings = (reading for reading in decoder.nbest() if reading is not None)
        nbest = [
            " ".join(word for word in reading.hypstr.split() if not _is_filler(word))
            for reading in itertools.islice(readings, VOTE_HYPOTHESES)
        ]
        return hypothesis, _coverage(decoder.seg()), nbest

    def _confirmed(self, decoded: list[_Reading]) -> list[_Reading]:
        """The decodes of a room of talkers, the strict model's first, without it unless
        one of the others' N-best readings means what it read.

        The strict model keeps to the corpus's word sequences, which finds commands the
        talkers' words hide, but it also makes a command of talkers alone, or of the
        coach's own voice ("regular", "slower please"); a command that is there, the plain
        model mostly hears among its guesses. bench.hearing's babble: of the 49 commands
        read by the strict decode alone, 34 were right; this keeps 33 of them and drops 5
        of the 15 wrong ones.
        """
        strict, *plain = decoded
        meanings = {self._understand(text).meaning() for *_, nbest in plain for text in nbest}
        kept = strict[0] and self._understand(strict[0]).meaning() in meanings
        return decoded if kept else plain

    def _sentence(self, best: str, hypotheses: list[str]) -> str:
        """The best-covered reading, unless it is not a sentence of the skill's corpus and
        another version's reading is: then that one (in a noisy room one version often
        hears the command whole, another reads the room as words around it)."""
        if best in self.model.sentences:
            return best
        return next((reading for reading in hypotheses if reading in self.model.sentences), best)

    def _sentence_within(self, hypotheses: list[str]) -> str:
        """The longest sentence of the skill's corpus that makes up more than half of the
        words of one of the versions' best readings (the first such on a tie), or "".

        For a best reading the text NLU cannot place: the room read as words around a
        command ("i missed back to the menu"). Half is not enough: "repeat the last step",
        decoded right, holds "last step". A reading the NLU does understand is left alone:
        "what's a glute bridges" (glute bridges, in pink noise) holds "what's a glute".
        """
        found = ""
        for hypothesis in hypotheses:
            words = hypothesis.split()
            for size in range(len(words), max(len(words) // 2, len(found.split())), -1):
                spans = (" ".join(words[i : i + size]) for i in range(len(words) - size + 1))
                match = next((span for span in spans if span in self.model.sentences), "")
                if match:
                    found = match
                    break
        return found

    def _vote(self, readings: list[list[str]]) -> str:
        """The command that the versions' N-best lists vote for, when the best reading is
        none: empty when readings the text NLU cannot place (FallbackIntent) outvote every
        command.

        Readings that the NLU takes as the same intent and slots pool their votes, a reading
        of rank r weighing 1 / (r + 1) ** VOTE_POWER; the winner's best-ranked reading is the
        text. Fallback readings vote too: a launch phrase ("talk to step coach") or chatter
        read a dozen ways stays what it is.
        """
        votes: dict[tuple, float] = {}
        first: dict[tuple, str] = {}
        for nbest in readings:
            for rank, text in enumerate(nbest):
                key = self._understand(text).meaning()
                votes[key] = votes.get(key, 0.0) + 1.0 / (rank + 1) ** VOTE_POWER
                first.setdefault(key, text)
        winner = max(votes, key=votes.__getitem__, default=None)
        return "" if winner is None or winner[0] == FALLBACK_INTENT else first[winner]

    def hear(self, blocks: Iterable[np.ndarray]) -> Heard:
        """The first understood utterance of a stream (one turn), else the last heard one.

        A turn's audio may hold a cough before the command: that is skipped. Nothing at
        all (silence) gives empty text with zero confidence.
        """
        last = Heard("", 0.0)
        for heard in self.utterances(blocks):
            if heard.understood:
                return heard
            last = heard
        return last

    def hear_file(self, path: str | Path) -> Heard:
        """A WAV file as one turn of what the microphone heard (``--hear``)."""
        samples = read_wav(path)
        return self.hear(_blocks(samples))


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


def _blocks(samples: np.ndarray, size: int = 1_600) -> Iterator[np.ndarray]:
    """A recording as microphone-sized blocks (100 ms)."""
    for start in range(0, len(samples), size):
        yield samples[start : start + size]


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
