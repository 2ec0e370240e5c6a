"""Project-anchored paths.

Templates, interaction models and content are read relative to this package, never
relative to the current working directory, so the skill finds them from the checkout,
from an editable install, from gunicorn and from a test run alike.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = PACKAGE_DIR.parent
CONTENT_DIR = PACKAGE_DIR / "content"
SPEECH_TEMPLATES_DIR = PROJECT_DIR / "speech_templates"
INTERACTION_MODELS_DIR = PROJECT_DIR / "interaction_models"
DATA_DIR = PROJECT_DIR / "var"
