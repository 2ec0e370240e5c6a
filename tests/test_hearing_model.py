"""The recognizer's language model comes from the skill's own model, and can say every word."""

from __future__ import annotations

import json
import math
import re

import pytest

from skill.local.hearing import language_model as lm
from skill.local.hearing import microphone
from skill.local.hearing._skill import BUILTIN_PHRASES
from skill.local.hearing.language_model import LanguageModelError
from skill.local.hearing.recognizer import Recognizer
from skill.settings import INTERACTION_MODELS_DIR


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> lm.BuiltModel:
    return lm.build("en-US", tmp_path_factory.mktemp("lm"))


def _language(locale="en-US"):
    path = INTERACTION_MODELS_DIR / f"{locale}.json"
    return json.loads(path.read_text())["interactionModel"]["languageModel"]


def _arpa_words(path) -> set[str]:
    words, section = set(), None
    for line in path.read_text().splitlines():
        if line.startswith("\\"):
            section = line
        elif section == "\\1-grams:" and line.strip():
            words.add(line.split()[1])
    return words - {"<s>", "</s>"}


def test_every_word_the_model_can_emit_has_a_pronunciation(built):
    emitted = _arpa_words(built.lm_path)
    lines = built.dict_path.read_text().splitlines()
    dictionary = {re.sub(r"\(\d+\)$", "", line.split()[0]) for line in lines}
    assert emitted and emitted <= dictionary
    assert emitted == set(built.words)


def test_the_built_model_knows_every_sentence_of_the_corpus(built):
    assert built.sentences == {" ".join(s.words) for s in lm.corpus("en-US")}


def test_every_slot_value_and_synonym_is_in_the_corpus(built):
    text = " | ".join(built.sentences)
    for slot_type in _language()["types"]:
        for value in slot_type["values"]:
            for phrase in (value["name"]["value"], *value["name"].get("synonyms", [])):
                assert " ".join(lm.spoken_words(phrase)) in text, phrase


def test_the_built_in_phrasings_are_in_the_corpus(built):
    for phrases in BUILTIN_PHRASES.values():
        for phrase in phrases:
            assert " ".join(lm.spoken_words(phrase)) in built.sentences


def test_the_extra_pronunciations_are_needed_and_well_formed():
    base = lm.base_dictionary()
    phones = {phone for options in base.values() for p in options for phone in p.split()}
    for word, options in lm.extra_pronunciations().items():
        assert word not in base, f"{word} is already in the CMU dictionary"
        for pronunciation in options:
            assert set(pronunciation.split()) <= phones, word


def test_a_word_without_pronunciation_is_named(monkeypatch):
    monkeypatch.setattr(lm, "extra_pronunciations", dict)
    with pytest.raises(LanguageModelError, match="clamshells") as error:
        lm.pronunciations(["next", "clamshells"])
    assert "\n" not in str(error.value)


def test_the_model_is_cached_and_rebuilt_when_its_inputs_change(tmp_path, monkeypatch):
    first = lm.build("en-US", tmp_path)
    stamp = first.lm_path.stat().st_mtime_ns
    assert lm.build("en-US", tmp_path).lm_path.stat().st_mtime_ns == stamp
    first.strict_lm_path.unlink()  # a model lost from the cache is written again
    assert lm.build("en-US", tmp_path).strict_lm_path.is_file()
    monkeypatch.setattr(lm, "FORMAT_VERSION", lm.FORMAT_VERSION + 1)
    assert lm.build("en-US", tmp_path).lm_path != first.lm_path


def test_the_arpa_probabilities_are_normalised(built):
    unigrams = [
        float(line.split()[0])
        for line in built.lm_path.read_text().split("\\1-grams:")[1].split("\\2-grams:")[0]
        .strip().splitlines()
    ]  # fmt: skip
    assert sum(10**p for p in unigrams if p > -99) == pytest.approx(1.0, abs=1e-3)


def _arpa_entries(path) -> dict[tuple[str, ...], list[float]]:
    """Each n-gram of an ARPA file with its log10 probability and (if any) backoff."""
    entries, order = {}, 0
    for line in path.read_text().splitlines():
        if line.startswith("\\") and line.endswith("-grams:"):
            order = int(line[1])
        elif order and line.strip() and not line.startswith("\\"):
            fields = line.split()
            gram = tuple(fields[1 : 1 + order])
            entries[gram] = [float(fields[0]), *map(float, fields[1 + order :])]
    return entries


def test_the_strict_model_backs_off_dearer_and_is_otherwise_the_same(built):
    """The strict model (a room of talkers) has the model's n-grams and probabilities,
    and every backoff weight STRICT_BACKOFF_SCALE times the model's."""
    plain, strict = _arpa_entries(built.lm_path), _arpa_entries(built.strict_lm_path)
    assert plain.keys() == strict.keys()
    shift = math.log10(lm.STRICT_BACKOFF_SCALE)
    backoffs = 0
    for gram, (prob, *backoff) in plain.items():
        assert strict[gram][0] == prob
        assert len(strict[gram]) == 1 + len(backoff)
        if backoff:
            backoffs += 1
            assert strict[gram][1] == pytest.approx(backoff[0] + shift, abs=2e-4), gram
    assert backoffs > 1000 and shift < -1


def test_other_locales_use_their_own_model(tmp_path):
    assert lm.build("en-GB", tmp_path).lm_path.parent.name.startswith("en-GB-")


def test_a_non_english_locale_is_refused_in_one_line():
    with pytest.raises(LanguageModelError, match="English only"):
        Recognizer("de-DE")


def test_no_microphone_is_a_one_line_error(monkeypatch):
    import sounddevice

    def no_device(*_args, **_kwargs):
        raise sounddevice.PortAudioError("Error querying device -1")

    monkeypatch.setattr(sounddevice, "query_devices", no_device)
    with pytest.raises(microphone.NoMicrophone, match="no microphone found") as error:
        microphone.Microphone()
    assert "\n" not in str(error.value)


def test_the_simulated_microphone_pads_with_silence_and_takes_more_audio():
    import numpy as np

    mic = microphone.SimulatedMicrophone(np.ones(800, dtype=np.int16))
    mic.say(np.full(2400, 2, dtype=np.int16))
    blocks = list(mic.blocks(seconds=0.5))
    audio = np.concatenate(blocks)
    assert len(audio) == 8000
    assert audio[:800].tolist() == [1] * 800 and audio[800:3200].tolist() == [2] * 2400
    assert not audio[3200:].any()
