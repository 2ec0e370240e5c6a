"""Configuration keys, read from the environment once at start-up.

Each key is a named constant here, so a typo is a NameError rather than a silently
ignored setting.
"""

from __future__ import annotations

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
# Largest accepted request body in bytes at the HTTP endpoint.
MAX_BODY_BYTES = "STEP_COACH_MAX_BODY_BYTES"
# Python logging level name for the skill's loggers (default: INFO).
LOG_LEVEL = "STEP_COACH_LOG_LEVEL"
