"""Alexa SSML: reading it back as text and pauses, and checking it against Alexa's rules.

The skill answers in SSML, but the local runner speaks through espeak-ng (via pyttsx3),
which is given plain text, and the console and cards print plain text. So an SSML
response is turned into a flat list of text runs and pauses here, once, and every
consumer (the speaker, the console, the tests) reads that list instead of regexing
markup of its own.

Pause lengths. Alexa documents break strengths only relative to punctuation, so the
values below are this module's choice, picked to sound like Alexa at espeak-ng's
default 200 words per minute:

=====================  =========  ===============================================
markup                 pause      Alexa's description
=====================  =========  ===============================================
strength="none"        0 ms       no pause; also removes a sentence/paragraph pause
strength="x-weak"      0 ms       no pause (same as none)
strength="weak"        300 ms     as if separated by a comma (same as medium)
strength="medium"      300 ms     as if separated by a comma (the default strength)
strength="strong"      500 ms     a sentence break (same as ``<s>``)
strength="x-strong"    750 ms     a paragraph break (same as ``<p>``)
``<s>`` boundary       500 ms     before and after a sentence
``<p>`` boundary       750 ms     before and after a paragraph
time="Ns" / "Nms"      exactly N  an explicit pause
=====================  =========  ===============================================

Adjacent pauses merge into one (whitespace between them does not separate them):
explicit ``time`` breaks add up, while structural pauses (strengths, ``<s>``, ``<p>``)
overlap, so a run counts only the largest of them once - ``</s><break strength="strong"/>``
is one sentence pause, not two. A ``none``/``x-weak`` break in the run cancels the
structural part (Alexa: "remove a pause that would normally occur"). Structural pauses
at the very start or end of a response separate nothing and are dropped; explicit
``time`` breaks are always kept, because a trailing ``<break time="10s"/>`` is a
countdown the runner must honour.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

# --- Pause lengths (milliseconds); see the module docstring for the reasoning. ---
COMMA_PAUSE_MS = 300
SENTENCE_PAUSE_MS = 500
PARAGRAPH_PAUSE_MS = 750
BREAK_STRENGTH_MS: dict[str, int] = {
    "none": 0,
    "x-weak": 0,
    "weak": COMMA_PAUSE_MS,
    "medium": COMMA_PAUSE_MS,
    "strong": SENTENCE_PAUSE_MS,
    "x-strong": PARAGRAPH_PAUSE_MS,
}
# Strengths that mean "no pause here", cancelling structural pauses in the same run.
_PAUSE_CANCELLING_STRENGTHS = frozenset({"none", "x-weak"})

# --- Alexa limits. ---
# Longest <break time>, in milliseconds ("10s" or "10000ms").
MAX_BREAK_MS = 10_000
# Longest outputSpeech Alexa accepts, counted over the whole SSML string, tags included.
MAX_SSML_CHARS = 8_000
# Most <audio> elements allowed in one response.
MAX_AUDIO_TAGS = 5

# The namespace bound to the "amazon:" prefix while parsing. Alexa's amazon:* tags are
# written without an xmlns declaration, which ElementTree (expat) rejects as an unbound
# prefix, so every document is parsed inside a wrapper element that declares it.
_AMAZON_NS = "urn:step-coach:amazon-ssml"
_XML_NS = "http://www.w3.org/XML/1998/namespace"
_WRAPPER_OPEN = f'<step-coach-root xmlns:amazon="{_AMAZON_NS}">\n'
_WRAPPER_CLOSE = "</step-coach-root>"

_TIME_RE = re.compile(r"^\s*(\d+(?:\.\d+)?|\.\d+)\s*(ms|s)\s*$")


@dataclass(frozen=True)
class Segment:
    """One piece of a response: either words to speak or a silence, never both.

    A flat list of these is all a speech engine without SSML support needs.
    """

    text: str = ""
    pause_ms: int = 0

    @property
    def is_pause(self) -> bool:
        """True for a silence, so callers need not compare text with ""."""
        return not self.text


def parse_time_ms(value: str) -> int | None:
    """Read an SSML time such as "3s", "250ms" or "1.5s"; None when it is not one."""
    match = _TIME_RE.match(value)
    if match is None:
        return None
    number, unit = float(match.group(1)), match.group(2)
    return round(number * 1000) if unit == "s" else round(number)


# --- Parsing: SSML -> tokens -> segments ---------------------------------------------
#
# Parsing first produces a stream of tokens: words (str) and boundaries (_Boundary).
# Both the ElementTree path and the regex fallback produce the same stream, so the
# merging rules live in one place (_segments_from_tokens).


@dataclass(frozen=True)
class _Boundary:
    """A place where speech stops: an explicit break, a structural pause or a word gap."""

    explicit_ms: int = 0  # from <break time>: adds up within a run
    structural_ms: int = 0  # from strengths, <s> and <p>: the largest in a run counts
    cancels: bool = False  # strength none/x-weak: no structural pause in this run


_WORD_GAP = _Boundary()  # <audio>: nothing to say, but still a word boundary

_Token = str | _Boundary


def _local_name(tag: str) -> str:
    """Name an element as it was written: "amazon:effect", "break", or "{uri}x"."""
    if tag.startswith(f"{{{_AMAZON_NS}}}"):
        return "amazon:" + tag.rpartition("}")[2]
    if tag.startswith("{http://www.w3.org/2001/10/synthesis}"):
        return tag.rpartition("}")[2]
    return tag


def _attribute_name(key: str) -> str:
    """Name an attribute as it was written: "xml:lang" rather than "{...}lang"."""
    if key.startswith(f"{{{_XML_NS}}}"):
        return "xml:" + key.rpartition("}")[2]
    if key.startswith(f"{{{_AMAZON_NS}}}"):
        return "amazon:" + key.rpartition("}")[2]
    return key


def _break_boundary(attributes: dict[str, str]) -> _Boundary:
    """A <break>: time wins over strength (as in W3C SSML); no attributes means medium."""
    time_ms = parse_time_ms(attributes.get("time", ""))
    if time_ms is not None:
        return _Boundary(explicit_ms=time_ms)
    strength = attributes.get("strength", "medium").strip()
    if strength in _PAUSE_CANCELLING_STRENGTHS:
        return _Boundary(cancels=True)
    return _Boundary(structural_ms=BREAK_STRENGTH_MS.get(strength, COMMA_PAUSE_MS))


def _element_tokens(element: ET.Element) -> list[_Token]:
    """Tokens for an element's own content (its tail belongs to the parent)."""
    name = _local_name(element.tag)
    if name == "break":
        return [_break_boundary(element.attrib)]
    if name in ("audio", "mark"):
        # Audio cannot be played locally and a mark is silent; audio still separates words.
        return [_WORD_GAP] if name == "audio" else []
    if name == "sub" and "alias" in element.attrib:
        return [element.attrib["alias"]]

    tokens: list[_Token] = []
    if element.text:
        tokens.append(element.text)
    for child in element:
        tokens.extend(_element_tokens(child))
        if child.tail:
            tokens.append(child.tail)

    if name == "s":
        edge = _Boundary(structural_ms=SENTENCE_PAUSE_MS)
        return [edge, *tokens, edge]
    if name == "p":
        edge = _Boundary(structural_ms=PARAGRAPH_PAUSE_MS)
        return [edge, *tokens, edge]
    if name == "speak":
        # Only reached for a misplaced <speak> (nested, or several roots): keep its words
        # apart from its neighbours'.
        return [_WORD_GAP, *tokens, _WORD_GAP]
    return tokens


