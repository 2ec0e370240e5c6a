"""SSML reading (segments, plain text, pauses) and Alexa validation, as tables of cases."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skill.alexa.ssml import (
    COMMA_PAUSE_MS,
    PARAGRAPH_PAUSE_MS,
    SENTENCE_PAUSE_MS,
    Segment,
    parse_segments,
    parse_time_ms,
    to_plain_text,
    total_pause_ms,
)
from skill.alexa.ssml_rules import MAX_SSML_CHARS, validate_alexa_ssml

CHIME = "soundbank://soundlibrary/musical/amzn_sfx_bell_short_chime_01"

STEP = (
    '<speak>Step one. Start in a high plank.<break time="3s"/>Ten seconds left.'
    '<break time="10s"/><emphasis level="moderate">Good</emphasis> &amp; done.</speak>'
)

# Expected segments: a string is a text run, a number is a pause in milliseconds.
SEGMENT_CASES: list[tuple[str, list[str | int]]] = [
    (STEP, ["Step one. Start in a high plank.", 3000, "Ten seconds left.", 10000, "Good & done."]),
    ("<speak>AT&amp;T &lt;3 &quot;q&quot; &apos;a&apos;</speak>", ["AT&T <3 \"q\" 'a'"]),
    ('<speak>a<break time="250ms"/>b</speak>', ["a", 250, "b"]),
    ('<speak>a<break time="1.5s"/>b</speak>', ["a", 1500, "b"]),
    ('<speak>a<break time="1s"/> <break time="2s"/>b</speak>', ["a", 3000, "b"]),
    ("<speak>a<break/>b</speak>", ["a", COMMA_PAUSE_MS, "b"]),
    ('<speak>a<break strength="weak"/>b</speak>', ["a", COMMA_PAUSE_MS, "b"]),
    ('<speak>a<break strength="strong"/>b</speak>', ["a", SENTENCE_PAUSE_MS, "b"]),
    ('<speak>a<break strength="x-strong"/>b</speak>', ["a", PARAGRAPH_PAUSE_MS, "b"]),
    ('<speak>go<break strength="none"/>on</speak>', ["go on"]),
    ('<speak>go<break strength="x-weak"/>on</speak>', ["go on"]),
    ('<speak><break time="2s" strength="weak"/>x</speak>', [2000, "x"]),
    ("<speak><s>One</s><s>Two</s></speak>", ["One", SENTENCE_PAUSE_MS, "Two"]),
    ("<speak><p>One</p><p>Two</p></speak>", ["One", PARAGRAPH_PAUSE_MS, "Two"]),
    # Structural pauses overlap (largest wins), explicit breaks add on top.
    ('<speak><s>a</s><break strength="strong"/><s>b</s></speak>', ["a", SENTENCE_PAUSE_MS, "b"]),
    ('<speak><s>a</s><break time="2s"/><s>b</s></speak>', ["a", 2000 + SENTENCE_PAUSE_MS, "b"]),
    ('<speak><s>a</s><break strength="none"/><s>b</s></speak>', ["a b"]),
    # At the edges only explicit breaks survive: a trailing countdown must be kept.
    ("<speak><p><s>Hi.</s></p></speak>", ["Hi."]),
    ('<speak>Hold.<break time="10s"/></speak>', ["Hold.", 10000]),
    ('<speak><break time="1s"/>Go.</speak>', [1000, "Go."]),
    ("<speak>\n  Lots   of\n\tspace  </speak>", ["Lots of space"]),
    ('<speak>Use <sub alias="aluminium">Al</sub> foil</speak>', ["Use aluminium foil"]),
    (
        '<speak><phoneme alphabet="x-sampa" ph="pI&apos;kA:n">pecan</phoneme> pie</speak>',
        ["pecan pie"],
    ),
    ('<speak><say-as interpret-as="cardinal">12</say-as> reps</speak>', ["12 reps"]),
    ('<speak><prosody rate="slow" pitch="+5%">slow</prosody> down</speak>', ["slow down"]),
    (
        '<speak><lang xml:lang="fr-FR">bonjour</lang> <voice name="Brian">hi</voice></speak>',
        ["bonjour hi"],
    ),
    ('<speak><amazon:effect name="whispered">psst</amazon:effect></speak>', ["psst"]),
    (
        '<speak><amazon:emotion name="excited" intensity="high">Yes!</amazon:emotion></speak>',
        ["Yes!"],
    ),
    ('<speak><amazon:domain name="news">News</amazon:domain></speak>', ["News"]),
    ('<speak><w role="amazon:VBD">read</w> it</speak>', ["read it"]),
    (
        '<speak>Ready?<audio src="https://example.com/a.mp3"/>Go!</speak>',
        ["Ready?", Segment(audio="https://example.com/a.mp3"), "Go!"],
    ),
    (
        f'<speak><s>Set one.</s><audio src="{CHIME}"/><s>Go.</s></speak>',
        ["Set one.", 500, Segment(pause_ms=710, audio=CHIME), 500, "Go."],
    ),
    ('<speak>Mark<mark name="m1"/>ed</speak>', ["Marked"]),
    ("<speak><unknown>still spoken</unknown></speak>", ["still spoken"]),
    ("<speak><!-- a comment --><?pi x?>text</speak>", ["text"]),
    ("<speak>a</speak><speak>b</speak>", ["a b"]),
    (
        '<speak xmlns="http://www.w3.org/2001/10/synthesis"><s>W3C</s><s>style</s></speak>',
        ["W3C", SENTENCE_PAUSE_MS, "style"],
    ),
    # Without <speak>: read as its content.
    ('Plain <break time="2s"/> text', ["Plain", 2000, "text"]),
    ("<s>One</s><s>Two</s>", ["One", SENTENCE_PAUSE_MS, "Two"]),
    ("", []),
    ("<speak/>", []),
    ("<speak> </speak>", []),
    ('<speak><break time="3s"/></speak>', [3000]),
    # Not well-formed: read tag by tag instead of failing.
    ('AT&T <break time="2s"/> rocks', ["AT&T", 2000, "rocks"]),
    ("<speak>Fish &amp; chips &nbsp; & peas", ["Fish & chips & peas"]),
    ("<speak><s>One<s>Two</speak>", ["One", SENTENCE_PAUSE_MS, "Two"]),
    ("<speak><sub alias='ten'>10</sub> & <sub alias=\"x\"/>y</speak>", ["ten & xy"]),
    ('<speak><p>a</p><break strength="x-weak"/>b &', ["a b &"]),
    ("a < b > c", ["a < b > c"]),
    ('Ready? & <audio src="x"/>Go<sub>!</sub>', ["Ready? &", Segment(audio="x"), "Go!"]),
]


@pytest.mark.parametrize(("ssml", "expected"), SEGMENT_CASES)
def test_parse_segments(ssml: str, expected: list[str | int | Segment]) -> None:
    assert parse_segments(ssml) == [
        item
        if isinstance(item, Segment)
        else Segment(pause_ms=item)
        if isinstance(item, int)
        else Segment(text=item)
        for item in expected
    ]


def test_segments_are_either_text_or_pause() -> None:
    segments = parse_segments(STEP)
    assert [segment.is_pause for segment in segments] == [False, True, False, True, False]
    assert all(bool(segment.text) != bool(segment.pause_ms) for segment in segments)


@pytest.mark.parametrize(
    ("ssml", "expected"),
    [
        (STEP, "Step one. Start in a high plank. Ten seconds left. Good & done."),
        ('<speak>I like <sub alias="aluminium">Al</sub>.</speak>', "I like aluminium."),
        ("<speak><p>One</p><p>Two</p></speak>", "One Two"),
        ("<speak>AT&amp;T</speak>", "AT&T"),
        ('<speak><break time="3s"/></speak>', ""),
    ],
)
def test_to_plain_text(ssml: str, expected: str) -> None:
    assert to_plain_text(ssml) == expected


@pytest.mark.parametrize(
    ("ssml", "expected"),
    [
        (STEP, 13_000),
        ("<speak>No pauses.</speak>", 0),
        ('<speak>a<break time="500ms"/>b<break time="2s"/>c</speak>', 2500),
        ("<speak><s>a</s><s>b</s></speak>", SENTENCE_PAUSE_MS),
    ],
)
def test_total_pause_ms(ssml: str, expected: int) -> None:
    assert total_pause_ms(ssml) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("3s", 3000), ("250ms", 250), ("1.5s", 1500), (".5s", 500), ("0ms", 0), (" 2s ", 2000)],
)
def test_parse_time_ms(value: str, expected: int) -> None:
    assert parse_time_ms(value) == expected


@pytest.mark.parametrize("value", ["", "3", "s", "3 sec", "-1s", "1m", "3S", "abc"])
def test_parse_time_ms_rejects(value: str) -> None:
    assert parse_time_ms(value) is None


def test_unparseable_break_time_falls_back_to_strength() -> None:
    segments = parse_segments('<speak>a<break time="soon"/>b</speak>')
    assert segments[1] == Segment(pause_ms=COMMA_PAUSE_MS)


# --- Never raising on anything -----------------------------------------------------------

SSML_FRAGMENTS = st.sampled_from(
    [
        "<speak>", "</speak>", "<s>", "</s>", "<p>", "</p>", '<break time="2s"/>',
        '<break strength="none"/>', "<break", 'time="', "&amp;", "&", "&#x41;", "&#0;",
        '<sub alias="x">', "</sub>", "<amazon:effect>", "</amazon:effect>", "<![CDATA[",
        "]]>", "<!--", "-->", "<", ">", "/>", " ", "\n", "word", "\x00", "\ud800", "é",
    ]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(), st.lists(SSML_FRAGMENTS | st.text(max_size=5)).map("".join)))
def test_reading_never_raises(ssml: str) -> None:
    segments = parse_segments(ssml)
    assert all(isinstance(segment, Segment) for segment in segments)
    assert all(segment.pause_ms >= 0 for segment in segments)
    assert all(segment.text == " ".join(segment.text.split()) for segment in segments)
    assert isinstance(to_plain_text(ssml), str)
    assert total_pause_ms(ssml) >= 0
    assert isinstance(validate_alexa_ssml(ssml), list)


# --- Validation ------------------------------------------------------------------------

VALID = [
    STEP,
    "<speak>Hello.</speak>",
    "<speak></speak>",
    "  <speak>Leading and trailing whitespace is fine.</speak>\n",
    '<speak><break time="10s"/><break time="10000ms"/><break time="0.5s"/></speak>',
    "".join(f'<speak><break strength="{s}"/>' for s in ["x-strong"]) + "</speak>",
    '<speak><break strength="none"/><break strength="x-weak"/><break strength="weak"/>'
    '<break strength="medium"/><break strength="strong"/><break strength="x-strong"/></speak>',
    '<speak><emphasis>a</emphasis><emphasis level="strong">b</emphasis>'
    '<emphasis level="reduced">c</emphasis></speak>',
    '<speak><lang xml:lang="en-GB">colour</lang></speak>',
    "<speak><p><s>One.</s><s>Two.</s></p></speak>",
    '<speak><phoneme alphabet="x-sampa" ph="pI\'kA:n">pecan</phoneme></speak>',
    '<speak><prosody rate="20%" pitch="-33.3%" volume="+4.08dB">a</prosody>'
    '<prosody rate="x-fast" pitch="x-high" volume="x-soft">b</prosody>'
    '<prosody pitch="+50%" volume="-6dB">c</prosody></speak>',
    '<speak><say-as interpret-as="date" format="dmy">01-02-2024</say-as>'
    '<say-as interpret-as="spell-out">abc</say-as>'
    '<say-as interpret-as="interjection">boom</say-as></speak>',
    '<speak><sub alias="aluminium">Al</sub></speak>',
    '<speak><voice name="Brian">Hi</voice><voice name="Penélope">Hola</voice></speak>',
    '<speak><w role="amazon:SENSE_1">bass</w></speak>',
    '<speak><audio src="https://example.com/1.mp3"/>' * 1 + "</speak>",
    "<speak>" + '<audio src="https://example.com/a.mp3"/>' * 5 + "</speak>",
    "<speak>" + f'<audio src="{CHIME}"/>' * 5 + "</speak>",
    '<speak><amazon:domain name="conversational">Hi</amazon:domain></speak>',
    '<speak><amazon:effect name="whispered">psst</amazon:effect></speak>',
    '<speak><amazon:emotion name="disappointed" intensity="low">Oh.</amazon:emotion></speak>',
    '<speak>Tap<mark name="here"/>now</speak>',
    "<speak>" + "a" * (MAX_SSML_CHARS - len("<speak></speak>")) + "</speak>",
]


@pytest.mark.parametrize("ssml", VALID)
def test_valid_ssml_has_no_problems(ssml: str) -> None:
    assert validate_alexa_ssml(ssml) == []


INVALID = [
    # (ssml, a fragment of the one expected problem)
    ("<speak>Hello", "not well-formed XML"),
    ("<speak>AT&T</speak>", "not well-formed XML: not well-formed (invalid token) at line 1"),
    ("<speak>\n<p>x</b></speak>", "mismatched tag at line 2, column 7"),
    ("<speak>a &nbsp; b</speak>", "undefined entity"),
    ("<speak><x:y>a</x:y></speak>", "unbound prefix"),
    ("<speak>\ud800</speak>", "not well-formed XML"),
    ("Hello", "missing the <speak> root element"),
    ("", "missing the <speak> root element"),
    ("<p>Hello</p>", "found <p>"),
    ("<speak>a</speak><speak>b</speak>", "found <speak>, <speak>"),
    ("<speak><p><speak>x</speak></p></speak>", "<speak> must not be nested"),
    ('<speak version="1.0">x</speak>', "<speak>: attribute 'version' is not allowed"),
    ("<speak><b>bold</b></speak>", "<b>: not a tag Alexa supports"),
    ('<speak><amazon:breath duration="long"/></speak>', "<amazon:breath>: not a tag"),
    ('<speak><break time="11s"/></speak>', "longer than Alexa's maximum"),
    ('<speak><break time="10001ms"/></speak>', "longer than Alexa's maximum"),
    ('<speak><break time="3 seconds"/></speak>', "time must be a number"),
    ('<speak><break time=" 3s"/></speak>', "time must be a number"),
    ('<speak><break strength="huge"/></speak>', "strength must be one of"),
    ('<speak><break length="3s"/></speak>', "attribute 'length' is not allowed"),
    ("<speak><break>x</break></speak>", "<break> must be empty"),
    ('<speak><emphasis level="loud">a</emphasis></speak>', '<emphasis level="loud">'),
    ('<speak><lang xml:lang="xx-YY">a</lang></speak>', '<lang xml:lang="xx-YY">'),
    ("<speak><lang>a</lang></speak>", "attribute 'xml:lang' is required"),
    ('<speak><phoneme ph="x">a</phoneme></speak>', "attribute 'alphabet' is required"),
    ('<speak><phoneme alphabet="arpabet" ph="x">a</phoneme></speak>', 'alphabet="arpabet"'),
    ("<speak><prosody>a</prosody></speak>", "needs at least one of rate, pitch or volume"),
    ('<speak><prosody rate="19%">a</prosody></speak>', 'rate="19%"'),
    ('<speak><prosody rate="fastest">a</prosody></speak>', 'rate="fastest"'),
    ('<speak><prosody pitch="+51%">a</prosody></speak>', 'pitch="+51%"'),
    ('<speak><prosody pitch="-34%">a</prosody></speak>', 'pitch="-34%"'),
    ('<speak><prosody pitch="10%">a</prosody></speak>', 'pitch="10%"'),
    ('<speak><prosody volume="+5dB">a</prosody></speak>', 'volume="+5dB"'),
    ('<speak><prosody volume="6dB">a</prosody></speak>', 'volume="6dB"'),
    ('<speak><prosody amazon:max-duration="2s">a</prosody></speak>', "'amazon:max-duration'"),
    ('<speak><say-as interpret-as="card">1</say-as></speak>', 'interpret-as="card"'),
    ("<speak><say-as>1</say-as></speak>", "attribute 'interpret-as' is required"),
    ('<speak><say-as interpret-as="date" format="iso">x</say-as></speak>', 'format="iso"'),
    ('<speak><say-as interpret-as="cardinal" format="dmy">1</say-as></speak>', "only allowed"),
    ("<speak><sub>Al</sub></speak>", "attribute 'alias' is required"),
    ('<speak><voice name="en-US">x</voice></speak>', "not a voice name"),
    ('<speak><w role="verb">x</w></speak>', 'role="verb"'),
    ('<speak><audio src="http://example.com/a.mp3"/></speak>', "src must be https or a soundbank"),
    (
        '<speak><audio src="soundbank://soundlibrary/musical/amzn_sfx_made_up_01"/></speak>',
        "not a Sound Library sound we know",
    ),
    ("<speak><audio/></speak>", "attribute 'src' is required"),
    ("<speak>" + '<audio src="https://example.com/a.mp3"/>' * 6 + "</speak>", "6 <audio> tags"),
    ('<speak><amazon:domain name="sports">x</amazon:domain></speak>', 'name="sports"'),
    ('<speak><amazon:effect name="shouted">x</amazon:effect></speak>', 'name="shouted"'),
    ('<speak><amazon:emotion name="angry" intensity="high">x</amazon:emotion></speak>', "angry"),
    ('<speak><amazon:emotion name="excited">x</amazon:emotion></speak>', "'intensity' is required"),
    ("<speak><mark/></speak>", "attribute 'name' is required"),
    ("<speak>" + "a" * (MAX_SSML_CHARS - len("<speak></speak>") + 1) + "</speak>", "too long"),
]


@pytest.mark.parametrize(("ssml", "problem"), INVALID)
def test_each_rule_violation_is_reported(ssml: str, problem: str) -> None:
    problems = validate_alexa_ssml(ssml)
    assert any(problem in reported for reported in problems), problems


def test_text_outside_speak_is_reported() -> None:
    assert "text outside the <speak> element" in validate_alexa_ssml("Hi <speak>x</speak>")


def test_every_problem_is_reported_not_just_the_first() -> None:
    problems = validate_alexa_ssml(
        '<speak><break time="20s"/><foo/><emphasis level="x">a</emphasis></speak>'
    )
    assert len(problems) == 3, problems


def test_length_is_checked_even_when_malformed() -> None:
    problems = validate_alexa_ssml("<speak>" + "&" * MAX_SSML_CHARS)
    assert [problem.split(":")[0] for problem in problems] == ["too long", "not well-formed XML"]


@pytest.mark.parametrize(
    "nested",
    ["<speak><s>a <s>b</s></s></speak>", "<speak><s>a <p>b</p></s></speak>",
     "<speak><p>a <p>b</p></p></speak>", "<speak><p><emphasis><p>x</p></emphasis></p></speak>"],
)  # fmt: skip
def test_sentences_and_paragraphs_do_not_nest(nested: str) -> None:
    assert any("inside" in problem for problem in validate_alexa_ssml(nested))
    assert validate_alexa_ssml("<speak><p><s>a</s> <s>b</s></p></speak>") == []


def test_total_audio_time_is_limited(monkeypatch) -> None:
    from skill.alexa import sounds

    assert validate_alexa_ssml(f'<speak><audio src="{CHIME}"/>Go</speak>') == []
    monkeypatch.setattr(sounds, "duration_ms", lambda src: 20_000)
    problems = validate_alexa_ssml("<speak>" + f'<audio src="{CHIME}"/>' * 5 + "</speak>")
    assert problems == ["100 s of audio; Alexa allows at most 90 s"]
