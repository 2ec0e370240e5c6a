"""The Lambda zip proves itself: unzipped into an empty folder and run by a fresh, isolated
interpreter that sees only that folder (no site-packages, no checkout), its
``lambda_handler`` answers a conversation in English, Dutch and German against a real
dynalite table exactly as the in-process skill does, and never imports the web endpoint,
flask or the verifier.

The project is built once per session; the wheels for Lambda's platform are downloaded
once into ``build/lambda-wheels`` and reused after that.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import tomllib
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any

import boto3
import pytest

from skill.coach import priming
from skill.coach.catalog import catalog_for, load_catalog
from skill.coach.language import all_locales, content_languages, language_data, language_of
from skill.coach.speech import SpeechRenderer
from skill.coach.step_coach import StepCoach
from skill.deploy import lambda_package, project, sources
from skill.deploy.manifest import Endpoint
from skill.storage.dynamodb import DynamoDBPersistenceAdapter
from tests.support import alexa, servers

BUILD_DIR = sources.PROJECT_DIR / "build"
# Built for this interpreter's runtime, so the zip runs here in isolation as on Lambda.
TARGET = lambda_package.Target(lambda_package.BUILD_RUNTIME)
SEED = 7
# The zip's conversation runs in each of these, one after another, in one interpreter.
ZIP_LOCALES = ("en-US", "nl-NL", "de-DE")
# Runs inside the isolated interpreter: only the unzipped folder is importable. Speech
# varies at random (``pick``), so the renderer's generator is pinned as the in-process
# skill's is; everything else is the packaged code as Lambda would run it.
CHILD = """
import importlib.util, json, random, sys
sys.path.insert(0, sys.argv[1])
SEED = int(sys.argv[2])

class Pinned(random.Random):
    def __init__(self, seed=SEED):
        super().__init__(seed)

random.Random = Pinned
from skill.lambda_function import lambda_handler

answers = [lambda_handler(envelope, None) for envelope in json.load(sys.stdin)]
json.dump(
    {
        "answers": answers,
        "modules": sorted(sys.modules),
        "path": sys.path,
        "flask_importable": importlib.util.find_spec("flask") is not None,
    },
    sys.stdout,
)
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> project.Built:
    root = tmp_path_factory.mktemp("deploy") / "ask-project"
    return project.build_project(
        root, Endpoint.lambda_from_stack(), target=TARGET, build_dir=BUILD_DIR
    )


