"""The runner in any language: the locale the content has, the voice for it, and speech
input that says in one line that it hears English only, then carries on typed."""

from __future__ import annotations

import io
import wave
from pathlib import Path

import pytest

from skill.coach.language import language_data, language_of
from skill.local.hearing import language_model, recognizer
from skill.local.hearing.language_model import LanguageModelError
from skill.local.hearing.recognizer import Recognizer, hears
from skill.local.runner import cli
from skill.local.runner.runner_words import RunnerWords, runner_words
from skill.local.runner.screen_text import screen_lines
from skill.local.understanding import speech_input
from skill.local.voice.espeak import VoiceInfo, pick_voice_for_locale
from tests.support.runner import assert_one_line_error, run, says

VOICES = [
    VoiceInfo("gmw/en-us", "English (America)", ("en-us",)),
    VoiceInfo("gmw/nl", "Dutch", ("nl",)),
    VoiceInfo("gmw/de", "German", ("de",)),
    VoiceInfo("mb/mb-nl2", "dutch-mbrola-2", ("nl",)),
]


def test_a_locale_the_content_lacks_is_one_line_naming_the_ones_it_has(capsys) -> None:
    status, out, err = run(capsys, "--mute", "--locale", "fr-FR", "--say", "bonjour")
    assert_one_line_error(status, out, err, "fr-FR", "en-US", *cli.content_locales())
    assert status == 2


def test_every_content_locale_is_accepted_in_any_spelling(capsys) -> None:
    for locale in cli.content_locales():
        spelled = locale.lower().replace("-", "_")
        assert cli._nlu(spelled).locale == locale


@pytest.mark.parametrize(("locale", "voice"), [("nl-NL", "gmw/nl"), ("de-DE", "gmw/de")])
def test_the_espeak_voice_is_the_locales_language(locale: str, voice: str) -> None:
    assert pick_voice_for_locale(VOICES, locale) == voice  # never MBROLA's, never English


def test_speech_input_hears_only_the_acoustic_models_language() -> None:
    assert hears("en-US") and hears("en_IN") and hears("en-GB")
    assert not hears("nl-NL") and not hears("de-DE") and not hears("fr-FR")


def test_dutch_is_never_decoded_with_the_english_model(monkeypatch) -> None:
    def no_model(*args, **kwargs):
        raise AssertionError("an English language model was built for Dutch")

    monkeypatch.setattr(language_model, "build", no_model)
    monkeypatch.setattr(recognizer.pocketsphinx, "Decoder", no_model)
    for locale in ("nl-NL", "de-DE"):
        with pytest.raises(LanguageModelError, match="English only"):
            Recognizer(locale)


@pytest.fixture
def unheard_locale(monkeypatch) -> str:
    """A content locale speech input does not hear: a real one where the content has one,
    else English with hearing told it cannot hear it. Nothing may decode it."""
    locales = [locale for locale in cli.content_locales() if not hears(locale)]
    if not locales:
        monkeypatch.setattr(recognizer, "hears", lambda locale: False)
    locale = locales[0] if locales else "en-US"

    def no_decoding(*args, **kwargs):
        raise AssertionError(f"{locale} was decoded")

    monkeypatch.setattr(speech_input.SpeechInput, "for_locale", no_decoding)
    monkeypatch.setattr(recognizer, "Recognizer", no_decoding)
    return locale


def _wav(path: Path) -> str:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16_000)
        out.writeframes(b"\0\0" * 16_000)
    return str(path)


def test_hear_in_a_language_speech_input_lacks_says_so_once_and_carries_on_typed(
    unheard_locale: str, tmp_path: Path, capsys
) -> None:
    wav = _wav(tmp_path / "said.wav")
    line = runner_words(language_of(unheard_locale)).spoken_input_unavailable
    status, out, err = run(
        capsys, "--mute", "--new-user", "--locale", unheard_locale,
        "--hear", wav, *says("help"), "--hear", wav,
    )  # fmt: skip
    assert status == 0
    assert err.count(line.format(locale=unheard_locale)) == 1, err
    assert out.count("coach> ") == 1  # the typed turn was answered; no recording was sent


def test_listen_in_a_language_speech_input_lacks_says_so_and_takes_typing(
    unheard_locale: str, monkeypatch, capsys
) -> None:
    def no_microphone(*args, **kwargs):
        raise AssertionError("the microphone was opened")

    monkeypatch.setattr("skill.local.hearing.microphone.Microphone", no_microphone)
    monkeypatch.setattr("sys.stdin", io.StringIO("help\n"))
    status, out, err = run(capsys, "--mute", "--new-user", "--listen", "--locale", unheard_locale)
    assert status == 0
    words = runner_words(language_of(unheard_locale))
    assert words.spoken_input_unavailable.format(locale=unheard_locale) in err
    assert words.welcome.splitlines()[0][:20] in err  # then the typed prompt's welcome
    assert "coach> " in out


def test_the_screens_words_around_the_skills_are_the_languages() -> None:
    table = {
        **language_data("en")["runner"],
        "countdowns": "Telt af: {countdowns}",
        "countdown": "{seconds} seconden {what}, {time} na het begin",
        "countdown_then": ", daarna ",
        "touch": "Aanraken: {buttons}",
    }
    timer = {"segments": [{"seconds": 30, "start": 18_000, "label": "Vasthouden"},
                          {"seconds": 10, "start": 60_000, "label": "Rust"}]}  # fmt: skip
    lines = screen_lines(
        {"title": "Plank", "timer": timer, "buttons": [{"label": "Volgende"}]},
        RunnerWords.from_data(table),
    )
    assert lines[1:] == [
        "Telt af: 30 seconden vasthouden, 0:18 na het begin, "
        "daarna 10 seconden rust, 1:00 na het begin",
        "Aanraken: [Volgende]",
    ]


def test_a_language_without_a_runner_word_fails_when_it_loads() -> None:
    table = dict(language_data("en")["runner"])
    del table["touch"]
    with pytest.raises(KeyError, match="touch"):
        RunnerWords.from_data(table)