def _parse_wrapped(ssml: str) -> ET.Element:
    """Parse inside the namespace-declaring wrapper; raises ET.ParseError or ValueError."""
    return ET.fromstring(_WRAPPER_OPEN + ssml + _WRAPPER_CLOSE)


def _speech_root(wrapper: ET.Element) -> ET.Element:
    """The <speak> element when the input is a <speak> document, else the wrapper itself.

    Treating the wrapper as the root is what "wrap in <speak> if missing" means here.
    """
    children = list(wrapper)
    only_speak = (
        len(children) == 1
        and _local_name(children[0].tag) == "speak"
        and not (wrapper.text or "").strip()
        and not (children[0].tail or "").strip()
    )
    return children[0] if only_speak else wrapper


_TAG_RE = re.compile(r"<(/?)([A-Za-z_][\w:.-]*)([^<>]*?)(/?)>")
_ATTRIBUTE_RE = re.compile(r"""([A-Za-z_][\w:.-]*)\s*=\s*(?:"([^"]*)"|'([^']*)')""")


def _fallback_tokens(ssml: str) -> list[_Token]:
    """Tokens for markup that is not well-formed XML, read tag by tag with a regex.

    Speech must not crash on a stray "&" or an unclosed tag: this keeps the words,
    the breaks, <s>/<p> pauses and <sub> aliases, and drops every other tag.
    """
    tokens: list[_Token] = []
    skipping_sub_content = False
    position = 0
    for match in _TAG_RE.finditer(ssml):
        if not skipping_sub_content:
            tokens.append(html.unescape(ssml[position : match.start()]))
        position = match.end()
        closing, name, attribute_text, self_closing = match.groups()
        attributes = {
            key: html.unescape(double or single)
            for key, double, single in _ATTRIBUTE_RE.findall(attribute_text)
        }
        if name == "break" and not closing:
            tokens.append(_break_boundary(attributes))
        elif name == "audio" and not closing:
            tokens.append(_WORD_GAP)
        elif name in ("s", "p"):
            pause = SENTENCE_PAUSE_MS if name == "s" else PARAGRAPH_PAUSE_MS
            tokens.append(_Boundary(structural_ms=pause))
        elif name == "sub":
            if closing:
                skipping_sub_content = False
            elif "alias" in attributes:
                tokens.append(attributes["alias"])
                skipping_sub_content = not self_closing
    if not skipping_sub_content:
        tokens.append(html.unescape(ssml[position:]))
    return tokens


