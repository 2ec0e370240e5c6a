"""What compiled speech templates need at run time: markup, strict undefined names, lookups.

:mod:`skill.coach.template_compiler` turns each Jinja template into plain Python functions
that import only this module (and markupsafe through it), so rendering speech never loads
Jinja's lexer, parser and compiler: a Lambda cold start imports this instead of Jinja.
The functions here behave as Jinja's do for an environment with ``autoescape=True`` and
``undefined=StrictUndefined``, which is the only one the coach renders with.
"""

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from markupsafe import Markup, escape

__all__ = [
    "CompiledTemplate",
    "Library",
    "Markup",
    "Undefined",
    "UndefinedError",
    "attr",
    "capitalize",
    "escape",
    "item",
]


class UndefinedError(Exception):
    """A template used a value nobody gave it: an error, never silently empty speech."""


class Undefined:
    """A missing name or attribute: any use but ``is none`` raises :class:`UndefinedError`.

    As Jinja's ``StrictUndefined``: a template may test it or pass it on, but not speak,
    compare, iterate, call or count it.
    """

    __slots__ = ("what",)

    def __init__(self, what: str) -> None:
        self.what = what

    def fail(self, *args: object, **kwargs: object) -> Any:
        raise UndefinedError(f"{self.what} is undefined")

    __str__ = __bool__ = __iter__ = __len__ = __contains__ = __call__ = fail
    __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = __hash__ = fail  # type: ignore[assignment]
    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __getitem__ = fail
    __truediv__ = __floordiv__ = __mod__ = __neg__ = __pos__ = fail

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):  # markupsafe asks for __html__: not markup, so str() fails
            raise AttributeError(name)
        return self.fail()

    def __repr__(self) -> str:
        return f"Undefined({self.what!r})"


def attr(obj: Any, name: str) -> Any:
    """``obj.name`` as Jinja reads it: the attribute, else the item, else undefined."""
    try:
        return getattr(obj, name)
    except AttributeError:
        pass
    try:
        return obj[name]
    except (TypeError, LookupError):
        return Undefined(f"{type(obj).__name__!r} object attribute {name!r}")


def item(obj: Any, key: Any) -> Any:
    """``obj[key]`` as Jinja reads it: the item, else (for a name) the attribute, else undefined."""
    try:
        return obj[key]
    except (AttributeError, TypeError, LookupError):
        if isinstance(key, str):
            try:
                return getattr(obj, key)
            except AttributeError:
                pass
        return Undefined(f"{type(obj).__name__!r} object item {key!r}")


def capitalize(value: Any) -> str:
    """Jinja's ``capitalize`` filter: first character upper case, the rest lower case."""
    return (value if isinstance(value, str) else str(value)).capitalize()


class Library:
    """A macro library's macros as attributes (``lib.navigation()``), as Jinja's module has."""

    def __init__(self, name: str, macros: Mapping[str, Callable[..., Markup]]) -> None:
        self.__dict__.update(macros)
        self._name = name

    def __repr__(self) -> str:
        return f"<Library {self._name}>"


# A template's blocks render one context (a dict of names) each; a library template has no
# blocks, but a ``module(globals, load)`` function that builds its Library, with ``load``
# giving the libraries it imports.
Loader = Callable[[str], Library]


class CompiledTemplate(NamedTuple):
    name: str
    blocks: Mapping[str, Callable[[Mapping[str, Any]], str]]
    module: Callable[[Mapping[str, Any], Loader], Library] | None
