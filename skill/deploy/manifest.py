"""The skill manifest (``skill-package/skill.json``), generated, never hand-copied.

Every locale of every language is published. A locale's invocation name comes from its
language's ``language.toml``, the exercise names and the safety line from its catalog, and
the rest of its words from its ``manifest.toml`` (``content/<lang>/``); what no language
changes (category, privacy answers) is in ``manifest.toml`` beside this module, and the
skill-wide testing instructions are the default language's. The endpoint is one of three:

* ``Endpoint.lambda_from_stack()``: no URI yet. ``ask deploy`` creates the CloudFormation
  stack, reads its ``SkillEndpoint`` output (the function's ARN) and writes it into
  ``apis.custom.endpoint`` and, for the ``skillEvents`` named in ``ask-resources.json``,
  into ``events.endpoint``; this is how Amazon's own cfn-deployer projects do it.
* ``Endpoint.lambda_arn(arn)``: an existing function, written in directly.
* ``Endpoint.https(uri, certificate)``: the gunicorn route behind TLS.

Skill events need an endpoint of their own: ``AlexaSkillEvent.SkillDisabled`` (which
deletes the user's data) is only sent when ``events`` has both the subscription and an
endpoint, so the manifest carries them together or, in the first case, leaves both to
the deployer.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from skill.deploy import sources

MANIFEST_TEXT_FILE = Path(__file__).with_name("manifest.toml")
# The skill event the coach handles: disabling the skill deletes the user's stored data.
SUBSCRIBED_EVENTS = ("SKILL_DISABLED",)
# Alexa's certificate options for an HTTPS endpoint (manifest ``sslCertificateType``).
CERTIFICATE_TYPES = ("Trusted", "Wildcard", "SelfSigned")
MANIFEST_VERSION = "1.0"


class ManifestError(ValueError):
    """The manifest cannot be built as asked; the message says what to change."""


@dataclass(frozen=True)
class Endpoint:
    uri: str | None = None
    certificate: str | None = None  # sslCertificateType, HTTPS endpoints only

    @classmethod
    def lambda_from_stack(cls) -> Endpoint:
        return cls()

    @classmethod
    def lambda_arn(cls, arn: str) -> Endpoint:
        if not arn.startswith("arn:aws:lambda:"):
            raise ManifestError(f"{arn!r} is not a Lambda function ARN (arn:aws:lambda:...)")
        return cls(arn)

    @classmethod
    def https(cls, uri: str, certificate: str) -> Endpoint:
        if not uri.startswith("https://"):
            raise ManifestError(f"the endpoint {uri!r} must be an https:// URL")
        if certificate not in CERTIFICATE_TYPES:
            raise ManifestError(
                f"certificate type {certificate!r} is not one of {', '.join(CERTIFICATE_TYPES)}"
            )
        return cls(uri, certificate)

    def as_manifest(self) -> dict[str, str] | None:
        if self.uri is None:
            return None
        fields = {"uri": self.uri}
        if self.certificate is not None:
            fields["sslCertificateType"] = self.certificate
        return fields


@dataclass(frozen=True)
class ExamplePhrase:
    text: str
    expects: str  # "LaunchRequest" or the intent the phrase asks for
    slots: dict[str, str]  # slot name -> the value id it must resolve to


@cache
def manifest_text() -> dict[str, Any]:
    """What the manifest says in every language: category, privacy answers."""
    with MANIFEST_TEXT_FILE.open("rb") as handle:
        return tomllib.load(handle)


def invocation_name(language: str = sources.DEFAULT_LANGUAGE) -> str:
    return sources.language(language)["invocation_name"]


def locales(language: str | None = None) -> list[str]:
    """The locales of one language, or (``None``) of every language."""
    if language is None:
        return list(sources.all_locales())
    return list(sources.language(language)["locales"])


def example_phrases(language: str = sources.DEFAULT_LANGUAGE) -> list[ExamplePhrase]:
    name = invocation_name(language)
    return [
        ExamplePhrase(
            text=entry["text"].format(invocation=name),
            expects=entry["expects"],
            slots=dict(entry.get("slots", {})),
        )
        for entry in sources.manifest_words(language)["example_phrases"]
    ]


def _spoken_list(names: list[str], text: dict[str, Any]) -> str:
    if len(names) < 2:
        return "".join(names)
    return text["list_separator"].join(names[:-1]) + text["list_last"] + names[-1]


def description(language: str = sources.DEFAULT_LANGUAGE) -> str:
    catalog = sources.catalog(language)
    text = sources.manifest_words(language)["text"]
    return text["description"].format(
        workouts=_spoken_list([exercise.name for exercise in catalog.exercises.values()], text),
        safety=catalog.safety,
        invocation=invocation_name(language),
    )


def publishing_locale(language: str = sources.DEFAULT_LANGUAGE) -> dict[str, Any]:
    text = sources.manifest_words(language)["text"]
    return {
        "name": text["name"],
        "summary": text["summary"],
        "description": description(language),
        "examplePhrases": [phrase.text for phrase in example_phrases(language)],
        "keywords": list(text["keywords"]),
    }


# The screens the APL documents are laid out for (skill/coach/screens/): Echo Spot, Show 5,
# Show 8, Show 10 and 15, and Fire TV.
def _viewport(mode: str, shape: str, width: tuple[int, int], height: tuple[int, int]) -> dict:
    return {
        "mode": mode,
        "shape": shape,
        "minWidth": width[0],
        "maxWidth": width[1],
        "minHeight": height[0],
        "maxHeight": height[1],
    }


APL_VIEWPORTS = (
    _viewport("HUB", "ROUND", (480, 480), (480, 480)),
    _viewport("HUB", "RECTANGLE", (960, 1279), (480, 599)),
    _viewport("HUB", "RECTANGLE", (1024, 1279), (600, 799)),
    _viewport("HUB", "RECTANGLE", (1280, 1920), (800, 1200)),
    _viewport("TV", "RECTANGLE", (960, 960), (540, 540)),
)


def build_manifest(endpoint: Endpoint) -> dict[str, Any]:
    """The skill.json document for every locale of every language."""
    data = manifest_text()
    default = sources.DEFAULT_LANGUAGE
    text = sources.manifest_words(default)["text"]
    custom: dict[str, Any] = {}
    endpoint_fields = endpoint.as_manifest()
    if endpoint_fields is not None:
        custom["endpoint"] = endpoint_fields
    custom["interfaces"] = [
        {"type": "ALEXA_PRESENTATION_APL", "supportedViewports": list(APL_VIEWPORTS)}
    ]
    manifest: dict[str, Any] = {
        "manifestVersion": MANIFEST_VERSION,
        "publishingInformation": {
            "locales": {
                locale: publishing_locale(language)
                for locale, language in sources.all_locales().items()
            },
            "category": data["category"],
            "isAvailableWorldwide": True,
            "testingInstructions": text["testing_instructions"].format(
                invocation=invocation_name(default)
            ),
        },
        "privacyAndCompliance": dict(data["privacyAndCompliance"]),
        # Screens are the one interface the coach uses (skill.coach.screen); no permissions.
        "apis": {"custom": custom},
    }
    if endpoint_fields is not None:
        manifest["events"] = {
            "endpoint": dict(endpoint_fields),
            "subscriptions": [{"eventName": name} for name in SUBSCRIBED_EVENTS],
        }
    return {"manifest": manifest}
