"""Static checks of an APL document against the documented vocabulary and its datasource.

A screen that names an undocumented component, property or command renders wrong or not
at all on an Echo Show, and a ``${...}`` binding that finds nothing renders as empty text,
silently. Neither shows up in a voice test, so :func:`check_document` walks a document
the way the APL runtime inflates it and reports, as readable one-line problems:

* components, properties, commands and document keys missing from the allow-list in
  ``apl_reference.toml`` (documented APL only; a container's children may also use the
  documented child properties, a layout its parameters);
* ``${...}`` expressions whose names do not resolve: a name must be a template parameter
  (a datasource), a ``bind`` value of an enclosing component, ``data``/``index`` inside a
  data-inflated child, ``event`` inside a handler, or a documented global; a path into a
  datasource must exist in the datasource given (for ``data``, in every item); ``@name``
  must be a resource of the document;
* commands that point nowhere: ``SetValue`` and ``SpeakItem`` must name a component
  ``id`` of the document, ``SetValue`` a bound value or property of it, ``SpeakItem`` a
  component with ``speech``.

Datasource transformers (``ssmlToSpeech`` and the like) are applied the way Alexa does
before the document sees them: their ``outputName`` appears in ``properties``.

This is a reading of the documented language, not an APL runtime: layout arithmetic and
expression values are not evaluated.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

REFERENCE_FILE = Path(__file__).with_name("apl_reference.toml")
CHILD_KEYS = ("item", "items", "firstItem", "lastItem")
NESTED_COMMAND_KEYS = ("commands", "catch", "finally", "otherwise")
RESOURCE_KINDS = frozenset(
    {"boolean", "color", "dimension", "easing", "gradient", "number", "string"}
)
_WORDS = frozenset({"true", "false", "null"})


@dataclass(frozen=True)
class Reference:
    """The allow-list, read from ``apl_reference.toml``."""

    raw: dict[str, Any]

    def names(self, *path: str) -> frozenset[str]:
        node: Any = self.raw
        for key in path:
            node = node.get(key, {}) if isinstance(node, dict) else {}
        if isinstance(node, dict):
            node = node.get("properties", node.get("parameters", []))
        return frozenset(node)

    @property
    def components(self) -> Mapping[str, Any]:
        return self.raw["components"]

    @property
    def layouts(self) -> Mapping[str, Any]:
        return self.raw["layouts"]

    @property
    def commands(self) -> Mapping[str, Any]:
        return self.raw["commands"]


@cache
def load_reference(path: Path = REFERENCE_FILE) -> Reference:
    with path.open("rb") as file:
        return Reference(tomllib.load(file))


# --- scopes: what a name in an expression may refer to --------------------------------
class _Opaque:
    """A value the document cannot look into further (a bound number, a layout parameter)."""

    def __init__(self, label: str) -> None:
        self.label = label


@dataclass(frozen=True)
class _Members:
    """A documented global or the event: only the listed members exist."""

    label: str
    members: frozenset[str]


@dataclass(frozen=True)
class _Each:
    """``data`` inside a data-inflated child: a path must exist in every item."""

    items: tuple[Any, ...]


Scope = dict[str, Any]


def transformed(datasources: Mapping[str, Any]) -> dict[str, Any]:
    """The datasources as the document sees them: transformer outputs added."""
    result: dict[str, Any] = {}
    for name, source in datasources.items():
        if isinstance(source, dict) and isinstance(source.get("transformers"), list):
            source = {**source, "properties": dict(source.get("properties") or {})}
            for transformer in source["transformers"]:
                output = transformer.get("outputName") or transformer.get("inputPath")
                source["properties"][output] = f"<{transformer.get('transformer')} output>"
        result[name] = source
    return result


# --- expressions ------------------------------------------------------------------------
_TOKEN = re.compile(
    r"""\s*(?:(?P<string>'[^']*'|"[^"]*")|(?P<number>\d+(?:\.\d+)?)|(?P<resource>@[A-Za-z_]\w*)
    |(?P<name>[A-Za-z_]\w*)|(?P<op>\S))""",
    re.VERBOSE,
)


def expressions(text: str) -> Iterator[str]:
    """The bodies of the ``${...}`` expressions in a string, quotes respected."""
    start = text.find("${")
    while start != -1:
        depth, index, quote = 1, start + 2, ""
        while index < len(text) and depth:
            char = text[index]
            if quote:
                quote = "" if char == quote else quote
            elif char in "'\"":
                quote = char
            elif char == "{":
                depth += 1
            elif char == "}":
                depth -= 1
            index += 1
        yield text[start + 2 : index - 1]
        start = text.find("${", index)


def _tokens(expression: str) -> list[tuple[str, str]]:
    return [
        (match.lastgroup or "", match.group(match.lastgroup or 0))
        for match in _TOKEN.finditer(expression)
        if match.lastgroup
    ]


class _Checker:
    def __init__(self, document: dict[str, Any], datasources: Mapping[str, Any]) -> None:
        self.reference = load_reference()
        self.document = document
        self.datasources = transformed(datasources)
        self.problems: list[str] = []
        self.resources = self._resource_names()
        self.components_by_id: dict[str, dict[str, Any]] = {}
        self._collect_ids(document.get("mainTemplate", {}))
        bindings = self.reference.raw["bindings"]
        self.globals: Scope = {
            name: _Members(name, frozenset(bindings.get(name, []))) for name in bindings["globals"]
        }
        self.handlers = frozenset(bindings["handlers"])
        self.event = _Members("event", frozenset(bindings["event"]))

    # -- document ----------------------------------------------------------------------
    def run(self) -> list[str]:
        doc = self.document
        self._keys("document", doc, self.reference.names("document"))
        if doc.get("type") != "APL":
            self.problems.append(f'document type must be "APL", not {doc.get("type")!r}')
        if doc.get("version") not in self.reference.raw["versions"]:
            self.problems.append(f"APL version {doc.get('version')!r} is not one we target")
        for entry in doc.get("import", []):
            self._keys("import", entry, frozenset(self.reference.raw["document"]["import"]))
        for block in doc.get("resources", []):
            self._keys("resources", block, frozenset(self.reference.raw["document"]["resource"]))
            self._strings("resources", block.get("when"), self.globals)
        self._keys(
            "settings", doc.get("settings", {}), self.reference.names("document", "settings")
        )
        template = doc.get("mainTemplate")
        if not isinstance(template, dict):
            return [*self.problems, "document has no mainTemplate"]
        self._keys(
            "mainTemplate", template, frozenset(self.reference.raw["document"]["main_template"])
        )
        scope = dict(self.globals)
        for parameter in template.get("parameters", []):
            if parameter not in self.datasources:
                self.problems.append(f"mainTemplate parameter {parameter!r} has no datasource")
            scope[parameter] = self.datasources.get(parameter)
        for child in self._children(template):
            self._component(child, scope, parent=None, where="mainTemplate")
        for handler in ("onMount",):
            self._commands(doc.get(handler, []), {**scope, "event": self.event}, handler)
        return self.problems

    def _resource_names(self) -> frozenset[str]:
        names = set()
        for block in self.document.get("resources", []):
            for kind, values in block.items():
                if kind.rstrip("s") in RESOURCE_KINDS and isinstance(values, dict):
                    names.update(values)
        return frozenset(names)

    def _collect_ids(self, node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("id"), str) and "type" in node:
                self.components_by_id[node["id"]] = node
            for value in node.values():
                self._collect_ids(value)
        elif isinstance(node, list):
            for value in node:
                self._collect_ids(value)

    def _keys(self, where: str, node: object, allowed: frozenset[str]) -> None:
        if not isinstance(node, dict):
            self.problems.append(f"{where}: expected an object, got {type(node).__name__}")
            return
        for key in node:
            if key not in allowed:
                self.problems.append(f"{where}: {key!r} is not a documented property")

    # -- components ----------------------------------------------------------------------
    @staticmethod
    def _children(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
        for key in CHILD_KEYS:
            value = node.get(key)
            yield from value if isinstance(value, list) else [value] if value else []

    def _allowed(self, kind: str, parent: str | None) -> frozenset[str] | None:
        base = self.reference.names("component_base")
        child = self.reference.names("child_of", parent) if parent else frozenset()
        if kind in self.reference.components:
            return base | child | self.reference.names("components", kind)
        if kind in self.reference.layouts:
            package = self.reference.layouts[kind]["package"]
            if not any(entry.get("name") == package for entry in self.document.get("import", [])):
                self.problems.append(f"{kind} needs the {package} package imported")
            return base | child | self.reference.names("layouts", kind)
        return None

    def _component(self, node: object, scope: Scope, parent: str | None, where: str) -> None:
        if not isinstance(node, dict) or not isinstance(node.get("type"), str):
            self.problems.append(f"{where}: a component needs a literal string type")
            return
        kind = node["type"]
        where = f"{where} > {kind}" + (f"#{node['id']}" if "id" in node else "")
        allowed = self._allowed(kind, parent)
        if allowed is None:
            self.problems.append(f"{where}: {kind!r} is not a documented component or layout")
            return
        self._keys(where, node, allowed)
        scope = dict(scope)
        for bound in node.get("bind", []):
            self._strings(f"{where}.bind", bound.get("value"), scope)
            scope[bound.get("name")] = _Opaque(f"bind {bound.get('name')}")
        child_scope = scope
        if "data" in node:
            items = self._data_items(where, node["data"], scope)
            child_scope = {**scope, "data": _Each(items), "index": 0, "ordinal": 1, "length": 1}
        for key, value in node.items():
            if key in ("bind", "type", *CHILD_KEYS):
                continue
            if key in self.handlers:
                self._commands(value, {**scope, "event": self.event}, f"{where}.{key}")
            else:
                self._strings(f"{where}.{key}", value, scope)
        for child in self._children(node):
            self._component(child, child_scope, kind, where)

    def _data_items(self, where: str, value: object, scope: Scope) -> tuple[Any, ...]:
        """The items a ``data`` property inflates children from (a literal or bound array)."""
        if isinstance(value, list):
            return tuple(value)
        bodies = list(expressions(value)) if isinstance(value, str) else []
        resolved = None
        if len(bodies) == 1 and value == "${" + bodies[0] + "}":
            resolved = self._resolve(bodies[0].strip(), scope)
        if not isinstance(resolved, list) or not resolved:
            self.problems.append(f"{where}.data: {value!r} is not a non-empty array here")
            return ()
        return tuple(resolved)

    # -- commands ------------------------------------------------------------------------
    def _commands(self, value: object, scope: Scope, where: str) -> None:
        for command in value if isinstance(value, list) else [value]:
            if not isinstance(command, dict) or command.get("type") not in self.reference.commands:
                kind = command.get("type") if isinstance(command, dict) else command
                self.problems.append(f"{where}: {kind!r} is not a documented command")
                continue
            kind = command["type"]
            here = f"{where} > {kind}"
            self._keys(
                here,
                command,
                self.reference.names("command_base") | self.reference.names("commands", kind),
            )
            for key, nested in command.items():
                if key in NESTED_COMMAND_KEYS:
                    self._commands(nested, scope, here)
                elif key != "type":
                    self._strings(f"{here}.{key}", nested, scope)
            self._target(command, here)

    def _target(self, command: dict[str, Any], where: str) -> None:
        kind, target_id = command["type"], command.get("componentId")
        if kind not in ("SetValue", "SpeakItem") or target_id is None:
            return
        target = self.components_by_id.get(target_id)
        if target is None:
            self.problems.append(f"{where}: no component has id {target_id!r}")
        elif kind == "SpeakItem" and "speech" not in target:
            self.problems.append(f"{where}: component {target_id!r} has no speech to speak")
        elif kind == "SetValue":
            bound = {entry.get("name") for entry in target.get("bind", [])}
            settable = self._allowed(target["type"], None) or frozenset()
            if command.get("property") not in bound | settable:
                self.problems.append(
                    f"{where}: {target_id!r} has no bound value or property "
                    f"{command.get('property')!r}"
                )

    # -- bindings ------------------------------------------------------------------------
    def _strings(self, where: str, value: object, scope: Scope) -> None:
        if isinstance(value, str):
            if value.startswith("@") and value[1:] not in self.resources:
                self.problems.append(f"{where}: resource {value!r} is not defined")
            for body in expressions(value):
                self._expression(where, body, scope)
        elif isinstance(value, dict):
            for key, item in value.items():
                self._strings(f"{where}.{key}", item, scope)
        elif isinstance(value, list):
            for item in value:
                self._strings(where, item, scope)

    def _expression(self, where: str, body: str, scope: Scope) -> None:
        tokens = _tokens(body)
        index = 0
        while index < len(tokens):
            kind, text = tokens[index]
            previous = tokens[index - 1][1] if index else ""
            if kind == "resource" and text[1:] not in self.resources:
                self.problems.append(f"{where}: resource {text!r} is not defined")
            if kind == "name" and previous != "." and text not in _WORDS:
                index = self._path(where, tokens, index, scope)
                continue
            index += 1

    def _path(self, where: str, tokens: list[tuple[str, str]], start: int, scope: Scope) -> int:
        """Resolve ``name(.member | [index])*`` starting at ``start``; returns the next index."""
        name = tokens[start][1]
        if name not in scope:
            self.problems.append(f"{where}: ${{{name}...}} names nothing in scope")
            return start + 1
        values = [scope[name]]
        shown = name
        index = start + 1
        while index < len(tokens) and tokens[index][1] in (".", "["):
            if tokens[index][1] == ".":
                member = tokens[index + 1][1] if index + 1 < len(tokens) else ""
                key: object = member
                index += 2
            else:
                depth, end = 1, index + 1
                while end < len(tokens) and depth:
                    depth += {"[": 1, "]": -1}.get(tokens[end][1], 0)
                    end += 1
                inner = tokens[index + 1 : end - 1]
                self._expression(where, " ".join(text for _, text in inner), scope)
                if len(inner) == 1 and inner[0][0] == "string":
                    key = inner[0][1][1:-1]
                elif len(inner) == 1 and inner[0][0] == "number":
                    key = int(float(inner[0][1]))
                else:
                    key = _ANY
                member = "[...]" if key is _ANY else f"[{key!r}]"
                index = end
            shown += f".{member}" if not member.startswith("[") else member
            values, missing = _step(values, key)
            if missing:
                self.problems.append(f"{where}: ${{{shown}}} does not resolve ({missing})")
                return index
        return index

    def _resolve(self, body: str, scope: Scope) -> Any:
        tokens = _tokens(body)
        if not tokens or tokens[0][0] != "name" or tokens[0][1] not in scope:
            return None
        values = [scope[tokens[0][1]]]
        index = 1
        while index + 1 < len(tokens) and tokens[index][1] == ".":
            values, missing = _step(values, tokens[index + 1][1])
            if missing:
                return None
            index += 2
        return values[0] if len(values) == 1 else None


_ANY = object()


def _step(values: list[Any], key: object) -> tuple[list[Any], str]:
    """Follow one member or index from each value; says what is missing, if anything."""
    result = []
    for value in values:
        if isinstance(value, _Each):
            nested, missing = _step(list(value.items), key)
            if missing:
                return [], f"missing in some data items: {missing}"
            result += nested
        elif isinstance(value, _Opaque):
            return [], f"{value.label} has no members"
        elif isinstance(value, _Members):
            if key not in value.members:
                return [], f"{value.label} has no documented member {key!r}"
            result.append(_Opaque(f"{value.label}.{key}"))
        elif key is _ANY:
            members = list(value.values()) if isinstance(value, dict) else value
            if not isinstance(members, list) or not members:
                return [], "an index into something that is not a non-empty map or array"
            result += members
        elif isinstance(value, dict):
            if key not in value:
                return [], f"no key {key!r}"
            result.append(value[key])
        elif isinstance(value, list) and isinstance(key, int):
            if not 0 <= key < len(value):
                return [], f"no index {key}"
            result.append(value[key])
        elif isinstance(value, list) and key == "length":
            result.append(len(value))
        else:
            return [], f"{type(value).__name__} value has no member {key!r}"
    return result, ""


def check_document(document: dict[str, Any], datasources: Mapping[str, Any]) -> list[str]:
    """Every problem :mod:`tests.support.apl` finds in ``document`` bound to ``datasources``."""
    return _Checker(document, datasources).run()
