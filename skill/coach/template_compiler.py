"""Speech templates compiled to plain Python: Jinja parses them, this writes the code.

The coach's words are Jinja templates (``speech_templates/``), but rendering through Jinja
means importing its lexer, parser, code generator and bytecode cache in every process that
speaks: about 36 ms of a Lambda cold start, more than the rest of the coach's own modules
together. So each locale's templates are compiled, once, into one Python module of plain
functions that needs only :mod:`skill.coach.template_runtime` and markupsafe:

* a template's blocks (``speech``, ``reprompt``, ``card_title``, ``card``) become
  functions of the render context (a dict of names) returning the block's markup;
* a macro library (``_lib``, ``_phrases``, ``_screen``: templates without blocks) becomes a
  ``module(globals, load)`` function returning its macros, each returning Markup.

The package writes that module at build time (``speech_templates_compiled/<locale>.py``);
a checkout compiles the same source in memory on first use. Either way what runs is this
code, and ``tests/test_consistency.py`` renders every response of its sweep through Jinja
itself to prove the bytes equal.

It compiles the part of Jinja the templates use, with Jinja's meaning for an environment
with ``autoescape=True`` and ``StrictUndefined`` (:data:`JINJA_OPTIONS`):
output, text, ``if``/``elif``/``else``, ``for`` (``loop.index``, ``index0``, ``first``,
``last``, ``length``, ``revindex``), ``set``, ``macro`` (constant defaults),
``import ... as``, ``block``; names, constants, attributes, items, calls, lists, dicts,
inline ``if``, comparisons, ``and``/``or``/``not``, arithmetic, ``is none`` and the
``capitalize`` filter. Anything else is a :class:`TemplateCompileError` naming the
construct, the file and the line, when the templates are compiled (at package time, and by
the suite), never a wrong word at run time.
"""

from __future__ import annotations

import functools
import keyword
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import nodes

from skill.coach.template_runtime import CompiledTemplate

# The runtime names generated code uses. Every name the generated code makes up starts with
# "_" (``_c_x`` a context read, ``_l_x_3`` a local, ``_m_x`` a macro, ``_i_x`` an import),
# and template names may not: no template name can shadow one.
RUNTIME_IMPORT = (
    "from skill.coach.template_runtime import CompiledTemplate as _Template, "
    "Library as _Library, Markup as _Markup, Undefined as _Undefined, attr as _attr, "
    "capitalize as _capitalize, escape as _escape, item as _item\n"
    "_enumerate, _len, _list = enumerate, len, list"  # a macro parameter may be called list
)
_COMPARISONS = {
    "eq": "==", "ne": "!=", "lt": "<", "lteq": "<=", "gt": ">", "gteq": ">=",
    "in": "in", "notin": "not in",
}  # fmt: skip
_BINARY = {
    nodes.Add: "+", nodes.Sub: "-", nodes.Mul: "*", nodes.Div: "/",
    nodes.FloorDiv: "//", nodes.Mod: "%",
}  # fmt: skip
_UNARY = {nodes.Neg: "-", nodes.Pos: "+"}
_FILTERS = {"capitalize": "_capitalize"}
_LOOP_ATTRIBUTES = {"index", "index0", "first", "last", "length", "revindex"}
# Names a macro body gets from Jinja itself, which compiled macros do not provide.
_MACRO_SPECIALS = {"caller", "varargs", "kwargs"}


class TemplateCompileError(Exception):
    """A template uses Jinja the compiler does not translate: say what, and where."""


def _unsupported(template: str, node: nodes.Node, what: str) -> TemplateCompileError:
    return TemplateCompileError(
        f"{template}, line {node.lineno}: {what} is not supported in speech templates"
    )


@dataclass
class _Loop:
    index: str  # the Python name of the 1-based counter
    length: str  # the Python name of the item count


@dataclass
class _Scope:
    """What a Jinja name means at one point of the code: a Python local, or a context name."""

    names: dict[str, str] = field(default_factory=dict)  # Jinja local -> Python name
    loop: _Loop | None = None
    uses_loop: bool = False
    # Inside an if: a set there would outlive the branch in Jinja, and fall back to the
    # context's value where the branch did not run; compiled code does not mimic that.
    in_branch: bool = False

    def child(self, in_branch: bool = False) -> _Scope:
        return _Scope(dict(self.names), self.loop, in_branch=self.in_branch or in_branch)


