"""Alexa's SSML rules, checked: what the skill may send and how much of it.

Rules as documented in the Alexa Skills Kit "Speech Synthesis Markup Language (SSML)
Reference". Each tag lists its allowed attributes, which of them are required and, where
Alexa restricts them, the allowed values. Anything outside these tables is reported.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from skill.alexa import sounds
from skill.alexa.limits import MAX_AUDIO_MS, MAX_AUDIO_TAGS, MAX_BREAK_MS, MAX_SSML_CHARS
from skill.alexa.ssml import (
    BREAK_STRENGTH_MS,
    attribute_name,
    local_name,
    parse_time_ms,
    parse_wrapped,
)

_EMPHASIS_LEVELS = frozenset({"strong", "moderate", "reduced"})
_LANG_LOCALES = frozenset(
    {
        "en-US", "en-GB", "en-IN", "en-AU", "en-CA", "de-DE", "es-ES", "es-MX", "es-US",
        "fr-CA", "fr-FR", "hi-IN", "it-IT", "ja-JP", "pt-BR",
    }
)  # fmt: skip
_PHONEME_ALPHABETS = frozenset({"ipa", "x-sampa"})
_PROSODY_RATE_WORDS = frozenset({"x-slow", "slow", "medium", "fast", "x-fast"})
_PROSODY_PITCH_WORDS = frozenset({"x-low", "low", "medium", "high", "x-high"})
_PROSODY_VOLUME_WORDS = frozenset({"silent", "x-soft", "soft", "medium", "loud", "x-loud"})
_PROSODY_MIN_RATE_PERCENT = 20.0
_PROSODY_MAX_PITCH_RAISE_PERCENT = 50.0
_PROSODY_MAX_PITCH_LOWER_PERCENT = 33.3
_PROSODY_MAX_VOLUME_DB = 4.08
_SAY_AS_INTERPRETATIONS = frozenset(
    {
        "characters", "spell-out", "cardinal", "number", "ordinal", "digits", "fraction",
        "unit", "date", "time", "telephone", "address", "interjection", "expletive",
    }
)  # fmt: skip
_SAY_AS_DATE_FORMATS = frozenset({"mdy", "dmy", "ymd", "md", "dm", "ym", "my", "d", "m", "y"})
_W_ROLES = frozenset({"amazon:VB", "amazon:VBD", "amazon:NN", "amazon:SENSE_1"})
_DOMAIN_NAMES = frozenset({"conversational", "long-form", "music", "news", "fun"})
_EFFECT_NAMES = frozenset({"whispered"})
_EMOTION_NAMES = frozenset({"excited", "disappointed"})
_EMOTION_INTENSITIES = frozenset({"low", "medium", "high"})

# tag -> (allowed attributes, required attributes)
_TAG_ATTRIBUTES: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "speak": (frozenset(), frozenset()),
    "break": (frozenset({"time", "strength"}), frozenset()),
    "emphasis": (frozenset({"level"}), frozenset()),
    "lang": (frozenset({"xml:lang"}), frozenset({"xml:lang"})),
    "p": (frozenset(), frozenset()),
    "phoneme": (frozenset({"alphabet", "ph"}), frozenset({"alphabet", "ph"})),
    "prosody": (frozenset({"rate", "pitch", "volume"}), frozenset()),
    "s": (frozenset(), frozenset()),
    "say-as": (frozenset({"interpret-as", "format"}), frozenset({"interpret-as"})),
    "sub": (frozenset({"alias"}), frozenset({"alias"})),
    "voice": (frozenset({"name"}), frozenset({"name"})),
    "w": (frozenset({"role"}), frozenset({"role"})),
    "audio": (frozenset({"src"}), frozenset({"src"})),
    "amazon:domain": (frozenset({"name"}), frozenset({"name"})),
    "amazon:effect": (frozenset({"name"}), frozenset({"name"})),
    "amazon:emotion": (frozenset({"name", "intensity"}), frozenset({"name", "intensity"})),
    "mark": (frozenset({"name"}), frozenset({"name"})),
}
SUPPORTED_TAGS = frozenset(_TAG_ATTRIBUTES)

# Tags that must have no content: text or elements inside them are an error.
_EMPTY_TAGS = frozenset({"break", "audio", "mark"})

_SIGNED_PERCENT_RE = re.compile(r"^([+-])(\d+(?:\.\d+)?)%$")
_PERCENT_RE = re.compile(r"^(\d+(?:\.\d+)?)%$")
_SIGNED_DB_RE = re.compile(r"^([+-])(\d+(?:\.\d+)?)dB$")
_VOICE_NAME_RE = re.compile(r"^[^\W\d_]+$")


def _check_break(attributes: dict[str, str]) -> list[str]:
    problems = []
    if "time" in attributes:
        time_ms = parse_time_ms(attributes["time"])
        if time_ms is None or attributes["time"] != attributes["time"].strip():
            problems.append(
                f'<break time="{attributes["time"]}">: time must be a number of seconds or '
                'milliseconds such as "3s" or "250ms"'
            )
        elif time_ms > MAX_BREAK_MS:
            problems.append(
                f'<break time="{attributes["time"]}">: longer than Alexa\'s maximum of 10s '
                "(10000ms)"
            )
    if "strength" in attributes and attributes["strength"] not in BREAK_STRENGTH_MS:
        problems.append(
            f'<break strength="{attributes["strength"]}">: strength must be one of '
            + ", ".join(BREAK_STRENGTH_MS)
        )
    return problems


def _check_prosody(attributes: dict[str, str]) -> list[str]:
    if not attributes:
        return ["<prosody>: needs at least one of rate, pitch or volume"]
    problems = []
    rate = attributes.get("rate")
    if rate is not None and rate not in _PROSODY_RATE_WORDS:
        match = _PERCENT_RE.match(rate)
        if match is None or float(match.group(1)) < _PROSODY_MIN_RATE_PERCENT:
            problems.append(
                f'<prosody rate="{rate}">: rate must be x-slow, slow, medium, fast, x-fast '
                "or a percentage of at least 20%"
            )
    pitch = attributes.get("pitch")
    if pitch is not None and pitch not in _PROSODY_PITCH_WORDS:
        match = _SIGNED_PERCENT_RE.match(pitch)
        limit = None
        if match is not None:
            limit = (
                _PROSODY_MAX_PITCH_RAISE_PERCENT
                if match.group(1) == "+"
                else _PROSODY_MAX_PITCH_LOWER_PERCENT
            )
        if match is None or limit is None or float(match.group(2)) > limit:
            problems.append(
                f'<prosody pitch="{pitch}">: pitch must be x-low, low, medium, high, x-high, '
                "+n% (at most +50%) or -n% (at most -33.3%)"
            )
    volume = attributes.get("volume")
    if volume is not None and volume not in _PROSODY_VOLUME_WORDS:
        match = _SIGNED_DB_RE.match(volume)
        too_loud = (
            match is not None
            and match.group(1) == "+"
            and float(match.group(2)) > _PROSODY_MAX_VOLUME_DB
        )
        if match is None or too_loud:
            problems.append(
                f'<prosody volume="{volume}">: volume must be silent, x-soft, soft, medium, '
                "loud, x-loud, +ndB (at most +4.08dB) or -ndB"
            )
    return problems


def _check_value(tag: str, attribute: str, value: str, allowed: frozenset[str]) -> list[str]:
    if value in allowed:
        return []
    return [f'<{tag} {attribute}="{value}">: must be one of ' + ", ".join(sorted(allowed))]


def _check_attribute_values(tag: str, attributes: dict[str, str]) -> list[str]:
    """Value rules for one element whose attribute names are already known to be allowed."""
    if tag == "break":
        return _check_break(attributes)
    if tag == "prosody":
        return _check_prosody(attributes)
    problems: list[str] = []
    if tag == "emphasis" and "level" in attributes:
        problems += _check_value(tag, "level", attributes["level"], _EMPHASIS_LEVELS)
    elif tag == "lang" and "xml:lang" in attributes:
        problems += _check_value(tag, "xml:lang", attributes["xml:lang"], _LANG_LOCALES)
    elif tag == "phoneme" and "alphabet" in attributes:
        problems += _check_value(tag, "alphabet", attributes["alphabet"], _PHONEME_ALPHABETS)
    elif tag == "say-as" and "interpret-as" in attributes:
        interpret_as = attributes["interpret-as"]
        problems += _check_value(tag, "interpret-as", interpret_as, _SAY_AS_INTERPRETATIONS)
        if "format" in attributes:
            if interpret_as != "date":
                problems.append('<say-as format>: only allowed with interpret-as="date"')
            else:
                problems += _check_value(tag, "format", attributes["format"], _SAY_AS_DATE_FORMATS)
    elif tag == "voice" and "name" in attributes:
        if not _VOICE_NAME_RE.match(attributes["name"]):
            problems.append(f'<voice name="{attributes["name"]}">: not a voice name')
    elif tag == "w" and "role" in attributes:
        problems += _check_value(tag, "role", attributes["role"], _W_ROLES)
    elif tag == "audio" and "src" in attributes:
        src = attributes["src"]
        if src.startswith(sounds.SOUND_LIBRARY_PREFIX):
            if sounds.duration_ms(src) is None:
                problems.append(f'<audio src="{src}">: not a Sound Library sound we know')
        elif not src.startswith("https://"):
            problems.append(f'<audio src="{src}">: src must be https or a soundbank:// sound')
    elif tag == "amazon:domain" and "name" in attributes:
        problems += _check_value(tag, "name", attributes["name"], _DOMAIN_NAMES)
    elif tag == "amazon:effect" and "name" in attributes:
        problems += _check_value(tag, "name", attributes["name"], _EFFECT_NAMES)
    elif tag == "amazon:emotion":
        if "name" in attributes:
            problems += _check_value(tag, "name", attributes["name"], _EMOTION_NAMES)
        if "intensity" in attributes:
            problems += _check_value(
                tag, "intensity", attributes["intensity"], _EMOTION_INTENSITIES
            )
    return problems


def _check_element(element: ET.Element, *, is_root: bool) -> list[str]:
    tag = local_name(element.tag)
    if tag == "speak" and not is_root:
        return ["<speak> must not be nested inside another element"]
    if tag not in _TAG_ATTRIBUTES:
        return [f"<{tag}>: not a tag Alexa supports"]
    allowed, required = _TAG_ATTRIBUTES[tag]
    attributes = {attribute_name(key): value for key, value in element.attrib.items()}
    problems = [
        f"<{tag}>: attribute {name!r} is not allowed"
        for name in sorted(attributes)
        if name not in allowed
    ]
    problems += [
        f"<{tag}>: attribute {name!r} is required"
        for name in sorted(required)
        if name not in attributes
    ]
    known = {name: value for name, value in attributes.items() if name in allowed}
    problems += _check_attribute_values(tag, known)
    if tag in _EMPTY_TAGS and (len(element) or (element.text or "").strip()):
        problems.append(f"<{tag}> must be empty")
    return problems


def _parse_error_message(ssml: str, error: ET.ParseError) -> str:
    """Describe a parse error in the caller's coordinates, not the wrapper's."""
    line, column = error.position
    line -= 1  # the wrapper's opening tag has a line of its own
    message = str(error).split(":", 1)[0]
    lines = ssml.split("\n")
    if line > len(lines) or (line == len(lines) and column >= len(lines[-1])):
        return f"not well-formed XML: {message} at the end of the input (an element left open?)"
    return f"not well-formed XML: {message} at line {line}, column {column + 1}"


# Structure elements may not hold these (SSML 1.1: a sentence holds no sentence or
# paragraph, a paragraph no paragraph).
_FORBIDDEN_INSIDE = {"s": frozenset({"s", "p"}), "p": frozenset({"p"})}


def _check_structure(root: ET.Element) -> list[str]:
    problems = []
    for element in root.iter():
        outer = local_name(element.tag)
        forbidden = _FORBIDDEN_INSIDE.get(outer)
        if not forbidden:
            continue
        for inner in element.iter():
            if inner is not element and local_name(inner.tag) in forbidden:
                problems.append(f"<{local_name(inner.tag)}> inside <{outer}> is not allowed")
    return problems


def validate_alexa_ssml(ssml: str) -> list[str]:
    """Every way this response breaks Alexa's SSML rules; an empty list means valid.

    Checked: the whole string is at most 8000 characters (Alexa counts the SSML, tags
    and all); it is well-formed XML whose single root is ``<speak>``, with no text
    outside it and no ``<speak>`` nested inside; every tag is one Alexa supports, with
    only its documented attributes, its required attributes present and documented
    values (break time at most 10s/10000ms and break strengths, emphasis levels,
    lang locales, phoneme alphabets, prosody rate/pitch/volume words and ranges,
    say-as interpret-as and date formats, w roles, audio sources https or a known Sound
    Library sound, amazon:domain,
    amazon:effect and amazon:emotion names); ``<break>``, ``<audio>`` and ``<mark>``
    are empty; no ``<s>`` or ``<p>`` sits inside an ``<s>``, no ``<p>`` inside a ``<p>``;
    and there are at most 5 ``<audio>`` tags, with at most 90 s of known audio in all
    (https audio has no length we can know). Messages name the tag and
    value so a failing test says what to fix.
    """
    problems = []
    if len(ssml) > MAX_SSML_CHARS:
        problems.append(f"too long: {len(ssml)} characters, Alexa accepts at most {MAX_SSML_CHARS}")
    try:
        wrapper = parse_wrapped(ssml)
    except ET.ParseError as error:
        return [*problems, _parse_error_message(ssml, error)]
    except ValueError as error:  # for example a lone surrogate that cannot be encoded
        return [*problems, f"not well-formed XML: {error}"]

    roots = list(wrapper)
    if not roots:
        problems.append("missing the <speak> root element")
    elif len(roots) != 1 or local_name(roots[0].tag) != "speak":
        found = ", ".join(f"<{local_name(root.tag)}>" for root in roots)
        problems.append(f"the root element must be a single <speak>; found {found}")
    if (wrapper.text or "").strip() or any((root.tail or "").strip() for root in roots):
        problems.append("text outside the <speak> element")

    for root in roots:
        for element in root.iter():
            problems += _check_element(element, is_root=element is root)
        problems += _check_structure(root)

    audio = [
        element.attrib.get("src", "")
        for root in roots
        for element in root.iter()
        if local_name(element.tag) == "audio"
    ]
    if len(audio) > MAX_AUDIO_TAGS:
        problems.append(
            f"{len(audio)} <audio> tags; Alexa allows at most {MAX_AUDIO_TAGS} per response"
        )
    audio_ms = sum(sounds.duration_ms(src) or 0 for src in audio)
    if audio_ms > MAX_AUDIO_MS:
        problems.append(
            f"{audio_ms / 1000:g} s of audio; Alexa allows at most {MAX_AUDIO_MS // 1000} s"
        )
    return problems
