"""Interaction models for the Alexa developer console, generated from the content.

Slot values and synonyms come from a language's catalog, samples and prompts from its
``content/<lang>/language.toml``, so the models cannot drift from what the handlers know.
``python -m skill.interaction_model`` rewrites ``interaction_models/<locale>.json`` for
every locale of every language (after checking each language is complete); a test fails
when the files on disk differ from what this module generates.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from skill.coach.catalog import Catalog, catalog_for
from skill.coach.completeness import check_languages
from skill.coach.language import all_locales, language_data
from skill.coach.locales import DEFAULT_LANGUAGE
from skill.coach.words import spoken_form
from skill.settings import INTERACTION_MODELS_DIR


def _slot_values(entries: Iterable[tuple[str, str, Iterable[str]]]) -> list[dict[str, Any]]:
    values = []
    for item_id, name, synonyms in entries:
        value = spoken_form(name)
        seen = {value}
        unique = []
        for synonym in synonyms:
            spoken = spoken_form(synonym)
            if spoken not in seen:
                seen.add(spoken)
                unique.append(spoken)
        values.append({"id": item_id, "name": {"value": value, "synonyms": unique}})
    return values


def slot_types(catalog: Catalog, language: str = DEFAULT_LANGUAGE) -> list[dict[str, Any]]:
    workouts = [*catalog.routines.values(), *catalog.exercises.values()]
    spoken_types = language_data(language)["types"]  # PACE, SOUNDS: first word is the name
    return [
        {
            "name": "EXERCISE",
            "values": _slot_values((w.id, w.name, w.synonyms) for w in workouts),
        },
        {
            "name": "TOPIC",
            "values": _slot_values((t.id, t.name, t.synonyms) for t in catalog.topics.values()),
        },
        *(
            {
                "name": name,
                "values": _slot_values(
                    (value_id, synonyms[0], synonyms[1:]) for value_id, synonyms in values.items()
                ),
            }
            for name, values in spoken_types.items()
        ),
    ]


def build_model(
    locale: str, catalog: Catalog | None = None, language: str = DEFAULT_LANGUAGE
) -> dict:
    """The full interaction model document for one locale of a language."""
    catalog = catalog or catalog_for(language)
    data = language_data(language)
    intents = []
    dialog_intents = []
    prompts = []
    for name, spec in data["intents"].items():
        slots = spec.get("slots", {})
        intent: dict[str, Any] = {"name": name, "samples": list(spec["samples"])}
        if slots:
            intent["slots"] = [{"name": slot, "type": kind} for slot, kind in slots.items()]
        intents.append(intent)
        if "elicitation" in spec:
            ((slot_name, slot_type),) = slots.items()
            prompt_id = f"Elicit.Slot.{name}.{slot_name}"
            dialog_intents.append(
                {
                    "name": name,
                    "confirmationRequired": False,
                    "prompts": {},
                    "slots": [
                        {
                            "name": slot_name,
                            "type": slot_type,
                            "elicitationRequired": True,
                            "confirmationRequired": False,
                            "prompts": {"elicitation": prompt_id},
                        }
                    ],
                }
            )
            prompts.append(
                {
                    "id": prompt_id,
                    "variations": [
                        {"type": "PlainText", "value": text} for text in spec["elicitation"]
                    ],
                }
            )
    return {
        "interactionModel": {
            "languageModel": {
                "invocationName": data["invocation_name"],
                "intents": intents,
                "types": slot_types(catalog, language),
            },
            "dialog": {"intents": dialog_intents, "delegationStrategy": "SKILL_RESPONSE"},
            "prompts": prompts,
        }
    }


def model_path(locale: str) -> Path:
    return INTERACTION_MODELS_DIR / f"{locale}.json"


def render_model(model: dict) -> str:
    return json.dumps(model, indent=2, ensure_ascii=False) + "\n"


def write_models(folder: Path = INTERACTION_MODELS_DIR) -> list[Path]:
    """A model per locale of every language, in ``folder``."""
    written = []
    for locale, language in all_locales().items():
        path = folder / f"{locale}.json"
        path.write_text(render_model(build_model(locale, language=language)), encoding="utf-8")
        written.append(path)
    return written


def main() -> int:
    problems = check_languages()
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 1
    for path in write_models():
        print(f"wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