class _Writer:
    """Python source, line by line, with its indentation."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.depth = 0

    def line(self, text: str) -> None:
        self.lines.append("    " * self.depth + text)

    def indent(self) -> None:
        self.depth += 1

    def dedent(self) -> None:
        self.depth -= 1


class _FunctionCompiler:
    """One block or macro body: statements into lines, expressions into Python expressions.

    Names that are not local resolve in ``context``'s dict; each is read once, at the top
    of the function, as Jinja does, and is an :class:`Undefined` when missing.
    """

    def __init__(self, template: str, context: str, outer: Mapping[str, str]) -> None:
        self.template = template
        self.context = context  # the Python name of the dict names resolve in
        self.outer = outer  # names bound outside the function (imports, other macros)
        self.free: dict[str, str] = {}  # context name -> Python name, in order of use
        self.where: dict[str, int] = {}  # context name -> first line using it
        self.counter = 0

    def error(self, node: nodes.Node, what: str) -> TemplateCompileError:
        return _unsupported(self.template, node, what)

    def fresh(self, stem: str) -> str:
        self.counter += 1
        return f"_{stem}{self.counter}"

    def prologue(self) -> list[str]:
        """The lines that read the context names the body uses."""
        return [
            f"{python} = {self.context}[{name!r}] if {name!r} in {self.context} "
            f"else _Undefined({f'{name!r} ({self.template}, line {self.where[name]})'!r})"
            for name, python in self.free.items()
        ]

    # statements ------------------------------------------------------------------------

    def body(self, statements: Iterable[nodes.Node], scope: _Scope, out: _Writer) -> None:
        for statement in statements:
            self.statement(statement, scope, out)

    def statement(self, node: nodes.Node, scope: _Scope, out: _Writer) -> None:
        if isinstance(node, nodes.Output):
            for child in node.nodes:
                if isinstance(child, nodes.TemplateData):
                    if child.data:
                        out.line(f"_w({child.data!r})")
                else:
                    out.line(f"_w(_escape({self.expression(child, scope, output=True)}))")
        elif isinstance(node, nodes.If):
            out.line(f"if {self.expression(node.test, scope)}:")
            self.branch(node.body, scope, out)
            for elif_ in node.elif_:
                out.line(f"elif {self.expression(elif_.test, scope)}:")
                self.branch(elif_.body, scope, out)
            if node.else_:
                out.line("else:")
                self.branch(node.else_, scope, out)
        elif isinstance(node, nodes.For):
            self.for_loop(node, scope, out)
        elif isinstance(node, nodes.Assign):
            if not isinstance(node.target, nodes.Name):
                raise self.error(node, "assigning to anything but one name")
            if scope.in_branch:
                raise self.error(node, "a set inside an if (set it before the if)")
            value = self.expression(node.node, scope)
            python = scope.names[node.target.name] = self.fresh(f"l_{node.target.name}_")
            out.line(f"{python} = {value}")
        else:
            raise self.error(node, f"the {type(node).__name__} statement here")

    def branch(self, statements: list[nodes.Node], scope: _Scope, out: _Writer) -> None:
        out.indent()
        inner = scope.child(in_branch=True)
        self.body(statements, inner, out)
        scope.uses_loop |= inner.uses_loop
        out.line("pass")
        out.dedent()

    def for_loop(self, node: nodes.For, scope: _Scope, out: _Writer) -> None:
        if node.else_ or node.test is not None or node.recursive:
            raise self.error(node, "for with else, if or recursive")
        inner = _Scope(dict(scope.names), _Loop(self.fresh("i"), self.fresh("n")))  # its own scope
        items = self.fresh("items")
        target = self.target(node.target, inner)
        out.line(f"{items} = _list({self.expression(node.iter, scope)})")
        loop_line = len(out.lines)  # the counter's line goes here once the body is known
        out.line(f"for {target} in {items}:")
        out.indent()
        self.body(node.body, inner, out)
        out.line("pass")
        out.dedent()
        if inner.uses_loop:  # the loop variable is used: count, and know the length
            index, length = inner.loop.index, inner.loop.length
            out.lines[loop_line] = out.lines[loop_line].replace(
                f"for {target} in {items}:", f"for {index}, {target} in _enumerate({items}, 1):"
            )
            out.lines.insert(loop_line, "    " * out.depth + f"{length} = _len({items})")

    def target(self, node: nodes.Node, scope: _Scope) -> str:
        if isinstance(node, nodes.Name):
            python = scope.names[node.name] = self.fresh(f"l_{node.name}_")
            return python
        if isinstance(node, nodes.Tuple):
            return "(" + ", ".join(self.target(item, scope) for item in node.items) + ",)"
        raise self.error(node, "this loop target")

    # expressions -----------------------------------------------------------------------

    def expression(self, node: nodes.Node, scope: _Scope, output: bool = False) -> str:
        """Python for a Jinja expression; ``output``: it is what an ``{{ }}`` prints."""
        if isinstance(node, nodes.Const):
            return repr(node.value)
        if isinstance(node, nodes.Name):
            return self.name(node, scope)
        if isinstance(node, nodes.Getattr):
            if isinstance(node.node, nodes.Name) and node.node.name == "loop" and scope.loop:
                return self.loop_attribute(node, scope)
            return f"_attr({self.expression(node.node, scope)}, {node.attr!r})"
        if isinstance(node, nodes.Getitem):
            if isinstance(node.arg, nodes.Slice):
                raise self.error(node, "slicing")
            return f"_item({self.expression(node.node, scope)}, {self.expression(node.arg, scope)})"
        if isinstance(node, nodes.Call):
            if node.dyn_args is not None or node.dyn_kwargs is not None:
                raise self.error(node, "*args or **kwargs in a call")
            arguments = [self.expression(argument, scope) for argument in node.args]
            arguments += [f"{k.key}={self.expression(k.value, scope)}" for k in node.kwargs]
            return f"{self.expression(node.node, scope)}({', '.join(arguments)})"
        if isinstance(node, nodes.Filter):
            python = _FILTERS.get(node.name)
            if python is None or node.node is None or node.args or node.kwargs:
                raise self.error(node, f"the filter {node.name!r}")
            if node.dyn_args is not None or node.dyn_kwargs is not None:
                raise self.error(node, "*args or **kwargs in a filter")
            return f"{python}({self.expression(node.node, scope)})"
        if isinstance(node, nodes.Test):
            if node.name != "none" or node.args or node.kwargs:
                raise self.error(node, f"the test {node.name!r}")
            return f"({self.expression(node.node, scope)} is None)"
        if isinstance(node, nodes.CondExpr):
            test = self.expression(node.test, scope)
            if node.expr2 is None:
                # Jinja prints an inline if without else as nothing when false; elsewhere
                # its value would be an undefined that compiled code does not mimic.
                if not output:
                    raise self.error(node, "an inline if without else inside an expression")
                return f"({self.expression(node.expr1, scope)} if {test} else '')"
            expr1 = self.expression(node.expr1, scope)
            return f"({expr1} if {test} else {self.expression(node.expr2, scope)})"
        if isinstance(node, nodes.Compare):
            parts = [self.expression(node.expr, scope)]
            for operand in node.ops:
                parts += [_COMPARISONS[operand.op], self.expression(operand.expr, scope)]
            return f"({' '.join(parts)})"
        if isinstance(node, nodes.And):
            return f"({self.expression(node.left, scope)} and {self.expression(node.right, scope)})"
        if isinstance(node, nodes.Or):
            return f"({self.expression(node.left, scope)} or {self.expression(node.right, scope)})"
        if isinstance(node, nodes.Not):
            return f"(not {self.expression(node.node, scope)})"
        if type(node) in _BINARY:
            left, right = self.expression(node.left, scope), self.expression(node.right, scope)
            return f"({left} {_BINARY[type(node)]} {right})"
        if type(node) in _UNARY:
            return f"({_UNARY[type(node)]}{self.expression(node.node, scope)})"
        if isinstance(node, nodes.List):
            return "[" + ", ".join(self.expression(i, scope) for i in node.items) + "]"
        if isinstance(node, nodes.Tuple):
            return "(" + "".join(self.expression(i, scope) + ", " for i in node.items) + ")"
        if isinstance(node, nodes.Dict):
            pairs = (
                f"{self.expression(p.key, scope)}: {self.expression(p.value, scope)}"
                for p in node.items
            )
            return "{" + ", ".join(pairs) + "}"
        raise self.error(node, f"the expression {type(node).__name__}")

    def name(self, node: nodes.Name, scope: _Scope) -> str:
        if node.name in scope.names:
            return scope.names[node.name]
        if node.name in self.outer:
            return self.outer[node.name]
        if node.name == "loop" or node.name in _MACRO_SPECIALS:
            raise self.error(node, f"the name {node.name!r} here")
        if not node.name.isidentifier() or node.name.startswith("_"):
            raise self.error(node, f"the name {node.name!r}")
        if node.name not in self.free:
            self.free[node.name] = f"_c_{node.name}"
            self.where[node.name] = node.lineno
        return self.free[node.name]

    def loop_attribute(self, node: nodes.Getattr, scope: _Scope) -> str:
        loop = scope.loop
        assert loop is not None
        if node.attr not in _LOOP_ATTRIBUTES:
            raise self.error(node, f"loop.{node.attr}")
        scope.uses_loop = True
        return {
            "index": loop.index,
            "index0": f"({loop.index} - 1)",
            "first": f"({loop.index} == 1)",
            "last": f"({loop.index} == {loop.length})",
            "length": loop.length,
            "revindex": f"({loop.length} - {loop.index} + 1)",
        }[node.attr]


def _is_blank(node: nodes.Node) -> bool:
    """Text between top-level tags that renders nothing a block or macro would show."""
    return isinstance(node, nodes.Output) and all(
        isinstance(child, nodes.TemplateData) and not child.data.strip() for child in node.nodes
    )


def _function(
    compiler: _FunctionCompiler,
    header: str,
    body: list[nodes.Node],
    scope: _Scope,
    result: str,
    reads: bool = True,
) -> list[str]:
    """A function's lines: header, the context reads (``reads``), the body writing into ``_o``."""
    out = _Writer()
    out.depth = 1
    out.line("_o = []")
    out.line("_w = _o.append")
    compiler.body(body, scope, out)
    out.line(f"return {result}")
    prologue = compiler.prologue() if reads else []
    return [header, *("    " + line for line in prologue), *out.lines]


