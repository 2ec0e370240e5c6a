"""The Alexa endpoint: a Flask app factory around the skill core.

``create_app()`` reads the environment once, sets secure defaults with ``setdefault``
(so only an explicit ``STEP_COACH_VERIFY=0`` turns request verification off) and mounts
the Alexa route as a blueprint. The route hands the raw body and headers to the
verifier and the core; every refusal is a small JSON answer, never a stack trace.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Mapping
from typing import Any

from flask import Blueprint, Flask, current_app, jsonify, request
from werkzeug.exceptions import HTTPException

from skill import settings
from skill.alexa.envelope import InvalidRequest, is_text
from skill.alexa.ids import key_tag, user_key
from skill.coach import priming
from skill.coach.step_coach import ForgetFailed, StepCoach
from skill.serve.verification import RequestVerifier, VerificationError

log = logging.getLogger("skill.app")
access_log = logging.getLogger("skill.access")

# Alexa requests are a few kilobytes (session attributes included); anything far larger
# is not from Alexa.
DEFAULT_MAX_BODY_BYTES = 128 * 1024

alexa = Blueprint("alexa", __name__)


def settings_from_environment(environ: Mapping[str, str]) -> dict[str, Any]:
    """The endpoint's settings as Flask config values, from environment variables."""
    config: dict[str, Any] = {}
    if settings.VERIFY in environ:
        config[settings.VERIFY] = settings.flag(environ[settings.VERIFY])
    if settings.configured_skill_ids(environ):
        config[settings.SKILL_ID] = settings.configured_skill_ids(environ)
    if environ.get(settings.EXTRA_CA_FILE):
        config[settings.EXTRA_CA_FILE] = environ[settings.EXTRA_CA_FILE]
    if environ.get(settings.MAX_BODY_BYTES):
        config[settings.MAX_BODY_BYTES] = int(environ[settings.MAX_BODY_BYTES])
    return config


def _hashed(user_id: object) -> str:
    if not isinstance(user_id, str) or not is_text(user_id):
        return "-"
    return key_tag(user_key(user_id))


def _shown(value: object) -> str:
    """A caller's value as the log line may show it: short, and text (or "-")."""
    shown = str(value)[:60]
    return shown if is_text(shown) else "-"


def _describe(envelope: object) -> tuple[str, str, str]:
    """Request type, intent name and hashed user id, for the log line; never raises."""
    if not isinstance(envelope, dict):
        return "-", "-", "-"
    req = envelope.get("request") if isinstance(envelope.get("request"), dict) else {}
    intent = req.get("intent") if isinstance(req.get("intent"), dict) else {}
    session = envelope.get("session") if isinstance(envelope.get("session"), dict) else {}
    user = session.get("user") if isinstance(session.get("user"), dict) else {}
    return (
        _shown(req.get("type", "-")),
        _shown(intent.get("name", "-")),
        _hashed(user.get("userId")),
    )


def error(status: int, reason: str, message: str):
    response = jsonify({"error": reason, "message": message})
    response.status_code = status
    return response


