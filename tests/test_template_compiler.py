"""The template compiler: what it translates renders as Jinja renders it; the rest is refused."""

from __future__ import annotations

from collections import namedtuple
from pathlib import Path
from typing import Any

import jinja2
import pytest

from skill.coach.template_compiler import JINJA_OPTIONS, SourceTemplates, TemplateCompileError
from skill.coach.template_runtime import (
    CompiledTemplate,
    Library,
    Undefined,
    UndefinedError,
    attr,
    item,
)

Beat = namedtuple("Beat", "kind value")
DATA: dict[str, Any] = {
    "name": "glute bridges",
    "n": 3,
    "none_value": None,
    "items": [Beat("count", 1), Beat("pause", 500), Beat("count", 2)],
    "mapping": {"a": 1, "b": 2},
    "unsafe": '<audio src="x"/> AT&T',
    "flag": False,
}
# Each construct the coach's templates may use, in a block.
SNIPPETS = [
    "plain text & <s>markup</s> stays as written",
    "{{ name }} {{ n }} {{ none_value }} {{ flag }} {{ unsafe }}",
    "{{ name | capitalize }} {{ unsafe | capitalize }}",
    "{% if n > 2 %}big{% elif n == 2 %}two{% else %}small{% endif %}",
    "{% if none_value is none and not flag %}yes{% endif %}{% if name is not none %}!{% endif %}",
    "{% for b in items %}{{ loop.index }}/{{ loop.length }}{{ b.kind }}"
    "{{ ',' if not loop.last }}{% endfor %}",
    "{% for b in items %}{{ loop.index0 }}{{ loop.first }}{{ loop.revindex }}{% endfor %}",
    "{% for k in mapping %}{{ k }}={{ mapping[k] }};{% endfor %}",
    "{% for k, v in mapping.items() %}{% set twice = v * 2 %}{{ k }}{{ twice }}{% endfor %}",
    "{% set x = n %}{% for b in items %}{% set x = b.value %}{% if x %}{{ x }}{% endif %}"
    "{% endfor %}{{ x }}",
    "{% for b in items %}{% for c in items %}{{ loop.index }}{% endfor %}"
    "|{{ loop.index }}{% endfor %}",
    "{{ 's' if n != 1 }} {{ 'x' if flag }} {{ 'a' if flag else 'b' }} {{ name or 'none' }}",
    "{{ n + 1 }} {{ n - 1 }} {{ n * 2 }} {{ n / 2 }} {{ n // 2 }} {{ n % 2 }} {{ -n }}",
    "{{ {'a': 'A', 'b': 'B'}[mapping.b and 'b'] }} {{ [1, 2, 3][n - 1] }} {{ mapping.a }}",
    "{{ items[0].kind }} {{ items[1]['value'] }} {{ 'a' in mapping }} {{ 'z' not in mapping }}",
    "{{ 1 < n <= 3 }} {{ n >= 4 }} {{ (1, 2) }} {{ name.upper() }}",
    "{% if missing is none %}a missing name is no None{% else %}fine{% endif %}",
    "{% if flag and missing %}short-circuit spares the missing name{% endif %}",
]
LIBRARY = """
{% macro greet(who, punctuation="!") -%}Hi {{ who }}{{ punctuation }}{%- endmacro %}
{% macro count(items) -%}{% for b in items %}<s>{{ b.value }}</s>{% endfor %}{%- endmacro %}
{% macro both(who) -%}{{ greet(who) }} {{ greet(who, "?") }} {{ pick }}{%- endmacro %}
{% macro bare(x) -%}[{{ x is none }}]{%- endmacro %}
{% macro shadows(list, len, c, g) -%}
{% for i in list %}{{ loop.length }}{{ len }}{% endfor %}
{%- endmacro %}
"""


def _compiled(name: str, source: str) -> CompiledTemplate:
    return SourceTemplates({name: source})[name]


def _jinja(templates: dict[str, str], globals_: dict[str, Any]) -> jinja2.Environment:
    environment = jinja2.Environment(loader=jinja2.DictLoader(templates), **JINJA_OPTIONS)  # type: ignore[arg-type]
    environment.globals.update(globals_)
    return environment


@pytest.mark.parametrize("snippet", SNIPPETS)
def test_a_block_renders_as_jinja_renders_it(snippet: str) -> None:
    source = f"{{% block speech %}}{snippet}{{% endblock %}}"
    compiled = _compiled("t.ssml.j2", source)
    template = _jinja({"t": source}, {}).get_template("t")
    expected = "".join(template.blocks["speech"](template.new_context(DATA)))
    assert compiled.blocks["speech"](DATA) == expected