def _ident(name: str) -> str:
    """A Python name for a template's functions: ``_lib.ssml.j2`` -> ``t__lib``."""
    return "t_" + re.sub(r"\W", "_", name.split(".")[0])


def compile_template(name: str, source: str, environment: jinja2.Environment) -> list[str]:
    """One template as Python lines, ending in ``TEMPLATES[name] = ...``."""
    try:
        tree = environment.parse(source, name=name)
    except jinja2.TemplateSyntaxError as error:
        raise TemplateCompileError(f"{name}, line {error.lineno}: {error.message}") from error
    ident = _ident(name)
    top = [node for node in tree.body if not _is_blank(node)]
    blocks = [node for node in top if isinstance(node, nodes.Block)]
    lines: list[str] = []
    if blocks:
        for node in top:
            if not isinstance(node, nodes.Block):
                raise _unsupported(
                    name, node, "anything but blocks at the top of a template with blocks"
                )
        entries = []
        for block in blocks:
            if block.scoped or block.required or block.find(nodes.Block):
                raise _unsupported(name, block, "a scoped, required or nested block")
            function = f"_{ident}__{block.name}"
            compiler = _FunctionCompiler(name, "_context", {})
            lines += _function(
                compiler, f"def {function}(_context):", block.body, _Scope(), "''.join(_o)"
            )
            entries.append(f"{block.name!r}: {function}")
        lines.append(f"TEMPLATES[{name!r}] = _Template({name!r}, {{{', '.join(entries)}}}, None)")
        return lines
    # A macro library: its imports and macros, in a function of the globals it sees.
    outer: dict[str, str] = {}
    module_lines = [f"def _{ident}__module(_globals, _load):"]
    macros = []
    for node in top:
        if isinstance(node, nodes.Import):
            if node.with_context or not isinstance(node.template, nodes.Const):
                raise _unsupported(name, node, "import with context or a computed name")
            outer[node.target] = f"_i_{node.target}"
            module_lines.append(f"    _i_{node.target} = _load({node.template.value!r})")
        elif isinstance(node, nodes.Macro):
            outer[node.name] = f"_m_{node.name}"
            macros.append(node)
        else:
            raise _unsupported(name, node, f"the {type(node).__name__} at the top of a library")
    compiler = _FunctionCompiler(name, "_globals", outer)
    macro_lines: list[str] = []
    for macro in macros:
        if macro.find(nodes.Macro) or macro.find(nodes.Block):
            raise compiler.error(macro, "a macro or block inside a macro")
        scope = _Scope()
        parameters = []
        defaults = [None] * (len(macro.args) - len(macro.defaults)) + list(macro.defaults)
        for argument, default in zip(macro.args, defaults, strict=True):
            if keyword.iskeyword(argument.name) or argument.name.startswith("_"):
                raise compiler.error(argument, f"the parameter name {argument.name!r}")
            scope.names[argument.name] = argument.name
            if default is None:  # Jinja passes a missing argument as undefined
                what = f"{argument.name!r} (argument of {macro.name}, {name})"
                parameters.append(f"{argument.name}=_Undefined({what!r})")
            elif isinstance(default, nodes.Const):
                parameters.append(f"{argument.name}={default.value!r}")
            else:
                raise compiler.error(default, "a default that is not a constant")
        body = _FunctionCompiler(name, "_globals", outer)
        body.free, body.where = compiler.free, compiler.where  # one read of each global
        macro_lines += _function(
            body,
            f"def _m_{macro.name}({', '.join(parameters)}):",
            macro.body,
            scope,
            "_Markup(''.join(_o))",
            reads=False,  # a library reads its globals once, when it is built
        )
    module_lines += ["    " + line for line in compiler.prologue()]
    module_lines += ["    " + line for line in macro_lines]
    exported = ", ".join(f"{m.name!r}: _m_{m.name}" for m in macros)
    module_lines.append(f"    return _Library({name!r}, {{{exported}}})")
    return [*module_lines, f"TEMPLATES[{name!r}] = _Template({name!r}, {{}}, _{ident}__module)"]


