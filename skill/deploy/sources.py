"""What the deploy build reads from the coach: the one place that imports it.

The build is a shell around the coach, like the web endpoint and the local runner: it may
read the coach's content and settings, never the other way round. Keeping every such
import here means the package layout can change under it with one file to fix.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from skill import content_files
from skill.coach.catalog import Catalog, catalog_for
from skill.coach.completeness import check_languages
from skill.coach.language import MANIFEST_FILE, all_locales, language_data, read
from skill.coach.locales import DEFAULT_LANGUAGE
from skill.coach.speech import compile_templates
from skill.settings import (
    COMPILED_TEMPLATES_DIR,
    CONTENT_DIR,
    INTERACTION_MODELS_DIR,
    PROJECT_DIR,
    SCREENS_DIR,
    SPEECH_TEMPLATES_DIR,
)

# The Lambda entry point, as Lambda's Handler setting names it.
LAMBDA_HANDLER = "skill.lambda_function.lambda_handler"
# The module that entry point lives in: the root of what the zip must contain.
LAMBDA_MODULE = LAMBDA_HANDLER.rpartition(".")[0]
# The top-level package of the skill's code.
PACKAGE = "skill"
PACKAGE_DIR = PROJECT_DIR / PACKAGE

# Data the Lambda path reads at run time (relative to the project), shipped beside the code.
RUNTIME_DATA_DIRS: tuple[Path, ...] = (CONTENT_DIR, SCREENS_DIR, SPEECH_TEMPLATES_DIR)
# Where the package's content files are (relative to the project, as in the zip).
CONTENT = CONTENT_DIR.relative_to(PROJECT_DIR)
# Where the package's precompiled templates go (relative to the project, as in the zip).
COMPILED_TEMPLATES = COMPILED_TEMPLATES_DIR.relative_to(PROJECT_DIR)


__all__ = ["DEFAULT_LANGUAGE", "all_locales", "check_languages"]


def catalog(code: str = DEFAULT_LANGUAGE) -> Catalog:
    return catalog_for(code)


def manifest_words(code: str = DEFAULT_LANGUAGE) -> dict[str, Any]:
    """The manifest's words in one language (``<code>/manifest.toml``)."""
    return read(code, MANIFEST_FILE)


def language(code: str = DEFAULT_LANGUAGE) -> dict[str, Any]:
    """Samples, locales and invocation name for one language (``<code>/language.toml``)."""
    return language_data(code)


def interaction_model_file(locale: str) -> Path:
    return INTERACTION_MODELS_DIR / f"{locale}.json"


def write_compiled_templates(target: Path) -> list[Path]:
    """The templates as Python modules (Jinja's), which the renderer loads where it finds them."""
    return compile_templates(target, SPEECH_TEMPLATES_DIR)


def write_content_json(folder: Path) -> list[Path]:
    """A JSON twin of each content TOML file under ``folder``, which the coach reads instead."""
    return [content_files.write_json(path) for path in sorted(folder.rglob("*.toml"))]
