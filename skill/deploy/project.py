"""An ASK CLI v2 project for the skill, written into a build folder for ``ask deploy``.

The layout is the one ``ask new`` creates for a cfn-deployer skill::

    ask-resources.json                  profiles.default: skill package, code, infrastructure
    skill-package/skill.json            the manifest (skill.deploy.manifest)
    skill-package/interactionModels/custom/<locale>.json   copied from interaction_models/
    lambda/                             the handler's code and requirements.txt
    infrastructure/cfn-deployer/skill-stack.yaml           the CloudFormation template
    hooks/build.sh                      the ASK CLI's custom build step: the zip below
    step-coach-lambda.zip               the deployment zip, dependencies for Lambda included

The ASK CLI runs ``hooks/build.sh`` in preference to its own ``pip install`` (which would
fetch wheels for the machine it runs on, not for Lambda), so what it uploads is the zip
the tests ran in isolation. For the HTTPS route only the skill package is written: the
endpoint runs elsewhere, and ``ask deploy`` then updates the skill and its models only.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from skill.deploy import lambda_package, manifest, sources
from skill.deploy.manifest import Endpoint

ASK_RESOURCES_VERSION = "2020-03-31"
PROFILE = "default"
CFN_DEPLOYER = "@ask-cli/cfn-deployer"
TEMPLATE_FILE = Path(__file__).with_name("skill-stack.yaml")
TEMPLATE_PATH = "infrastructure/cfn-deployer/skill-stack.yaml"
ZIP_NAME = "step-coach-lambda.zip"
# The Alexa region's default AWS region (North America); Europe and the Far East may
# choose eu-west-1 or us-west-2 with --aws-region.
DEFAULT_AWS_REGION = "us-east-1"

BUILD_HOOK = """\
#!/usr/bin/env bash
# ASK CLI custom build step (hooks/build.sh OUT_FILE DO_DEBUG): hand over the zip that
# `python -m skill.deploy` built for Lambda's platform and the test suite ran in isolation.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
zip="$here/%(zip)s"
if [ ! -f "$zip" ]; then
  echo "[Error] $zip is missing: run ./dev package in the Step Coach checkout" >&2
  exit 1
fi
cp "$zip" "$1"
"""


@dataclass(frozen=True)
class Built:
    """What a build wrote, for the report and the tests."""

    root: Path
    manifest: dict[str, Any]
    zip_path: Path | None
    zip_bytes: int | None


def _write_json(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def ask_resources(endpoint: Endpoint, target: lambda_package.Target, aws_region: str) -> dict:
    """``ask-resources.json``: the cfn-deployer profile, or the skill package alone."""
    profile: dict[str, Any] = {"skillMetadata": {"src": "./skill-package"}}
    if endpoint.uri is None:  # the endpoint is the stack's function
        profile["code"] = {"default": {"src": "./lambda"}}
        profile["skillInfrastructure"] = {
            "type": CFN_DEPLOYER,
            "userConfig": {
                "runtime": target.runtime,
                "handler": sources.LAMBDA_HANDLER,
                "templatePath": f"./{TEMPLATE_PATH}",
                "awsRegion": aws_region,
                # The stack's function runs on the architecture the wheels were built for.
                "cfn": {"parameters": {"LambdaArchitecture": target.architecture}},
                # The deployer writes the stack's function into events.endpoint with these.
                "skillEvents": {"subscriptions": list(manifest.SUBSCRIBED_EVENTS)},
            },
        }
    return {"askcliResourcesVersion": ASK_RESOURCES_VERSION, "profiles": {PROFILE: profile}}


def write_skill_package(root: Path, endpoint: Endpoint) -> dict[str, Any]:
    problems = sources.check_languages()
    if problems:
        raise manifest.ManifestError("; ".join(problems))
    document = manifest.build_manifest(endpoint)
    package = root / "skill-package"
    _write_json(package / "skill.json", document)
    for locale in document["manifest"]["publishingInformation"]["locales"]:
        source = sources.interaction_model_file(locale)
        if not source.is_file():
            raise manifest.ManifestError(f"no interaction model for {locale} at {source}")
        target = package / "interactionModels" / "custom" / f"{locale}.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    return document


def build_project(
    root: Path,
    endpoint: Endpoint,
    *,
    target: lambda_package.Target | None = None,
    aws_region: str = DEFAULT_AWS_REGION,
    build_dir: Path | None = None,
) -> Built:
    """Write the whole project into ``root`` (replacing what a previous build left there)."""
    target = target or lambda_package.Target()
    build_dir = build_dir or root.parent
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    document = write_skill_package(root, endpoint)
    _write_json(root / "ask-resources.json", ask_resources(endpoint, target, aws_region))
    if endpoint.uri is not None and endpoint.certificate is not None:
        return Built(root, document, None, None)  # HTTPS: the code is deployed elsewhere
    template = root / TEMPLATE_PATH
    template.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(TEMPLATE_FILE, template)
    hook = root / "hooks" / "build.sh"
    hook.parent.mkdir(parents=True, exist_ok=True)
    hook.write_text(BUILD_HOOK % {"zip": ZIP_NAME}, encoding="utf-8")
    hook.chmod(0o755)
    zip_path = root / ZIP_NAME
    size = lambda_package.build_lambda_zip(root / "lambda", zip_path, target, build_dir)
    return Built(root, document, zip_path, size)