def test_a_library_builds_its_macros_as_jinja_does() -> None:
    compiled = _compiled("_lib.ssml.j2", LIBRARY)
    assert compiled.blocks == {}
    library = compiled.module({"pick": "picked"}, lambda name: pytest.fail(name))
    assert isinstance(library, Library)
    reference = _jinja({"_lib": LIBRARY}, {"pick": "picked"}).get_template("_lib").module
    for call in (
        lambda lib: lib.greet("you"),
        lambda lib: lib.greet("<you>", punctuation="."),
        lambda lib: lib.count(DATA["items"]),
        lambda lib: lib.both("me"),
        lambda lib: lib.bare(None),
        lambda lib: lib.bare(),  # a missing argument is undefined, and not None
        lambda lib: lib.shadows([1, 2], "L", "C", "G"),  # parameters named as builtins
    ):
        ours, theirs = call(library), call(reference)
        assert (str(ours), type(ours).__name__) == (str(theirs), "Markup")
    with pytest.raises(UndefinedError, match=r"'who' \(argument of greet"):
        str(library.greet())


def test_a_library_imports_another_and_sees_the_globals_of_its_build() -> None:
    phrases = _compiled("_phrases.ssml.j2", "{% macro hi() %}{{ pick }}{% endmacro %}")
    lib = _compiled(
        "_lib.ssml.j2",
        '{% import "_phrases.ssml.j2" as phrases %}'
        "{% macro twice() %}{{ phrases.hi() }}{{ phrases.hi() }}{% endmacro %}",
    )
    built = phrases.module({"pick": "P"}, lambda name: pytest.fail(name))
    library = lib.module({}, lambda name: built if name == "_phrases.ssml.j2" else None)
    assert str(library.twice()) == "PP"


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{% block speech %}{{ x | upper }}{% endblock %}", "line 1: the filter 'upper'"),
        ("{% block speech %}{{ 'a' | format() if false }}{% endblock %}", "filter 'format'"),
        ("{% block speech %}{{ x is defined }}{% endblock %}", "the test 'defined'"),
        ("{% block speech %}\n{% include 'other' %}{% endblock %}", "line 2: the Include"),
        ("{% extends 'base' %}{% block speech %}{% endblock %}", "anything but blocks"),
        (
            "{% block speech %}{% for x in y %}{% else %}none{% endfor %}{% endblock %}",
            "for with else",
        ),
        ("{% block speech %}{{ loop.index }}{% endblock %}", "the name 'loop'"),
        (
            "{% block speech %}{% for x in y %}{{ loop.cycle('a') }}{% endfor %}{% endblock %}",
            "loop.cycle",
        ),
        ("{% block speech %}{{ x[1:] }}{% endblock %}", "slicing"),
        ("{% block speech %}{{ f(*args) }}{% endblock %}", r"\*args"),
        ("{% block speech %}{{ ('a' if x) + 'b' }}{% endblock %}", "inline if without else"),
        ("{% block speech %}{{ 'a' ~ 'b' }}{% endblock %}", "the expression Concat"),
        ("{% macro m() %}{{ caller() }}{% endmacro %}", "the name 'caller'"),
        ("{% macro m(x=y) %}{% endmacro %}", "a default that is not a constant"),
        ("{% macro m() %}{% macro n() %}{% endmacro %}{% endmacro %}", "inside a macro"),
        ("{% set x = 1 %}{% macro m() %}{% endmacro %}", "the Assign at the top of a library"),
        ("{% block speech %}{% block inner %}{% endblock %}{% endblock %}", "nested block"),
        ("{% block speech %}{{ _private }}{% endblock %}", "the name '_private'"),
        (
            "{% block speech %}{% if a %}{% set b = 1 %}{% endif %}{% endblock %}",
            "a set inside an if",
        ),
        ("{% block speech %}{% if %}{% endblock %}", "t.ssml.j2, line 1: "),
    ],
)
def test_what_it_does_not_translate_is_an_error_naming_file_and_line(source, message) -> None:
    with pytest.raises(TemplateCompileError, match=message) as raised:
        _compiled("t.ssml.j2", source)
    assert str(raised.value).startswith("t.ssml.j2, line ")


def test_undefined_fails_on_every_use_but_a_none_test() -> None:
    missing = Undefined("'x' (t.ssml.j2, line 3)")
    assert missing is not None
    for use in (str, bool, len, iter, hash, lambda u: u == 1, lambda u: u + 1, lambda u: u.name,
                lambda u: u(), lambda u: u[0], lambda u: 1 in u):  # fmt: skip
        with pytest.raises(UndefinedError, match=r"'x' \(t.ssml.j2, line 3\) is undefined"):
            use(missing)


def test_attribute_and_item_lookups_fall_back_as_jinja_does() -> None:
    beat = Beat("count", 4)
    assert attr(beat, "kind") == "count" and attr({"kind": "dict"}, "kind") == "dict"
    assert item({"a": 1}, "a") == 1 and item(beat, "value") == 4 and item([5, 6], 1) == 6
    for missing in (attr(beat, "nothing"), item({}, "nothing"), item([1], 3)):
        assert isinstance(missing, Undefined)
        with pytest.raises(UndefinedError):
            str(missing)


def test_every_shipped_template_compiles(tmp_path: Path) -> None:
    from skill.coach.speech import compile_templates
    from skill.settings import SPEECH_TEMPLATES_DIR

    for module in compile_templates(tmp_path, SPEECH_TEMPLATES_DIR):
        source = module.read_text("utf-8")
        compile(source, str(module), "exec")
        assert "import jinja2" not in source and "from jinja2" not in source
