"""Where things are and what the environment asks for: one place, read once.

Paths are anchored to this package, never to the working directory, so the skill finds
its templates, models and content from a checkout, an editable install, gunicorn and a
test run alike. Each environment key is a named constant, so a typo is a NameError rather
than a silently ignored setting; the parsers below are the only readers of their values.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

# Folders of the languages' content and templates to read instead of the packaged ones (a
# language being written, a test's throwaway language); read once, at import.
CONTENT_DIR_SETTING = "STEP_COACH_CONTENT_DIR"
SPEECH_TEMPLATES_DIR_SETTING = "STEP_COACH_SPEECH_TEMPLATES_DIR"

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = PACKAGE_DIR.parent
CONTENT_DIR = Path(os.environ.get(CONTENT_DIR_SETTING) or PACKAGE_DIR / "coach" / "content")
SCREENS_DIR = PACKAGE_DIR / "coach" / "screens"
SPEECH_TEMPLATES_DIR = Path(
    os.environ.get(SPEECH_TEMPLATES_DIR_SETTING) or PROJECT_DIR / "speech_templates"
)
# The templates compiled to Python modules, one folder per locale: written into the Lambda
# package by skill.deploy (a checkout has none, so it renders from the sources).
COMPILED_TEMPLATES_DIR = PROJECT_DIR / "speech_templates_compiled"
INTERACTION_MODELS_DIR = PROJECT_DIR / "interaction_models"
DATA_DIR = PROJECT_DIR / "var"

# Comma-separated Alexa application ids accepted by the endpoint; unset means "any" (warned).
SKILL_ID = "STEP_COACH_SKILL_ID"
# "1" (default) verifies Alexa signatures and timestamps; "0" is for local development only.
VERIFY = "STEP_COACH_VERIFY"
# Path of a PEM bundle of extra trusted roots for certificate-chain checks (tests, private CAs).
EXTRA_CA_FILE = "STEP_COACH_EXTRA_CA_FILE"
# Persistence back end: "sqlite" (default), "dynamodb" or "none".
STORE = "STEP_COACH_STORE"
# SQLite database file path (default: var/step_coach.sqlite3 under the project).
DB = "STEP_COACH_DB"
# DynamoDB table name (default: step_coach_users).
DYNAMODB_TABLE = "STEP_COACH_DYNAMODB_TABLE"
# AWS region for DynamoDB (default: us-east-1).
DYNAMODB_REGION = "STEP_COACH_DYNAMODB_REGION"
# Optional DynamoDB endpoint URL (for example a local dynalite server).
DYNAMODB_ENDPOINT = "STEP_COACH_DYNAMODB_ENDPOINT"
# "0": the table exists already (default: created on first use when an endpoint is set).
DYNAMODB_CREATE_TABLE = "STEP_COACH_DYNAMODB_CREATE_TABLE"
# Largest accepted request body in bytes at the HTTP endpoint.
MAX_BODY_BYTES = "STEP_COACH_MAX_BODY_BYTES"
# Python logging level name for the skill's loggers (default: INFO).
LOG_LEVEL = "STEP_COACH_LOG_LEVEL"


class ConfigurationError(ValueError):
    """A setting the skill cannot run with; raised at start-up, its message one clear line."""


# Values of a boolean setting that mean "off"; anything else set means "on".
_OFF = frozenset({"0", "false", "no", "off"})


def skill_ids(text: str) -> tuple[str, ...]:
    """The application ids of a comma-separated list, blanks dropped."""
    return tuple(part.strip() for part in text.split(",") if part.strip())


def configured_skill_ids(environ: Mapping[str, str]) -> tuple[str, ...]:
    return skill_ids(environ.get(SKILL_ID, ""))


def flag(text: str) -> bool:
    return text.strip().lower() not in _OFF
