"""The speech engine, tamed: the platform's pyttsx3 driver, the voices and a locale's voice,
and the engine's stdout chatter kept off the runner's JSON lines."""

from __future__ import annotations

import os
import sys

import pytest

from skill.local.voice import espeak
from skill.local.voice.espeak import VoiceInfo, list_voices, voice_for_locale
from tests.support.audio import needs_engine


def test_stdout_is_silenced_at_the_file_descriptor_level(capfd: pytest.CaptureFixture[str]) -> None:
    with espeak.stdout_silenced():
        print("Audio saved to /tmp/x.wav")
        os.write(1, b"from C\n")
        print("another thread's JSON line")
    sys.stdout.write("after\n")
    assert capfd.readouterr().out == "another thread's JSON line\nafter\n"


@needs_engine
def test_list_voices_reports_the_installed_voices() -> None:
    voices = {voice.id: voice for voice in list_voices()}
    assert "en-gb" in voices["gmw/en"].languages
    assert "en-us" in voices["gmw/en-us"].languages


@needs_engine
@pytest.mark.parametrize(
    ("locale", "voice"),
    [("en-GB", "gmw/en"), ("en-US", "gmw/en-us"), ("en_us", "gmw/en-us"), ("de-DE", "gmw/de")],
)
def test_voice_for_locale(locale: str, voice: str) -> None:
    assert voice_for_locale(locale) == voice


VOICES = [
    VoiceInfo("mb/mb-en1", "english-mb-en1", ("en-gb",)),
    VoiceInfo("gmw/en-029", "English (Caribbean)", ("en-029",)),
    VoiceInfo("gmw/en", "English (Great Britain)", ("en-gb",)),
    VoiceInfo("gmw/en-us", "English (America)", ("en-us",)),
    VoiceInfo("roa/fr", "French (France)", ("fr-fr",)),
    VoiceInfo("roa/fr-be", "French (Belgium)", ("fr-be",)),
    VoiceInfo("roa/pt-br", "Portuguese (Brazil)", ("pt-br",)),
]


@pytest.mark.parametrize(
    ("locale", "voice"),
    [
        ("en-GB", "gmw/en"),  # exact language; the MBROLA voice is skipped
        ("EN-us", "gmw/en-us"),
        ("en-IN", "gmw/en"),  # espeak has no en-IN: the bare language, through the id
        ("fr-CA", "roa/fr"),
        ("pt-PT", "roa/pt-br"),  # only a relative is left
        ("xx-YY", None),
        ("", None),
    ],
)
def test_locale_matching_prefers_exact_then_bare_then_related(locale: str, voice: str) -> None:
    assert espeak.pick_voice_for_locale(VOICES, locale) == voice


def test_voices_and_locales_are_empty_without_an_engine(no_engine: list[str]) -> None:
    assert list_voices() == []
    assert voice_for_locale("en-GB") is None


def test_the_pyttsx3_driver_is_the_platforms() -> None:
    assert espeak.driver_name("win32") == "sapi5"
    assert espeak.driver_name("darwin") == "nsss"
    assert espeak.driver_name("linux") == "espeak"
    assert espeak.driver_name("freebsd14") == "espeak"


def test_clamp_rate_keeps_a_rate_espeak_can_say() -> None:
    assert espeak.clamp_rate(10) == espeak.MIN_RATE_WPM
    assert espeak.clamp_rate(2000) == espeak.MAX_RATE_WPM
    assert espeak.clamp_rate(180) == 180


def test_a_voice_is_resolved_by_id_name_or_locale_and_an_unknown_one_is_none() -> None:
    voices = [VoiceInfo("gmw/en-us", "English (America)", ("en-us",))]
    for wanted in ("gmw/en-us", "English (America)", "en-US"):
        assert espeak.resolve_voice(voices, wanted) == "gmw/en-us"
    assert espeak.resolve_voice(voices, "zz-not-a-voice") is None
