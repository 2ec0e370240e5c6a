"""Alexa SSML read back as text and pauses: the one reader of the skill's speech.

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

from skill.alexa import sounds

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
    audio: str = ""  # an <audio> src: a silence as long as the sound, for who cannot play it

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


_WORD_GAP = _Boundary()  # a misplaced <speak>: nothing to say, but still a word boundary


@dataclass(frozen=True)
class _Audio:
    """An <audio> element: a segment of its own, as long as the sound (0 when unknown)."""

    src: str


_Token = str | _Boundary | _Audio


def local_name(tag: str) -> str:
    """Name an element as it was written: "amazon:effect", "break", or "{uri}x"."""
    if tag.startswith(f"{{{_AMAZON_NS}}}"):
        return "amazon:" + tag.rpartition("}")[2]
    if tag.startswith("{http://www.w3.org/2001/10/synthesis}"):
        return tag.rpartition("}")[2]
    return tag


def attribute_name(key: str) -> str:
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
    name = local_name(element.tag)
    if name == "break":
        return [_break_boundary(element.attrib)]
    if name == "audio":
        return [_Audio(element.attrib.get("src", ""))]
    if name == "mark":
        return []
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


def parse_wrapped(ssml: str) -> ET.Element:
    """Parse inside the namespace-declaring wrapper; raises ET.ParseError or ValueError."""
    return ET.fromstring(_WRAPPER_OPEN + ssml + _WRAPPER_CLOSE)


def _speech_root(wrapper: ET.Element) -> ET.Element:
    """The <speak> element when the input is a <speak> document, else the wrapper itself.

    Treating the wrapper as the root is what "wrap in <speak> if missing" means here.
    """
    children = list(wrapper)
    only_speak = (
        len(children) == 1
        and local_name(children[0].tag) == "speak"
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
            tokens.append(_Audio(attributes.get("src", "")))
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
        wrapper = parse_wrapped(ssml)
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
        if isinstance(token, _Audio):
            close_run(at_edge=not segments and not "".join(words).strip())
            flush_words()
            duration = sounds.duration_ms(token.src) or 0
            segments.append(Segment(pause_ms=duration, audio=token.src))
        elif isinstance(token, _Boundary):
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
    ``<w>`` and the ``amazon:*`` tags give their text, ``<audio>`` is a segment of its
    own (``audio`` its src, ``pause_ms`` the sound's length when it is a Sound Library
    sound we know, else 0), ``<mark>`` gives nothing. Input without a ``<speak>`` root is
    read as its content, and input that is not well-formed XML is read tag by tag rather
    than rejected: a coach that stops talking over a stray "&" is worse than one that
    reads it.
    """
    return _segments_from_tokens(_ssml_tokens(ssml))


def to_plain_text(ssml: str) -> str:
    """The words of a response as a card or console shows them, pauses as single spaces."""
    return " ".join(segment.text for segment in parse_segments(ssml) if not segment.is_pause)


_SPACE_BEFORE_PUNCTUATION = re.compile(r"\s+([.,!?;:])")


def tidy_spacing(text: str) -> str:
    """No space before punctuation, where joining runs at pauses left one."""
    return _SPACE_BEFORE_PUNCTUATION.sub(r"\1", text)


def plain_text(ssml: str) -> str:
    """The words of a response as a person reads them: no markup, tidy punctuation."""
    return tidy_spacing(to_plain_text(ssml))


# Alexa's normal speaking rate, for estimating when words end (a screen's countdown starts
# from that): about 150 words a minute, which for English at about six characters a word,
# the space included, is 15 characters a second. Alexa does not report how long its speech
# takes, so this is an estimate; explicit breaks are exact.
ALEXA_CHARACTERS_PER_SECOND = 15


def estimated_speech_ms(ssml: str) -> int:
    """How long Alexa takes to say a response: pauses exact, words from their length."""
    total = 0.0
    for segment in parse_segments(ssml):
        total += segment.pause_ms or len(segment.text) * 1000 / ALEXA_CHARACTERS_PER_SECOND
    return round(total)


def total_pause_ms(ssml: str) -> int:
    """Total silence a response asks for, in milliseconds (engine pauses not included)."""
    return sum(segment.pause_ms for segment in parse_segments(ssml))
