"""The speech templates rendered by Jinja itself: the reference compiled templates must equal.

:class:`JinjaRenderer` is the coach's :class:`SpeechRenderer` with one difference: a
locale's templates come from a Jinja environment (the options the templates are written
for) instead of :mod:`skill.coach.template_compiler`. Same libraries, same globals in the
same order, same squashing; only who turns the templates into text differs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jinja2

from skill.coach.speech import TEMPLATE_SUFFIX, SpeechRenderer
from skill.coach.template_compiler import JINJA_OPTIONS
from skill.coach.template_runtime import CompiledTemplate, Library, Loader


class JinjaRenderer(SpeechRenderer):
    def _templates(self, chain: tuple[str, ...]) -> Mapping[str, CompiledTemplate]:
        loader = jinja2.FileSystemLoader([self.root / name for name in chain])
        environment = jinja2.Environment(loader=loader, **JINJA_OPTIONS)  # type: ignore[arg-type]
        templates = {}
        for name in environment.list_templates(filter_func=lambda n: n.endswith(TEMPLATE_SUFFIX)):
            template = environment.get_template(name)
            if template.blocks:
                templates[name] = CompiledTemplate(name, _blocks(environment, template), None)
            else:
                templates[name] = CompiledTemplate(name, {}, _module(environment, template))
        return templates


def _blocks(environment: jinja2.Environment, template: jinja2.Template) -> dict[str, Any]:
    def block(render: Any) -> Any:
        def render_block(data: Mapping[str, Any]) -> str:
            context = environment.context_class(
                environment, dict(data), template.name, template.blocks
            )
            return "".join(render(context))

        return render_block

    return {name: block(render) for name, render in template.blocks.items()}


def _module(environment: jinja2.Environment, template: jinja2.Template) -> Any:
    def module(globals_: Mapping[str, Any], load: Loader) -> Library:
        # Jinja builds a library (and what it imports) with the environment's globals.
        environment.globals.update(globals_)
        return template.module  # type: ignore[return-value]

    return module
