"""Where the runner's requests go: the skill in this process, or an endpoint over HTTP."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, Protocol
from urllib.parse import urlparse

from skill import settings

# HTTP timeouts for --url, in seconds: connecting, then waiting for the answer.
CONNECT_TIMEOUT_S = 3.0
READ_TIMEOUT_S = 10.0


class RunnerError(Exception):
    """Something the user can fix; shown as one line, never as a traceback."""


class UsageError(RunnerError):
    """A bad command line (exit status 2, like argparse)."""


class SkillFailed(RunnerError):
    """The skill gave no usable answer; ``alexa_error`` is the error type Alexa reports for
    it in the ``SessionEndedRequest`` (reason ``ERROR``) that follows."""

    def __init__(self, message: str, alexa_error: str = "INVALID_RESPONSE") -> None:
        super().__init__(message)
        self.alexa_error = alexa_error


class Skill(Protocol):
    """Where requests go: the skill in this process, or an endpoint over HTTP."""

    def send(self, envelope: Mapping[str, Any]) -> dict[str, Any]: ...

    def close(self) -> None: ...


class InProcessSkill:
    """The skill core called directly, built once per run."""

    def __init__(self) -> None:
        from skill.coach.step_coach import StepCoach  # deferred: --list-voices needs no skill

        try:
            self.coach = StepCoach.from_environment()
        except Exception as failure:  # the store's configuration: one line, never a traceback
            raise RunnerError(f"cannot start the skill: {failure}") from None

    def send(self, envelope: Mapping[str, Any]) -> dict[str, Any]:
        from skill.coach.step_coach import InvalidRequest

        try:
            return self.coach.handle(dict(envelope))
        except InvalidRequest as refused:
            raise SkillFailed(
                f"the skill refused a locally built request ({refused.reason}); "
                "this is a bug in skill/envelopes.py"
            ) from None

    def close(self) -> None:
        """Nothing to release: the skill lives as long as the process."""


class HttpSkill:
    """A running endpoint (``--url``): POSTs the envelope as JSON, as Alexa does."""

    def __init__(self, url: str, timeout: tuple[float, float] | None = None) -> None:
        parsed = urlparse(url)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise UsageError(f"--url must be an http:// or https:// URL, not {url!r}")
        import requests  # deferred: in-process runs never need it

        self._requests = requests
        self._session = requests.Session()
        self.url = url
        self.timeout = timeout or (CONNECT_TIMEOUT_S, READ_TIMEOUT_S)

    def send(self, envelope: Mapping[str, Any]) -> dict[str, Any]:
        errors = self._requests.exceptions
        try:
            answer = self._session.post(
                self.url,
                data=json.dumps(envelope).encode("utf-8"),
                headers={
                    "Content-Type": "application/json; charset=utf-8",
                    "Accept": "application/json",
                },
                timeout=self.timeout,
            )
        except errors.Timeout:
            raise SkillFailed(
                f"no answer from {self.url} within {self.timeout[1]:g} s", "ENDPOINT_TIMEOUT"
            ) from None
        except errors.ConnectionError as failure:
            raise SkillFailed(f"cannot reach {self.url}: {_connection_reason(failure)}") from None
        except errors.RequestException as failure:
            raise SkillFailed(f"request to {self.url} failed: {failure}") from None
        if answer.status_code >= 400:
            raise SkillFailed(_http_error(self.url, answer))
        try:
            body = answer.json()
        except ValueError:
            kind = answer.headers.get("Content-Type") or "no content type"
            raise SkillFailed(
                f"{self.url} answered with something other than JSON ({kind})"
            ) from None
        if not isinstance(body, dict) or not isinstance(body.get("response"), dict):
            raise SkillFailed(f"{self.url} answered JSON that is not an Alexa response")
        return body

    def close(self) -> None:
        self._session.close()


def _connection_reason(failure: Exception) -> str:
    text = str(failure)
    for marker, reason in (
        ("Connection refused", "connection refused"),
        ("Name or service not known", "unknown host"),
        ("nodename nor servname", "unknown host"),
        ("No route to host", "no route to host"),
        ("CERTIFICATE_VERIFY_FAILED", "TLS certificate not trusted"),
    ):
        if marker in text:
            return reason
    return "connection failed"


def _http_error(url: str, answer: Any) -> str:
    """One line for an HTTP error status, with the endpoint's own reason when it gives one."""
    detail = ""
    try:
        body = answer.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and (body.get("error") or body.get("message")):
        detail = ": " + "; ".join(str(body[k]) for k in ("error", "message") if body.get(k))
    line = f"{url} answered HTTP {answer.status_code}{detail}"
    if answer.status_code in (400, 401, 403) and re.search(r"signature|cert", detail, re.I):
        line += f" (the runner cannot sign requests: start the endpoint with {settings.VERIFY}=0)"
    return " ".join(line.split())
