"""The deployment is checked, not trusted: the manifest against Amazon's own models, the
example phrases against the interaction models, the CloudFormation template with cfn-lint,
its IAM policy against the calls the DynamoDB store really makes, and the Lambda path's
imports against what must stay out of it.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import uuid
from enum import Enum
from typing import Any

import botocore.session
import cfnlint.api
import pytest
from ask_sdk_model_runtime.serializer import DefaultSerializer
from ask_smapi_model.v1.skill.manifest.skill_manifest_envelope import SkillManifestEnvelope
from cfnlint.decode import cfn_yaml

from skill import settings
from skill.alexa.envelope import SUPPORTED_REQUEST_TYPES
from skill.coach.language import all_locales, language_of
from skill.deploy import lambda_package, manifest, project, sources
from skill.deploy.__main__ import main
from skill.deploy.manifest import Endpoint, ManifestError
from skill.local.understanding.nlu import LocalNLU
from skill.storage.dynamodb import DynamoDBPersistenceAdapter
from tests.support import alexa, servers

ENDPOINTS = {
    "lambda from the stack": Endpoint.lambda_from_stack(),
    "lambda arn": Endpoint.lambda_arn("arn:aws:lambda:us-east-1:123456789012:function:coach"),
    "https": Endpoint.https("https://coach.example.com/", "Trusted"),
}
LOCALES = tuple(all_locales())  # every locale of every language
# Alexa skill events by manifest name, as request types the skill answers.
EVENT_REQUEST_TYPES = {"SKILL_DISABLED": "AlexaSkillEvent.SkillDisabled"}


# The manifest, through ask-smapi-model ---------------------------------------------------


def _model_class(type_name: str) -> type:
    module, _, name = type_name.rpartition(".")
    return getattr(importlib.import_module(module), name)


def unknown_fields(data: Any, type_name: str, path: str = "") -> list[str]:
    """Paths of JSON keys (and enum values) the smapi model for ``type_name`` does not know.

    The SDK's deserializer drops unknown keys silently, so this walks the JSON beside the
    models' ``attribute_map`` (JSON name per attribute) and ``deserialized_types``.
    """
    if type_name.startswith("list["):
        inner = type_name[len("list[") : -1]
        return [
            p for i, item in enumerate(data) for p in unknown_fields(item, inner, f"{path}[{i}]")
        ]
    if type_name.startswith("dict("):
        inner = type_name[len("dict(") : -1].split(", ", 1)[1]
        return [p for k, v in data.items() for p in unknown_fields(v, inner, f"{path}.{k}")]
    if "." not in type_name:  # str, bool, int, object
        return []
    model = _model_class(type_name)
    if issubclass(model, Enum):
        return [] if data in {member.value for member in model} else [f"{path}={data!r}"]
    if getattr(model, "json_discriminator_key", None) in data:
        model = _model_class(
            model.discriminator_value_class_map[data[model.json_discriminator_key]]
        )
    by_json_name = {json_name: attribute for attribute, json_name in model.attribute_map.items()}
    problems = []
    for key, value in data.items():
        if key not in by_json_name:
            problems.append(f"{path}.{key}")
        else:
            attribute_type = model.deserialized_types[by_json_name[key]]
            problems.extend(unknown_fields(value, attribute_type, f"{path}.{key}"))
    return problems


ENVELOPE_TYPE = f"{SkillManifestEnvelope.__module__}.{SkillManifestEnvelope.__name__}"


def test_the_field_check_catches_unknown_fields_and_enum_values() -> None:
    document = manifest.build_manifest(ENDPOINTS["https"])
    document["manifest"]["publishingInformation"]["locales"]["en-US"]["exampleUtterances"] = []
    document["manifest"]["apis"]["custom"]["endpoint"]["sslCertificateType"] = "Excellent"
    assert unknown_fields(document, ENVELOPE_TYPE) == [
        ".manifest.publishingInformation.locales.en-US.exampleUtterances",
        ".manifest.apis.custom.endpoint.sslCertificateType='Excellent'",
    ]


@pytest.mark.parametrize("endpoint", ENDPOINTS.values(), ids=ENDPOINTS.keys())
def test_the_manifest_is_amazons_schema_with_no_unknown_field(endpoint: Endpoint) -> None:
    document = manifest.build_manifest(endpoint)
    assert unknown_fields(document, ENVELOPE_TYPE) == []
    parsed = DefaultSerializer().deserialize(json.dumps(document), SkillManifestEnvelope)
    assert DefaultSerializer().serialize(parsed) == document  # nothing lost either way


def test_every_locale_is_published_and_says_it_is_not_medical_advice() -> None:
    document = manifest.build_manifest(Endpoint.lambda_from_stack())["manifest"]
    published = document["publishingInformation"]["locales"]
    assert tuple(published) == LOCALES == tuple(manifest.locales())
    english = sources.catalog().safety
    assert "not medical advice" in english and "sharp pain" in english
    for locale, text in published.items():
        catalog = sources.catalog(language_of(locale))  # each language says it in its own words
        assert catalog.safety in text["description"], locale
        assert len(text["examplePhrases"]) >= 2, locale
        assert text["name"] and 0 < len(text["summary"]) <= 160
        assert text["keywords"] and len(text["description"]) <= 4000
        for exercise in catalog.exercises.values():
            assert exercise.name in text["description"]


def test_privacy_and_compliance_answers() -> None:
    privacy = manifest.build_manifest(Endpoint.lambda_from_stack())["manifest"]
    assert privacy["privacyAndCompliance"] == {
        "allowsPurchases": False,
        "usesPersonalInfo": False,
        "isChildDirected": False,
        "isExportCompliant": True,
        "containsAds": False,
        "usesHealthInfo": False,
    }
    assert privacy["publishingInformation"]["category"] == "HEALTH_AND_FITNESS"


def test_screens_are_the_only_interface_and_there_are_no_permissions() -> None:
    """The coach renders APL on devices that say they support it (skill.coach.screen), and
    Alexa only says so to a skill whose manifest declares the interface."""
    document = manifest.build_manifest(ENDPOINTS["lambda arn"])["manifest"]
    assert "permissions" not in document
    [interface] = document["apis"]["custom"]["interfaces"]
    assert interface["type"] == "ALEXA_PRESENTATION_APL"
    shapes = {(v["mode"], v["shape"]) for v in interface["supportedViewports"]}
    assert shapes == {("HUB", "ROUND"), ("HUB", "RECTANGLE"), ("TV", "RECTANGLE")}
    show_5 = [v for v in interface["supportedViewports"] if v["minWidth"] <= 960 <= v["maxWidth"]]
    assert any(v["minHeight"] <= 480 <= v["maxHeight"] for v in show_5)


@pytest.mark.parametrize("name", ["lambda arn", "https"])
def test_events_have_the_endpoint_and_the_subscription_the_skill_handles(name: str) -> None:
    endpoint = ENDPOINTS[name]
    document = manifest.build_manifest(endpoint)["manifest"]
    assert document["apis"]["custom"]["endpoint"] == endpoint.as_manifest()
    assert document["events"] == {
        "endpoint": endpoint.as_manifest(),
        "subscriptions": [{"eventName": "SKILL_DISABLED"}],
    }
    for event in manifest.SUBSCRIBED_EVENTS:
        assert EVENT_REQUEST_TYPES[event] in SUPPORTED_REQUEST_TYPES


def test_the_stack_endpoint_is_left_to_the_deployer_events_included() -> None:
    """Before the stack exists there is no ARN: ``ask deploy`` writes it, events too."""
    document = manifest.build_manifest(Endpoint.lambda_from_stack())["manifest"]
    assert "endpoint" not in document["apis"]["custom"] and "events" not in document
    resources = project.ask_resources(Endpoint.lambda_from_stack(), lambda_package.Target(), "x")
    user_config = resources["profiles"]["default"]["skillInfrastructure"]["userConfig"]
    assert user_config["skillEvents"] == {"subscriptions": list(manifest.SUBSCRIBED_EVENTS)}


def test_the_stack_runs_the_architecture_the_wheels_were_built_for() -> None:
    for architecture in lambda_package.PLATFORMS:
        target = lambda_package.Target(architecture=architecture)
        resources = project.ask_resources(Endpoint.lambda_from_stack(), target, "x")
        user_config = resources["profiles"]["default"]["skillInfrastructure"]["userConfig"]
        assert user_config["cfn"]["parameters"] == {"LambdaArchitecture": architecture}


def test_https_needs_a_certificate_type_alexa_knows() -> None:
    assert Endpoint.https("https://a.example/", "Wildcard").as_manifest() == {
        "uri": "https://a.example/",
        "sslCertificateType": "Wildcard",
    }
    with pytest.raises(ManifestError, match="must be an https:// URL"):
        Endpoint.https("http://a.example/", "Trusted")
    with pytest.raises(ManifestError, match="not one of Trusted, Wildcard, SelfSigned"):
        Endpoint.https("https://a.example/", "LetsEncrypt")
    with pytest.raises(ManifestError, match="not a Lambda function ARN"):
        Endpoint.lambda_arn("arn:aws:s3:::bucket")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--endpoint", "https"], "--endpoint https needs --uri"),
        (["--uri", "https://a.example/"], "--uri is for --endpoint https"),
        (["--endpoint", "https", "--uri", "ftp://a"], "must be an https:// URL"),
        (["--lambda-arn", "nonsense"], "is not a Lambda function ARN"),
    ],
)
def test_bad_options_get_one_line(argv: list[str], message: str, capsys, tmp_path) -> None:
    assert main([*argv, "--out", str(tmp_path / "project")]) == 1
    error = capsys.readouterr().err
    assert message in error and error.count("\n") == 1 and "Traceback" not in error


def test_the_https_project_is_the_skill_package_alone(tmp_path) -> None:
    assert main(["--endpoint", "https", "--uri", "https://a.example/", "--out", str(tmp_path)]) == 0
    written = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.json"))
    assert written == [
        "ask-resources.json",
        *(f"skill-package/interactionModels/custom/{locale}.json" for locale in sorted(LOCALES)),
        "skill-package/skill.json",
    ]
    resources = json.loads((tmp_path / "ask-resources.json").read_text())
    assert resources["profiles"]["default"] == {"skillMetadata": {"src": "./skill-package"}}
    for locale in LOCALES:
        copied = tmp_path / "skill-package/interactionModels/custom" / f"{locale}.json"
        assert copied.read_bytes() == sources.interaction_model_file(locale).read_bytes()


# Example phrases -------------------------------------------------------------------------


@pytest.mark.parametrize("locale", LOCALES)
def test_example_phrases_are_understood_as_they_advertise(locale: str) -> None:
    nlu = LocalNLU.for_locale(locale)
    phrases = manifest.example_phrases(language_of(locale))
    assert phrases[0].expects == "LaunchRequest"  # certification: the first one opens it
    published = manifest.build_manifest(Endpoint.lambda_from_stack())["manifest"]
    assert published["publishingInformation"]["locales"][locale]["examplePhrases"] == [
        phrase.text for phrase in phrases
    ]
    for phrase in phrases:
        assert phrase.text.startswith("Alexa, "), phrase.text
        invocation = nlu.parse_invocation(phrase.text.removeprefix("Alexa, "))
        assert invocation is not None, f"{phrase.text!r} does not name the skill"
        if phrase.expects == "LaunchRequest":
            assert invocation.kind == "launch", phrase.text
            continue
        assert invocation.kind == "intent" and invocation.utterance, phrase.text
        understood = nlu.understand(invocation.utterance)
        assert understood.intent == phrase.expects, f"{phrase.text!r}: {understood.explain()}"
        assert {name: slot.id for name, slot in understood.slots.items()} == phrase.slots


# The CloudFormation template -------------------------------------------------------------


def template() -> dict[str, Any]:
    return cfn_yaml.loads(project.TEMPLATE_FILE.read_text(encoding="utf-8"))


def test_the_template_passes_cfn_lint_with_no_error_warning_or_note() -> None:
    arguments = cfnlint.api.ManualArgs(
        include_checks=["I"], regions=["us-east-1", "eu-west-1", "us-west-2"]
    )
    matches = cfnlint.api.lint(project.TEMPLATE_FILE.read_text(encoding="utf-8"), config=arguments)
    assert [str(match) for match in matches] == []


def test_cfn_lint_does_find_mistakes() -> None:
    broken = project.TEMPLATE_FILE.read_text(encoding="utf-8").replace(
        "BillingMode: PAY_PER_REQUEST", "BillingMode: ON_DEMAND"
    )
    assert cfnlint.api.lint(broken, config=cfnlint.api.ManualArgs())


def test_the_table_is_what_the_store_expects() -> None:
    table = template()["Resources"]["UsersTable"]
    properties = table["Properties"]
    assert properties["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    assert properties["AttributeDefinitions"] == [{"AttributeName": "id", "AttributeType": "S"}]
    assert properties["BillingMode"] == "PAY_PER_REQUEST"
    assert properties["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert properties["SSESpecification"] == {"SSEEnabled": True}
    assert table["DeletionPolicy"] == "Retain"  # deleting the stack keeps users' progress


def test_the_function_is_configured_for_the_dynamodb_store() -> None:
    resources = template()["Resources"]
    function = resources["SkillFunction"]["Properties"]
    assert function["Handler"] == {"Ref": "LambdaHandler"}
    assert function["Environment"]["Variables"] == {
        settings.STORE: "dynamodb",
        settings.DYNAMODB_TABLE: {"Ref": "UsersTable"},
        settings.DYNAMODB_REGION: {"Ref": "AWS::Region"},
    }
    assert function["Architectures"] == [{"Ref": "LambdaArchitecture"}]
    architecture = template()["Parameters"]["LambdaArchitecture"]
    assert architecture["Default"] == lambda_package.DEFAULT_ARCHITECTURE
    assert architecture["AllowedValues"] == list(lambda_package.PLATFORMS)
    trigger = resources["AlexaSkillsKitPermission"]["Properties"]
    assert trigger["Principal"] == "alexa-appkit.amazon.com"
    assert trigger["EventSourceToken"] == {"Ref": "SkillId"}  # this skill only


def test_alexa_calls_the_published_snapstart_version_through_the_alias() -> None:
    resources = template()["Resources"]
    function = resources["SkillFunction"]["Properties"]
    assert function["SnapStart"] == {
        "ApplyOn": {"Fn::If": ["SnapStartOn", "PublishedVersions", "None"]}
    }
    parameter = template()["Parameters"]["SnapStart"]  # the switch that turns it off
    assert parameter["Default"] == "PublishedVersions"
    assert parameter["AllowedValues"] == ["PublishedVersions", "None"]
    version = resources["SkillVersion"]
    assert version["Type"] == "AWS::Lambda::Version"
    # A version is immutable: a new upload must change it, or no new version is published.
    assert "${CodeVersion}" in version["Properties"]["Description"]["Fn::Sub"]
    alias = resources["SkillAlias"]["Properties"]
    assert alias["FunctionVersion"] == {"Fn::GetAtt": ["SkillVersion", "Version"]}
    trigger = resources["AlexaSkillsKitPermission"]["Properties"]
    assert trigger["FunctionName"] == {"Ref": "SkillAlias"}
    # The ASK CLI's cfn-deployer writes the SkillEndpoint output into skill.json.
    assert template()["Outputs"]["SkillEndpoint"]["Value"] == {"Ref": "SkillAlias"}


def test_the_default_package_runs_on_a_snapstart_runtime() -> None:
    assert lambda_package.DEFAULT_RUNTIME in lambda_package.SNAPSTART_RUNTIMES
    assert (
        lambda_package.DEFAULT_RUNTIME in template()["Parameters"]["LambdaRuntime"]["AllowedValues"]
    )
    assert "python3.11" not in lambda_package.SNAPSTART_RUNTIMES


def _statements() -> list[dict[str, Any]]:
    role = template()["Resources"]["SkillRole"]["Properties"]
    assert "ManagedPolicyArns" not in role
    return [s for policy in role["Policies"] for s in policy["PolicyDocument"]["Statement"]]


def test_the_role_reaches_only_its_table_and_its_log_group() -> None:
    statements = _statements()
    assert all(statement["Effect"] == "Allow" for statement in statements)
    resources = {json.dumps(statement["Resource"]) for statement in statements}
    assert resources == {
        json.dumps({"Fn::GetAtt": ["UsersTable", "Arn"]}),
        json.dumps({"Fn::GetAtt": ["SkillLogGroup", "Arn"]}),
    }
    actions = [action for statement in statements for action in statement["Action"]]
    assert all("*" not in action for action in actions)


def test_the_role_allows_exactly_the_calls_the_store_makes(dynalite: str, monkeypatch) -> None:
    """Every operation of the DynamoDB store, recorded against a real server."""
    table = f"step_coach_{uuid.uuid4().hex}"
    setup = DynamoDBPersistenceAdapter(
        table, "us-east-1", dynalite, True, credentials=servers.FAKE_AWS_CREDENTIALS
    )
    setup.get_attributes(alexa_envelope())  # creates the table, as a local server needs
    setup.close()
    calls: set[str] = set()
    make_client = botocore.session.Session.create_client

    def recording_client(self, *args, **kwargs):
        client = make_client(self, *args, **kwargs)
        client.meta.events.register(
            "before-call.dynamodb", lambda model, **_: calls.add(model.name)
        )
        return client

    monkeypatch.setattr(botocore.session.Session, "create_client", recording_client)
    store = DynamoDBPersistenceAdapter(
        table, "us-east-1", dynalite, False, credentials=servers.FAKE_AWS_CREDENTIALS
    )
    envelope = alexa_envelope()
    store.save_attributes(envelope, {"pace": "slow"})
    store.update_attributes(envelope, lambda attributes: {**attributes, "count": 1})
    assert store.get_attributes(envelope) == {"pace": "slow", "count": 1}
    store.delete_attributes(envelope)
    store.close()
    allowed = {
        action.removeprefix("dynamodb:")
        for statement in _statements()
        for action in statement["Action"]
        if action.startswith("dynamodb:")
    }
    assert calls == allowed == {"GetItem", "PutItem", "UpdateItem", "DeleteItem"}


def alexa_envelope():
    from ask_sdk_model import Context, RequestEnvelope, User
    from ask_sdk_model.interfaces.system import SystemState

    return RequestEnvelope(context=Context(system=SystemState(user=User(user_id=alexa.USER_ID))))


# The Lambda path's code ------------------------------------------------------------------


def test_the_lambda_path_leaves_the_web_and_the_runner_out() -> None:
    modules = lambda_package.runtime_modules()
    assert {"skill.lambda_function", "skill.coach.step_coach", "skill.storage.dynamodb"} <= (
        modules.skill
    )
    for shell in ("skill.app", "skill.serve.app", "skill.serve.verification"):
        assert shell not in modules.skill
    assert not any(module.startswith("skill.local") for module in modules.skill)
    assert not any(module.startswith("skill.deploy") for module in modules.skill)
    assert {
        "ask_sdk_core",
        "ask_sdk_model",
        "jinja2",
        "boto3",
        "botocore",
        "snapshot_restore_py",
        "snowballstemmer",
    } >= (modules.third_party)
    assert not {"flask", "werkzeug", "gunicorn", "cryptography", "requests", "pyttsx3"} & (
        modules.third_party
    )


def test_imports_under_type_checking_are_not_followed(tmp_path, monkeypatch) -> None:
    package = tmp_path / "skill"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "entry.py").write_text(
        "from typing import TYPE_CHECKING\nfrom . import used\n"
        "if TYPE_CHECKING:\n    from skill import typed_only\n"
        "def later():\n    import flask\n"
    )
    (package / "used.py").write_text("from .sub import deep\n")
    (package / "sub").mkdir()
    (package / "sub" / "__init__.py").write_text("")
    (package / "sub" / "deep.py").write_text("import jinja2.sandbox\n")
    (package / "typed_only.py").write_text("import gunicorn\n")
    monkeypatch.setattr(sources, "PROJECT_DIR", tmp_path)
    found = lambda_package.runtime_modules("skill.entry")
    assert found.skill == {"skill", "skill.entry", "skill.used", "skill.sub", "skill.sub.deep"}
    assert found.third_party == {"flask", "jinja2"}


def test_requirements_pin_what_is_installed_here() -> None:
    pinned = lambda_package.requirements()
    assert [line.partition("==")[0] for line in pinned] == list(lambda_package.LAMBDA_DISTRIBUTIONS)
    assert all(line.partition("==")[2] for line in pinned)


def test_an_unknown_lambda_platform_is_refused() -> None:
    with pytest.raises(lambda_package.PackageError, match=r"runtime 'python3\.9' is not one of"):
        lambda_package.Target("python3.9")
    with pytest.raises(lambda_package.PackageError, match="architecture 'sparc' is not one of"):
        lambda_package.Target(architecture="sparc")
    assert lambda_package.Target("python3.14", "arm64").platform == "manylinux2014_aarch64"


def test_a_failed_download_is_one_line_naming_pips_error(tmp_path, monkeypatch, capsys) -> None:
    def failing_pip(*arguments: str) -> subprocess.CompletedProcess[str]:
        stderr = "Looking in indexes: ...\nERROR: No matching distribution found for boto3==0\n"
        return subprocess.CompletedProcess(["pip", *arguments], 1, "", stderr)

    monkeypatch.setattr(lambda_package, "_pip", failing_pip)
    with pytest.raises(lambda_package.PackageError) as caught:
        lambda_package.install_dependencies(["boto3==0"], lambda_package.Target(), tmp_path)
    assert str(caught.value) == (
        "pip could not download the wheels: ERROR: No matching distribution found for boto3==0"
    )
    monkeypatch.setattr(project.lambda_package, "_pip", failing_pip)
    monkeypatch.setattr(project.lambda_package, "LAMBDA_DISTRIBUTIONS", ("boto3",))
    assert main(["--out", str(tmp_path / "out")]) == 1
    error = capsys.readouterr().err
    assert error.startswith("skill.deploy: pip could not download") and error.count("\n") == 1


def test_bytecode_goes_in_only_for_the_building_python(tmp_path) -> None:
    tag = sys.implementation.cache_tag
    (tmp_path / "__pycache__").mkdir()
    for name in (
        "coach.py",
        f"__pycache__/coach.{tag}.pyc",
        f"__pycache__/coach.{tag}.opt-1.pyc",
        "__pycache__/coach.cpython-313.pyc",
        "stray.pyc",
    ):
        (tmp_path / name).write_text("x")  # fmt: skip
    plain = [name for name, _ in lambda_package._zip_entries([tmp_path], bytecode=False)]
    assert plain == ["coach.py"]
    with_bytecode = [name for name, _ in lambda_package._zip_entries([tmp_path], bytecode=True)]
    assert with_bytecode == [f"__pycache__/coach.{tag}.pyc", "coach.py"]
    assert lambda_package.Target(lambda_package.BUILD_RUNTIME).ships_bytecode
    other = next(r for r in lambda_package.RUNTIMES if r != lambda_package.BUILD_RUNTIME)
    assert not lambda_package.Target(other).ships_bytecode


def test_a_zip_over_lambdas_limit_is_refused(tmp_path, monkeypatch) -> None:
    (tmp_path / "code").mkdir()
    (tmp_path / "code" / "big.bin").write_bytes(os.urandom(4096))
    monkeypatch.setattr(lambda_package, "LAMBDA_ZIP_LIMIT_BYTES", 1024)
    with pytest.raises(lambda_package.PackageError, match="over Lambda's 50 MB limit"):
        lambda_package.write_zip(tmp_path / "out.zip", [tmp_path / "code"])