def _ssml_tokens(ssml: str) -> list[_Token]:
    try:
        wrapper = _parse_wrapped(ssml)
    except (ET.ParseError, ValueError):
        return _fallback_tokens(ssml)
    return _element_tokens(_speech_root(wrapper))


def _normalise_space(text: str) -> str:
    return " ".join(text.split())


def _segments_from_tokens(tokens: list[_Token]) -> list[Segment]:
    segments: list[Segment] = []
    words: list[str] = []
    run: list[_Boundary] = []

    def close_run(*, at_edge: bool) -> None:
        """Turn the pending run of boundaries into one pause, or a word gap."""
        if not run:
            return
        explicit = sum(boundary.explicit_ms for boundary in run)
        structural = max(boundary.structural_ms for boundary in run)
        if at_edge or any(boundary.cancels for boundary in run):
            structural = 0
        run.clear()
        pause_ms = explicit + structural
        if pause_ms <= 0:
            words.append(" ")
            return
        flush_words()
        segments.append(Segment(pause_ms=pause_ms))

    def flush_words() -> None:
        text = _normalise_space("".join(words))
        words.clear()
        if text:
            segments.append(Segment(text=text))

    for token in tokens:
        if isinstance(token, _Boundary):
            run.append(token)
        elif token.strip():
            close_run(at_edge=not segments and not "".join(words).strip())
            words.append(token)
        else:
            words.append(token)  # whitespace neither ends a run nor starts words
    close_run(at_edge=True)
    flush_words()
    return segments


# --- Public reading API ---------------------------------------------------------------


def parse_segments(ssml: str) -> list[Segment]:
    """Split a response into text runs and pauses, in speaking order.

    Text is whitespace-normalised with entities decoded; ``<sub>`` gives its alias,
    ``<phoneme>``, ``<say-as>``, ``<emphasis>``, ``<prosody>``, ``<lang>``, ``<voice>``,
    ``<w>`` and the ``amazon:*`` tags give their text, ``<audio>`` and ``<mark>`` give
    nothing. Input without a ``<speak>`` root is read as its content, and input that is
    not well-formed XML is read tag by tag rather than rejected: a coach that stops
    talking over a stray "&" is worse than one that reads it.
    """
    return _segments_from_tokens(_ssml_tokens(ssml))


