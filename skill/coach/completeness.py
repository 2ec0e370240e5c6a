"""Every language says everything the default language says, or the build stops.

A language is data (``content/<lang>/`` and ``speech_templates/<lang>/``), so what it may
lack is data too: a key of one of its files, a step, a template or a macro. Each is found
here, before a request could meet it, and named in one line (language, file, key):
``python -m skill.coach.completeness [lang ...]`` checks from the command line, the
interaction-model generator and the deploy build refuse to run on a problem, and a
server's start-up (:meth:`StepCoach.warm_up`) raises :class:`LanguageError`.

The default language is the reference: another language has every key its files have and,
inside their tables, none they lack, as many steps per exercise as the universal catalog,
and every template file, block and macro (same name, same arguments) of its template
folder. The values are the language's own: only the slot types an intent's slots name
must be the same.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

from skill.coach import language as languages
from skill.coach.catalog import CatalogError, catalog_for
from skill.coach.locales import DEFAULT_LANGUAGE
from skill.settings import SPEECH_TEMPLATES_DIR

TEMPLATE_SUFFIX = ".ssml.j2"
# Entries that are a language's own words (the runner's typed contractions, "gehts" ->
# "geht es"): neither the default language's nor limited to them, table or list.
OWN_WORDS = frozenset({"understanding.expansions"})
# Tables a language may add keys to that the default language does not use (the runner's
# compound links, which English has no need of).
OPEN_TABLES = frozenset({"understanding"})
_MACRO = re.compile(r"{%-?\s*macro\s+(\w+)\s*\(([^)]*)\)")
_BLOCK = re.compile(r"{%-?\s*block\s+(\w+)")


class LanguageError(ValueError):
    """A language lacks something the default language has; the message names it."""


def _shape(reference: Any, other: Any, path: str) -> Iterable[str]:
    """Where ``other`` lacks (or adds) a key of ``reference``, or has a value of another kind."""
    if path in OWN_WORDS:
        return
    if isinstance(reference, dict):
        if not isinstance(other, dict):
            yield f"{path}: a table, as in {DEFAULT_LANGUAGE}"
            return
        for key in reference:
            where = f"{path}.{key}" if path else str(key)
            if key not in other:
                yield f"{where}: missing"
            elif (
                path.startswith("intents.")
                and path.endswith(".slots")
                and (reference[key] != other[key])
            ):
                yield f"{where}: slot type {other[key]!r}, not {reference[key]!r}"
            else:
                yield from _shape(reference[key], other[key], where)
        # A file's own top level may hold more (tables other readers keep there); in an
        # item, a key the default language lacks is a typo or a misplaced word.
        for key in (
            sorted(other.keys() - reference.keys()) if path not in OPEN_TABLES | {""} else ()
        ):
            yield f"{path}.{key}: not a key {DEFAULT_LANGUAGE} has"
    elif isinstance(reference, list):
        if not isinstance(other, list) or (reference and not other):
            yield f"{path}: a list of at least one entry"
            return
        # Tables in a list (steps, example phrases): each has the keys of the one at its place.
        for number, (mine, theirs) in enumerate(zip(reference, other, strict=False), start=1):
            if isinstance(mine, dict):
                yield from _shape(mine, theirs, f"{path}[{number}]")
    elif isinstance(reference, str):
        if not isinstance(other, str) or (reference.strip() and not other.strip()):
            yield f"{path}: text"
    elif type(other) is not type(reference):
        yield f"{path}: a {type(reference).__name__}, as in {DEFAULT_LANGUAGE}"


def macros(path: Path) -> dict[str, str]:
    """The macros a template file defines, each with its arguments as written."""
    text = path.read_text(encoding="utf-8")
    return {name: " ".join(args.split()) for name, args in _MACRO.findall(text)}


def blocks(path: Path) -> set[str]:
    """The blocks a template defines (speech, reprompt, card_title, card)."""
    return set(_BLOCK.findall(path.read_text(encoding="utf-8")))


def _template_problems(lang: str, root: Path) -> Iterable[str]:
    reference, folder = root / DEFAULT_LANGUAGE, root / lang
    if not folder.is_dir():
        yield f"{lang}: {folder.relative_to(root.parent)}/: missing (every template of it)"
        return
    for path in sorted(reference.glob(f"*{TEMPLATE_SUFFIX}")):
        own = folder / path.name
        where = f"{lang}: {own.relative_to(root.parent)}"
        if not own.is_file():
            yield f"{where}: missing"
            continue
        for name in sorted(blocks(path) - blocks(own)):
            yield f"{where}: block {name} missing"
        theirs = macros(own)
        for name, args in macros(path).items():
            if name not in theirs:
                yield f"{where}: macro {name}({args}) missing"
            elif theirs[name] != args:
                yield f"{where}: macro {name}({theirs[name]}), {DEFAULT_LANGUAGE} has ({args})"


def check_language(lang: str, templates: Path = SPEECH_TEMPLATES_DIR) -> list[str]:
    """What ``lang`` lacks of the default language, one line each (empty: complete)."""
    problems: list[str] = []
    for name in languages.LANGUAGE_FILES:
        try:
            own = languages.read(lang, name)
        except (OSError, ValueError) as error:  # a missing file, or TOML that does not parse
            problems.append(f"{lang}: {lang}/{name}: {error}")
            continue
        if lang != DEFAULT_LANGUAGE:
            reference = languages.read(DEFAULT_LANGUAGE, name)
            problems += [f"{lang}: {lang}/{name}: {p}" for p in _shape(reference, own, "")]
    if not problems:
        try:
            catalog_for(lang)
        except (CatalogError, ValueError) as error:
            problems.append(f"{lang}: {error}")
    if lang != DEFAULT_LANGUAGE:
        problems += _template_problems(lang, templates)
    return problems


def check_languages(
    langs: Iterable[str] | None = None, templates: Path = SPEECH_TEMPLATES_DIR
) -> list[str]:
    """:func:`check_language` for each language (every content folder by default)."""
    chosen = sorted(languages.content_languages()) if langs is None else list(langs)
    return [problem for lang in chosen for problem in check_language(lang, templates)]


@cache
def require_complete(templates: Path = SPEECH_TEMPLATES_DIR) -> None:
    """Raise :class:`LanguageError` naming the first thing a language lacks, once per process."""
    problems = check_languages(templates=templates)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise LanguageError(problems[0] + more)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    unknown = [lang for lang in args if lang not in languages.content_languages()]
    if unknown:
        print(f"no content folder for {', '.join(unknown)}", file=sys.stderr)
        return 2
    problems = check_languages(args or None)
    for problem in problems:
        print(problem, file=sys.stderr)
    checked = ", ".join(args or sorted(languages.content_languages()))
    print(f"{checked}: {'incomplete' if problems else 'complete'}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