@alexa.post("/")
def alexa_request():
    started = time.perf_counter()
    envelope: object = None
    status = 200
    try:
        try:
            body = request.get_data(cache=False)
        except HTTPException:
            raise  # 413 and friends keep their own JSON answer
        except Exception:  # the server could not read the body (bad chunking, a cut stream)
            status = 400
            return error(400, "unreadable_body", "The request body could not be read.")
        try:
            envelope = json.loads(body)
        except (ValueError, UnicodeDecodeError, RecursionError):  # deep nesting is refused
            status = 400
            return error(400, "invalid_json", "The request body is not valid JSON.")
        if not isinstance(envelope, dict):
            status = 400
            return error(400, "invalid_envelope", "The request body must be a JSON object.")
        try:
            current_app.extensions["step_coach.verifier"].verify(request.headers, body, envelope)
        except VerificationError as refused:
            status = refused.status
            return error(refused.status, refused.reason, refused.message)
        try:
            answer = current_app.extensions["step_coach.coach"].handle(envelope)
        except InvalidRequest as invalid:
            status = 400
            return error(400, "invalid_envelope", invalid.reason)
        except ForgetFailed:  # logged by the handler; Alexa delivers the event again
            status = 503
            return error(503, "store_unavailable", "The user's data could not be deleted yet.")
        return jsonify(answer)
    except HTTPException as refused:  # 413 and friends, answered by _http_error
        status = refused.code or 500
        raise
    except Exception:  # a bug, answered by _internal_error
        status = 500
        raise
    finally:
        if access_log.isEnabledFor(logging.INFO):
            request_type, intent, user = _describe(envelope)
            access_log.info(
                "alexa %s %s user=%s status=%s %.1fms",
                request_type,
                intent,
                user,
                status,
                (time.perf_counter() - started) * 1000,
            )


@alexa.get("/health")
def health():
    return jsonify(
        {
            "status": "ok",
            "verification": current_app.config[settings.VERIFY],
            "application_ids_checked": bool(current_app.config[settings.SKILL_ID]),
        }
    )


def _http_error(exception: HTTPException):
    reason = (exception.name or "error").lower().replace(" ", "_")
    return error(exception.code or 500, reason, exception.description or "")


def _internal_error(exception: Exception):
    log.exception("unhandled error in the endpoint")
    return error(500, "internal_error", "Something went wrong on our side.")


def create_app(config_overrides: Mapping[str, Any] | None = None) -> Flask:
    """Build the endpoint. ``config_overrides`` wins over the environment (tests, embedding).

    Besides the setting keys of :mod:`skill.settings`, tests may pass ready objects:
    ``"STEP_COACH_COACH"`` (a :class:`StepCoach`) and ``"STEP_COACH_VERIFIER"``.
    """
    if not logging.getLogger().handlers:
        logging.basicConfig(
            level=os.environ.get(settings.LOG_LEVEL, "INFO").upper(),
            format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        )
    app = Flask(__name__)
    app.json.sort_keys = False  # Alexa does not care about key order; sorting costs per request
    app.config.update(settings_from_environment(os.environ))
    app.config.update(config_overrides or {})
    app.config.setdefault(settings.VERIFY, True)
    app.config.setdefault(settings.SKILL_ID, ())
    app.config.setdefault(settings.MAX_BODY_BYTES, DEFAULT_MAX_BODY_BYTES)
    app.config["MAX_CONTENT_LENGTH"] = app.config[settings.MAX_BODY_BYTES]

    if not app.config[settings.VERIFY]:
        log.warning(
            "REQUEST VERIFICATION IS OFF (%s=0): any caller can talk to this skill. "
            "Use this for local development only.",
            settings.VERIFY,
        )
    if not app.config[settings.SKILL_ID]:
        log.warning(
            "%s is not set: requests for any Alexa skill id are accepted", settings.SKILL_ID
        )

    verifier = app.config.get("STEP_COACH_VERIFIER")
    if verifier is None:
        extra_ca = None
        if app.config.get(settings.EXTRA_CA_FILE):
            with open(app.config[settings.EXTRA_CA_FILE], "rb") as handle:
                extra_ca = handle.read()
        verifier = RequestVerifier(
            verify_signature=app.config[settings.VERIFY],
            allowed_application_ids=app.config[settings.SKILL_ID],
            extra_ca_pem=extra_ca,
        )
    coach = app.config.get("STEP_COACH_COACH")
    if coach is None:
        coach = StepCoach.from_environment()
        priming.prime(coach)  # before gunicorn forks: every worker starts with it all loaded
    app.extensions["step_coach.verifier"] = verifier
    app.extensions["step_coach.coach"] = coach

    app.register_blueprint(alexa)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _internal_error)
    return app