def to_plain_text(ssml: str) -> str:
    """The words of a response as a card or console shows them, pauses as single spaces."""
    return " ".join(segment.text for segment in parse_segments(ssml) if not segment.is_pause)


def total_pause_ms(ssml: str) -> int:
    """Total silence a response asks for, in milliseconds (engine pauses not included)."""
    return sum(segment.pause_ms for segment in parse_segments(ssml))


# --- Validation against Alexa's rules -------------------------------------------------
#
# Rules as documented in the Alexa Skills Kit "Speech Synthesis Markup Language (SSML)
# Reference". Each tag lists its allowed attributes, which of them are required and, where
# Alexa restricts them, the allowed values. Anything outside these tables is reported.

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
        if not attributes["src"].startswith("https://"):
            problems.append(f'<audio src="{attributes["src"]}">: src must be an https URL')
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
    tag = _local_name(element.tag)
    if tag == "speak" and not is_root:
        return ["<speak> must not be nested inside another element"]
    if tag not in _TAG_ATTRIBUTES:
        return [f"<{tag}>: not a tag Alexa supports"]
    allowed, required = _TAG_ATTRIBUTES[tag]
    attributes = {_attribute_name(key): value for key, value in element.attrib.items()}
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
        outer = _local_name(element.tag)
        forbidden = _FORBIDDEN_INSIDE.get(outer)
        if not forbidden:
            continue
        for inner in element.iter():
            if inner is not element and _local_name(inner.tag) in forbidden:
                problems.append(f"<{_local_name(inner.tag)}> inside <{outer}> is not allowed")
    return problems


def validate_alexa_ssml(ssml: str) -> list[str]:
    """Every way this response breaks Alexa's SSML rules; an empty list means valid.

    Checked: the whole string is at most 8000 characters (Alexa counts the SSML, tags
    and all); it is well-formed XML whose single root is ``<speak>``, with no text
    outside it and no ``<speak>`` nested inside; every tag is one Alexa supports, with
    only its documented attributes, its required attributes present and documented
    values (break time at most 10s/10000ms and break strengths, emphasis levels,
    lang locales, phoneme alphabets, prosody rate/pitch/volume words and ranges,
    say-as interpret-as and date formats, w roles, https audio sources, amazon:domain,
    amazon:effect and amazon:emotion names); ``<break>``, ``<audio>`` and ``<mark>``
    are empty; no ``<s>`` or ``<p>`` sits inside an ``<s>``, no ``<p>`` inside a ``<p>``;
    and there are at most 5 ``<audio>`` tags. Messages name the tag and
    value so a failing test says what to fix.
    """
    problems = []
    if len(ssml) > MAX_SSML_CHARS:
        problems.append(f"too long: {len(ssml)} characters, Alexa accepts at most {MAX_SSML_CHARS}")
    try:
        wrapper = _parse_wrapped(ssml)
    except ET.ParseError as error:
        return [*problems, _parse_error_message(ssml, error)]
    except ValueError as error:  # for example a lone surrogate that cannot be encoded
        return [*problems, f"not well-formed XML: {error}"]

    roots = list(wrapper)
    if not roots:
        problems.append("missing the <speak> root element")
    elif len(roots) != 1 or _local_name(roots[0].tag) != "speak":
        found = ", ".join(f"<{_local_name(root.tag)}>" for root in roots)
        problems.append(f"the root element must be a single <speak>; found {found}")
    if (wrapper.text or "").strip() or any((root.tail or "").strip() for root in roots):
        problems.append("text outside the <speak> element")

    for root in roots:
        for element in root.iter():
            problems += _check_element(element, is_root=element is root)
        problems += _check_structure(root)

    audio_count = sum(
        1 for root in roots for element in root.iter() if _local_name(element.tag) == "audio"
    )
    if audio_count > MAX_AUDIO_TAGS:
        problems.append(
            f"{audio_count} <audio> tags; Alexa allows at most {MAX_AUDIO_TAGS} per response"
        )
    return problems
