"""The skill: a plain function from an Alexa request envelope to a response envelope.

Flask, the Lambda entry point, the local runner and the tests are thin shells around
:class:`StepCoach`. It knows nothing of HTTP: it checks the envelope's shape (so a
malformed request is the caller's 4xx, not our 500), runs the ask-sdk-core skill and
serializes the answer.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from typing import Any

from ask_sdk_core.skill import CustomSkill
from ask_sdk_core.skill_builder import CustomSkillBuilder
from ask_sdk_model import RequestEnvelope, ResponseEnvelope

from skill.alexa.codec import ModelCodec
from skill.alexa.envelope import InvalidRequest, validate_envelope
from skill.coach import completeness, handlers, screen
from skill.coach.catalog import Catalog, catalog_for, default_catalog
from skill.coach.events import ForgetFailed
from skill.coach.language import content_languages, serving_language
from skill.coach.speech import SpeechRenderer
from skill.coach.turn import LoadTurn, SaveTurn, WallClock, utc_now
from skill.storage.base import PersistenceAdapter, time_budget
from skill.storage.factory import create_persistence_adapter

log = logging.getLogger(__name__)

__all__ = ["EMPTY_RESPONSE", "ForgetFailed", "InvalidRequest", "StepCoach"]

# All of one request's store calls together, retries and lock waits included: Alexa waits
# 8 s for an answer, and the network to it and back needs its share.
STORE_BUDGET_SECONDS = 3.0

APL_RUNTIME_ERROR = "Alexa.Presentation.APL.RuntimeError"

# A response that says nothing and changes nothing: what a refused Lambda event gets.
EMPTY_RESPONSE = {"version": "1.0", "response": {}}


class StepCoach:
    """The whole skill as an object: build once, then :meth:`handle` each request."""

    def __init__(
        self,
        *,
        catalog: Catalog | None = None,
        renderer: SpeechRenderer | None = None,
        persistence_adapter: PersistenceAdapter | None = None,
        clock: WallClock | None = None,
    ) -> None:
        # One catalog for every locale where one is given (tests), else each language's own.
        self.fixed_catalog = catalog
        self.catalog = catalog or default_catalog()
        self.renderer = renderer or SpeechRenderer()
        self.serializer = ModelCodec()
        self.persistence_adapter = persistence_adapter
        self.clock = clock or utc_now
        self.skill: CustomSkill = self._build()

    def warm_up(self) -> None:
        """Do now what requests would otherwise do on first use: check every language is
        complete (:class:`~skill.coach.completeness.LanguageError` if not), compile
        templates and plans, read the screens' documents.

        Part of :func:`skill.coach.priming.prime`, which servers and the Lambda run at start-up.
        """
        completeness.require_complete(self.renderer.root)
        self.renderer.preload_all()
        for language in sorted(content_languages()) if self.fixed_catalog is None else ():
            catalog_for(language).compile_plans()
        self.catalog.compile_plans()
        screen.load_documents()

    def catalog_of(self, locale: str | None) -> Catalog:
        """The catalog a request's locale is answered from (logged when it is not served)."""
        if self.fixed_catalog is not None:
            return self.fixed_catalog
        return catalog_for(serving_language(locale))

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> StepCoach:
        """The skill with the per-user store the environment configures (SQLite by default)."""
        return cls(persistence_adapter=create_persistence_adapter(environ))

    def _build(self) -> CustomSkill:
        builder = CustomSkillBuilder(persistence_adapter=self.persistence_adapter)
        for handler in handlers.REQUEST_HANDLERS:
            builder.add_request_handler(handler)
        builder.add_global_request_interceptor(
            LoadTurn(self.catalog_of, self.renderer, self.persistence_adapter, self.clock)
        )
        builder.add_global_response_interceptor(SaveTurn())
        builder.add_exception_handler(handlers.CatchAll(self.catalog_of, self.renderer))
        return builder.create()

    def handle(self, envelope: object) -> dict[str, Any]:
        """Answer one request envelope (parsed JSON) with a response envelope (JSON-ready)."""
        validate_envelope(envelope)
        request_envelope = self._deserialize(envelope)
        with time_budget(STORE_BUDGET_SECONDS):
            response: ResponseEnvelope = self.skill.invoke(
                request_envelope=request_envelope, context=None
            )
        return self.serializer.serialize(response)

    def _deserialize(self, envelope: dict[str, Any]) -> RequestEnvelope:
        try:
            request_envelope = self.serializer.from_data(envelope, RequestEnvelope)
            if request_envelope.request is None:
                raise ValueError("no request")
            return request_envelope
        except Exception as error:  # the SDK raises bare exceptions on type mismatches
            request = envelope["request"]
            if request["type"] == APL_RUNTIME_ERROR and request.get("errors"):
                # Error kinds or reasons newer than the SDK's models: the report is still
                # taken (and logged as it came), only not read field by field.
                log.error("a screen reported errors: %s", json.dumps(request["errors"])[:500])
                return self._deserialize({**envelope, "request": {**request, "errors": []}})
            raise InvalidRequest("the envelope does not match the Alexa request format") from error

    def handle_json(self, body: str | bytes) -> dict[str, Any]:
        try:
            envelope = json.loads(body)
        except (ValueError, UnicodeDecodeError, RecursionError) as error:
            raise InvalidRequest("the body is not valid JSON") from error
        return self.handle(envelope)