def compile_locale(sources: Mapping[str, str], environment: jinja2.Environment, title: str) -> str:
    """A module of every template (file name -> source) of one locale, as Python source."""
    lines = [
        f'"""Speech templates for {title}, compiled by skill.coach.template_compiler."""',
        "# Generated at package time from speech_templates/: do not edit.",
        "# ruff: noqa",
        RUNTIME_IMPORT,
        "",
        "TEMPLATES = {}",
    ]
    for name in sorted(sources):
        lines += ["", "", *compile_template(name, sources[name], environment)]
    return "\n".join(lines) + "\n"


def chain_sources(root: Path, chain: Iterable[str], suffix: str) -> dict[str, str]:
    """Each template file a locale's chain finds (most specific folder first), with its text."""
    found: dict[str, str] = {}
    for folder in chain:
        for path in sorted((root / folder).glob(f"*{suffix}")):
            found.setdefault(path.name, path.read_text(encoding="utf-8"))
    return found


# The options the templates are written for. The whitespace ones shape what the parser
# gives this compiler; the others are the meaning compiled code has (and the reference
# renderer in the tests uses).
JINJA_OPTIONS = {
    "autoescape": True,
    "undefined": jinja2.StrictUndefined,
    "trim_blocks": True,
    "lstrip_blocks": True,
    "keep_trailing_newline": False,
}