@pytest.fixture(scope="module")
def unzipped(built: project.Built, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("task-root")  # empty, like Lambda's /var/task
    assert built.zip_path is not None
    with zipfile.ZipFile(built.zip_path) as archive:
        archive.extractall(folder)
    return folder


def _table(endpoint: str) -> str:
    name = f"step_coach_{uuid.uuid4().hex}"
    setup = DynamoDBPersistenceAdapter(
        name, "us-east-1", endpoint, True, credentials=servers.FAKE_AWS_CREDENTIALS
    )
    setup._client()  # creates the table and waits until it is active
    setup.close()
    return name


def _items(endpoint: str, table: str) -> list[dict[str, Any]]:
    client = boto3.session.Session(**servers.FAKE_AWS_CREDENTIALS).client(
        "dynamodb", region_name="us-east-1", endpoint_url=endpoint
    )
    try:
        return client.scan(TableName=table)["Items"]
    finally:
        client.close()


def _conversation(coach: StepCoach, locale: str) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """Launch, start, next (on a screen) and stop; a second launch, which offers to resume;
    disabling (which deletes what was stored, so the next locale's user starts afresh)."""
    name = catalog_for(language_of(locale)).exercises["russian_pushups"].name
    turns = [
        {"request": "LaunchRequest"},
        {"intent": "StartWorkoutIntent", "resolved": {"exercise": (name, "russian_pushups")}},
        {"intent": "AMAZON.NextIntent", "on_screen": True},  # an Echo Show: the zip has screens
        {"intent": "AMAZON.StopIntent"},
        {"request": "LaunchRequest"},
    ]
    attributes: dict[str, Any] = {}
    new = True
    for turn in turns:
        request = alexa.turn_request({**turn, "locale": locale}, attributes, new)
        response = coach.handle(request)
        yield request, response
        attributes = response.get("sessionAttributes", {})
        new = response["response"].get("shouldEndSession", False)
        if new:
            attributes = {}
    disabled = alexa.envelope("AlexaSkillEvent.SkillDisabled", locale=locale)
    yield disabled, coach.handle(disabled)


def test_the_zip_answers_in_isolation_as_the_skill_does(unzipped: Path, dynalite: str) -> None:
    in_process_table, packaged_table = _table(dynalite), _table(dynalite)
    adapter = DynamoDBPersistenceAdapter(
        in_process_table, "us-east-1", dynalite, credentials=servers.FAKE_AWS_CREDENTIALS
    )
    coach = StepCoach(renderer=SpeechRenderer(rng=random.Random(SEED)), persistence_adapter=adapter)
    priming.prime(coach)  # as the packaged handler is at import: the same draws before ours
    requests, expected = zip(
        *(turn for locale in ZIP_LOCALES for turn in _conversation(coach, locale)), strict=True
    )
    adapter.close()

    environment = {
        "STEP_COACH_STORE": "dynamodb",
        "STEP_COACH_DYNAMODB_TABLE": packaged_table,
        "STEP_COACH_DYNAMODB_REGION": "us-east-1",
        "STEP_COACH_DYNAMODB_ENDPOINT": dynalite,
        "AWS_ACCESS_KEY_ID": servers.FAKE_AWS_CREDENTIALS["aws_access_key_id"],
        "AWS_SECRET_ACCESS_KEY": servers.FAKE_AWS_CREDENTIALS["aws_secret_access_key"],
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    before = sorted(p.relative_to(unzipped) for p in unzipped.rglob("*"))
    child = subprocess.run(
        # -I: no environment, user site or script folder; -S: no site-packages at all;
        # -B: no bytecode written, as on Lambda's read-only file system.
        [sys.executable, "-I", "-S", "-B", "-c", CHILD, str(unzipped), str(SEED)],
        input=json.dumps(list(requests)),
        capture_output=True,
        text=True,
        cwd=unzipped,
        env=environment,
        timeout=60,
        check=False,
    )
    assert child.returncode == 0, child.stderr[-3000:]
    result = json.loads(child.stdout)

    assert result["answers"] == list(expected)
    spoken = [alexa.plain(alexa.speech_of(answer)) for answer in expected]
    assert "Last time you were on step 2 of 5 of Russian push-ups" in spoken[4]
    per_locale = len(spoken) // len(ZIP_LOCALES)
    for number, locale in enumerate(ZIP_LOCALES):
        first, again = spoken[number * per_locale], spoken[number * per_locale + 4]
        catalog = catalog_for(language_of(locale))
        assert catalog.safety in first, locale  # a first launch, in the locale's words
        # the first session's stop was stored in DynamoDB and read back: an offer to resume
        assert catalog.exercises["russian_pushups"].name in again and again != first, locale
    assert _items(dynalite, packaged_table) == []  # SkillDisabled deleted the user's data

    assert result["flask_importable"] is False
    assert not any(entry.endswith("site-packages") for entry in result["path"])
    imported = {name.partition(".")[0] for name in result["modules"]}
    assert {"skill", "ask_sdk_core", "jinja2", "botocore"} <= imported
    assert not {"flask", "werkzeug", "gunicorn", "cryptography"} & imported
    assert "skill.serve.verification" not in result["modules"]
    assert "skill.serve.app" not in result["modules"]
    # The templates came precompiled (jinja2.ModuleLoader's package), not compiled here,
    # and the content from its JSON twins, not through tomllib.
    assert any(name.startswith("_jinja2_module_templates_") for name in result["modules"])
    assert "tomllib" not in result["modules"]
    # Nothing was written into the code folder (Lambda's is read-only): the shipped
    # bytecode was valid, or this interpreter would have written its own.
    assert sorted(p.relative_to(unzipped) for p in unzipped.rglob("*")) == before


def test_the_zip_holds_the_handler_its_data_and_no_web_code(built: project.Built) -> None:
    assert built.zip_path is not None and built.zip_bytes is not None
    assert built.zip_bytes == built.zip_path.stat().st_size < lambda_package.LAMBDA_ZIP_LIMIT_BYTES
    with zipfile.ZipFile(built.zip_path) as archive:
        names = archive.namelist()
    tops = {name.partition("/")[0] for name in names}
    assert {"skill", "speech_templates", "ask_sdk_core", "jinja2", "botocore"} <= tops
    assert "speech_templates_compiled" in tops
    assert not {"flask", "werkzeug", "gunicorn", "cryptography", "pyttsx3", "bin"} & tops
    assert "skill/lambda_function.py" in names and "skill/coach/content/catalog.toml" in names
    assert "skill/app.py" not in names
    for language in content_languages():  # every language's content, sources and compiled
        for kind in ("catalog", "language", "phrases", "manifest"):
            assert f"skill/coach/content/{language}/{kind}.json" in names, (language, kind)
        for folder in ("speech_templates", "speech_templates_compiled"):
            assert len([n for n in names if n.startswith(f"{folder}/{language}/")]) > 30
    for shell in ("skill/serve/app.py", "skill/serve/verification.py", "skill/local/"):
        assert not [name for name in names if name.startswith(shell)]
    assert len(names) == len(set(names))
    bytecode = {name for name in names if name.endswith(".pyc")}
    if not TARGET.ships_bytecode:
        assert not bytecode
        return
    tag = sys.implementation.cache_tag
    modules = [name for name in names if name.endswith(".py")]

    def pyc(module: str) -> str:
        path = PurePosixPath(module)
        return str(path.parent / "__pycache__" / f"{path.stem}.{tag}.pyc")

    # one .pyc beside every module, templates included, and nothing else
    assert bytecode == {pyc(name) for name in modules}


def test_the_packaged_content_twins_hold_what_the_toml_files_hold(built: project.Built) -> None:
    content = built.root / "lambda" / sources.CONTENT
    tomls = sorted(content.rglob("*.toml"))
    assert [path.relative_to(content) for path in tomls] == sorted(
        p.relative_to(sources.CONTENT_DIR) for p in sources.CONTENT_DIR.rglob("*.toml")
    )
    for path in tomls:
        with path.open("rb") as handle:
            assert json.loads(path.with_suffix(".json").read_text("utf-8")) == tomllib.load(handle)
    assert load_catalog(universal=content / "catalog.toml") == load_catalog()


def test_compiled_dependencies_are_for_lambda_not_this_machine(built: project.Built) -> None:
    assert built.zip_path is not None
    tag = f"cpython-{TARGET.python_version.replace('.', '')}-x86_64-linux-gnu.so"
    with zipfile.ZipFile(built.zip_path) as archive:
        extensions = [name for name in archive.namelist() if name.endswith(".so")]
    assert extensions, "expected markupsafe's speedups at least"
    assert all(name.endswith(tag) for name in extensions), extensions


def test_the_zip_is_reproducible(built: project.Built, tmp_path: Path) -> None:
    """Built again (code copied, templates and bytecode compiled anew): the same bytes."""
    assert built.zip_path is not None
    again = tmp_path / "again.zip"
    lambda_package.build_lambda_zip(tmp_path / "lambda", again, TARGET, BUILD_DIR)
    assert again.read_bytes() == built.zip_path.read_bytes()


def test_the_project_is_what_ask_deploy_reads(built: project.Built) -> None:
    root = built.root
    resources = json.loads((root / "ask-resources.json").read_text())
    profile = resources["profiles"]["default"]
    assert resources["askcliResourcesVersion"] == "2020-03-31"
    assert (root / profile["skillMetadata"]["src"] / "skill.json").is_file()
    assert (root / profile["code"]["default"]["src"] / "requirements.txt").is_file()
    infrastructure = profile["skillInfrastructure"]
    assert infrastructure["type"] == "@ask-cli/cfn-deployer"
    user_config = infrastructure["userConfig"]
    assert user_config["runtime"] == TARGET.runtime
    assert user_config["handler"] == "skill.lambda_function.lambda_handler"
    assert (root / user_config["templatePath"]).read_bytes() == project.TEMPLATE_FILE.read_bytes()
    requirements = (root / "lambda" / "requirements.txt").read_text().splitlines()
    assert [line for line in requirements if not line.startswith("#")] == (
        lambda_package.requirements()
    )
    for locale in built.manifest["manifest"]["publishingInformation"]["locales"]:
        model = root / "skill-package" / "interactionModels" / "custom" / f"{locale}.json"
        assert model.read_bytes() == sources.interaction_model_file(locale).read_bytes()


def test_the_project_publishes_dutch_and_german(built: project.Built) -> None:
    """What `./dev package` writes for nl-NL and de-DE: each locale's model, and its manifest
    entry with example phrases and a description that says it is not medical advice."""
    written = json.loads((built.root / "skill-package" / "skill.json").read_text("utf-8"))
    published = written["manifest"]["publishingInformation"]["locales"]
    assert {"nl-NL", "de-DE"} <= set(published) == set(all_locales())
    for locale in ("nl-NL", "de-DE"):
        language = language_of(locale)
        assert catalog_for(language).safety in published[locale]["description"], locale
        assert published[locale]["examplePhrases"][0].startswith("Alexa, "), locale
        model = built.root / "skill-package" / "interactionModels" / "custom" / f"{locale}.json"
        invocation = json.loads(model.read_text("utf-8"))["interactionModel"]["languageModel"]
        assert invocation["invocationName"] == language_data(language)["invocation_name"]


def test_the_build_hook_hands_over_the_zip(built: project.Built, tmp_path: Path) -> None:
    """The ASK CLI runs hooks/build.sh OUT_FILE DO_DEBUG from the project folder."""
    assert built.zip_path is not None
    out = tmp_path / "build.zip"
    hook = built.root / "hooks" / "build.sh"
    done = subprocess.run(
        ["bash", str(hook), str(out), "false"], cwd=built.root, capture_output=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert out.read_bytes() == built.zip_path.read_bytes()
    moved = built.zip_path.with_suffix(".moved")
    built.zip_path.rename(moved)
    try:
        missing = subprocess.run(
            ["bash", str(hook), str(out), "false"], capture_output=True, text=True, check=False
        )
    finally:
        moved.rename(built.zip_path)
    assert missing.returncode == 1
    assert "run ./dev package" in missing.stderr