@functools.cache
def parser() -> jinja2.Environment:
    """The environment whose parser reads the templates (the compiler never renders with it)."""
    return jinja2.Environment(**JINJA_OPTIONS)  # type: ignore[arg-type]


def locale_source(root: Path, chain: tuple[str, ...], suffix: str) -> str:
    """The Python module of a locale's templates (its chain of folders under ``root``)."""
    title = " -> ".join(chain)
    return compile_locale(chain_sources(root, chain, suffix), parser(), title)


# Compiled templates by file name and source text: shared by every renderer of a process.
_COMPILED: dict[tuple[str, str], CompiledTemplate] = {}


class SourceTemplates(Mapping[str, CompiledTemplate]):
    """A checkout's templates: each compiled from its source when first asked for.

    Compiled code is kept per process and source text, so every renderer of the process
    (the suite builds hundreds) shares it, and an edited template compiles anew.
    """

    def __init__(self, sources: Mapping[str, str]) -> None:
        self.sources = sources

    def __getitem__(self, name: str) -> CompiledTemplate:
        source = self.sources[name]
        template = _COMPILED.get((name, source))
        if template is None:
            code = "\n".join(
                [RUNTIME_IMPORT, "TEMPLATES = {}", *compile_template(name, source, parser())]
            )
            namespace: dict[str, Any] = {}
            exec(compile(code, f"<speech template {name}>", "exec"), namespace)
            template = _COMPILED[(name, source)] = namespace["TEMPLATES"][name]
        return template

    def __iter__(self) -> Iterator[str]:
        return iter(self.sources)

    def __len__(self) -> int:
        return len(self.sources)


def load_locale(root: Path, chain: tuple[str, ...], suffix: str) -> SourceTemplates:
    """A locale's templates from the sources (its chain of folders under ``root``)."""
    return SourceTemplates(chain_sources(root, chain, suffix))
