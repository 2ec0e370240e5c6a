"""The Lambda deployment: the code the handler needs, its dependencies, one zip.

Only what the Lambda path imports goes in. :func:`runtime_modules` follows the skill's own
imports from ``skill.lambda_function`` through the source (every ``import``, also inside
functions, but not under ``if TYPE_CHECKING:``), so the web endpoint, the signature
verifier and the local runner stay out, and with them flask, gunicorn and cryptography.
The speech templates go in as sources (the renderer finds its locales' folders there) and,
precompiled by Jinja, as Python modules (no lexing or code generation on a cold start);
the content TOML files with a JSON twin (no tomllib).

Dependencies are wheels for Lambda's platform, not this machine's: ``pip install
--platform manylinux2014_<arch> --implementation cp --python-version <runtime>
--only-binary=:all:``. The wheels are kept under ``build/`` so a rebuild needs no network,
and the zip is byte-for-byte reproducible (sorted entries, fixed timestamps), so the ASK
CLI's change detection sees only real changes.

Where the target runtime is the building Python's own version, every module also goes in
as bytecode: Lambda's /var/task is read-only, so without it each cold start compiles
the skill, Jinja, botocore and the SDK from source (twice the time of the rest).
"""

from __future__ import annotations

import ast
import compileall
import hashlib
import importlib.metadata
import py_compile
import shutil
import subprocess
import sys
import warnings
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from skill.deploy import sources

# The Lambda runtimes offered: those AWS supports and has not deprecated (cfn-lint's
# lifecycle data: python3.11 is deprecated on 2027-06-30, python3.12 on 2028-10-31).
RUNTIMES = ("python3.11", "python3.12", "python3.13", "python3.14")
# The runtimes Lambda SnapStart supports, which the stack turns on by default.
SNAPSTART_RUNTIMES = RUNTIMES[1:]
# The runtime of the Python that builds: then the zip carries bytecode Lambda can use.
BUILD_RUNTIME = f"python{sys.version_info.major}.{sys.version_info.minor}"
# Built for the building Python where SnapStart runs on it, else the newest widely used one
# (the zip then carries no bytecode: a snapshot compiles it once, when a version is published).
DEFAULT_RUNTIME = BUILD_RUNTIME if BUILD_RUNTIME in SNAPSTART_RUNTIMES else "python3.13"
# Lambda architecture -> the manylinux platform tag of its wheels.
PLATFORMS = {"x86_64": "manylinux2014_x86_64", "arm64": "manylinux2014_aarch64"}
DEFAULT_ARCHITECTURE = "x86_64"
# What the Lambda path needs from PyPI: the SDK, the templates, the DynamoDB client, the
# languages' stemmers and the SnapStart runtime hooks (built into Lambda's managed runtime;
# shipped so the zip runs the same anywhere). Their own dependencies (ask-sdk-model,
# markupsafe, botocore, ...) follow.
LAMBDA_DISTRIBUTIONS = (
    "ask-sdk-core",
    "botocore",
    "jinja2",
    "snapshot-restore-py",
    "snowballstemmer",
)
# Lambda's own limit for a zip uploaded directly (larger ones must come from S3).
LAMBDA_ZIP_LIMIT_BYTES = 50 * 1024 * 1024
# Files that never belong in the zip.
_SKIPPED_PARTS = frozenset({"__pycache__"})
# Console scripts pip writes for the dependencies (jp.py, normalizer): never run on Lambda.
_SKIPPED_TOP_LEVEL = frozenset({"bin"})
_SKIPPED_SUFFIXES = (".pyc", ".pyo")
_ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)


class PackageError(RuntimeError):
    """The package could not be built; the message says why in one line."""


@dataclass(frozen=True)
class Target:
    """The Lambda platform a build is for."""

    runtime: str = DEFAULT_RUNTIME
    architecture: str = DEFAULT_ARCHITECTURE

    def __post_init__(self) -> None:
        if self.runtime not in RUNTIMES:
            raise PackageError(f"runtime {self.runtime!r} is not one of {', '.join(RUNTIMES)}")
        if self.architecture not in PLATFORMS:
            raise PackageError(
                f"architecture {self.architecture!r} is not one of {', '.join(PLATFORMS)}"
            )

    @property
    def python_version(self) -> str:
        return self.runtime.removeprefix("python")

    @property
    def platform(self) -> str:
        return PLATFORMS[self.architecture]

    @property
    def name(self) -> str:
        return f"{self.runtime}-{self.architecture}"

    @property
    def ships_bytecode(self) -> bool:
        """Whether the zip carries .pyc files: only this Python's bytecode can be written."""
        return self.runtime == BUILD_RUNTIME


# The code ------------------------------------------------------------------------------


def _module_file(module: str) -> Path | None:
    """The source file of a module of the skill package, or None if it is not one."""
    base = sources.PROJECT_DIR.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST, module: str, is_package: bool) -> Iterator[str]:
    """Absolute names of everything a module imports at run time."""
    package = module if is_package else module.rpartition(".")[0]
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
            continue
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1])
                source = f"{base}.{node.module}" if node.module else base
            else:
                source = node.module or ""
            yield source
            # "from skill import handlers" imports the module skill.handlers
            yield from (f"{source}.{alias.name}" for alias in node.names)
        stack.extend(ast.iter_child_nodes(node))


@dataclass(frozen=True)
class RuntimeModules:
    skill: frozenset[str]  # modules of the skill package, parents included
    third_party: frozenset[str]  # top-level names of everything else outside the stdlib


def runtime_modules(root: str = sources.LAMBDA_MODULE) -> RuntimeModules:
    """The modules the Lambda path imports, following the skill's imports from ``root``."""
    own: set[str] = set()
    third_party: set[str] = set()
    pending = [root]
    while pending:
        module = pending.pop()
        if module in own:
            continue
        path = _module_file(module)
        if path is None:
            continue
        own.add(module)
        parts = module.split(".")
        pending.extend(".".join(parts[:i]) for i in range(1, len(parts)))  # parent packages
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for name in _imports(tree, module, path.name == "__init__.py"):
            top = name.partition(".")[0]
            if top == sources.PACKAGE:
                pending.append(name)
            elif top and top != "__future__" and top not in sys.stdlib_module_names:
                third_party.add(top)
    return RuntimeModules(frozenset(own), frozenset(third_party))


def requirements() -> list[str]:
    """The Lambda path's distributions, pinned to the versions this build was tested with."""
    pinned = []
    for name in LAMBDA_DISTRIBUTIONS:
        try:
            pinned.append(f"{name}=={importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError as error:
            raise PackageError(f"{name} is not installed here; run ./dev package") from error
    return pinned


def _data_files(directory: Path) -> Iterator[Path]:
    for path in sorted(directory.rglob("*")):
        if path.is_file() and not _skipped(path.relative_to(directory)):
            yield path


def _skipped(relative: Path) -> bool:
    return bool(_SKIPPED_PARTS.intersection(relative.parts)) or relative.suffix in (
        _SKIPPED_SUFFIXES
    )


def write_code(destination: Path) -> list[Path]:
    """The handler's modules and data files, laid out as in the project, and requirements.txt."""
    if destination.exists():
        shutil.rmtree(destination)
    destination.mkdir(parents=True)
    files = sorted(
        path for module in runtime_modules().skill if (path := _module_file(module)) is not None
    )
    for directory in sources.RUNTIME_DATA_DIRS:
        files.extend(_data_files(directory))
    written = []
    for source in files:
        relative = source.relative_to(sources.PROJECT_DIR)
        target = destination / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        written.append(relative)
    for twin in sources.write_content_json(destination / sources.CONTENT):
        written.append(twin.relative_to(destination))
    for folder in sources.write_compiled_templates(destination / sources.COMPILED_TEMPLATES):
        written.extend(path.relative_to(destination) for path in sorted(folder.iterdir()))
    requirements_file = destination / "requirements.txt"
    requirements_file.write_text(
        "# The Lambda path's dependencies, pinned to the versions tested with it.\n"
        "# Built for Lambda's platform by `python -m skill.deploy`, not by plain pip.\n"
        + "".join(f"{line}\n" for line in requirements()),
        encoding="utf-8",
    )
    return written


# The dependencies ----------------------------------------------------------------------


def _pip(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pip", "--disable-pip-version-check", *arguments],
        capture_output=True,
        text=True,
        check=False,
    )


def _platform_options(target: Target) -> list[str]:
    return [
        "--platform",
        target.platform,
        "--implementation",
        "cp",
        "--python-version",
        target.python_version,
        "--only-binary=:all:",
    ]


def install_dependencies(pinned: list[str], target: Target, build_dir: Path) -> Path:
    """Install the wheels for the target into a folder (kept, keyed by what went in)."""
    key = hashlib.sha256("\n".join([target.name, *pinned]).encode()).hexdigest()[:16]
    installed = build_dir / "lambda-dependencies" / f"{target.name}-{key}"
    if (installed / ".complete").is_file():
        return installed
    wheels = build_dir / "lambda-wheels" / target.name
    wheels.mkdir(parents=True, exist_ok=True)
    if installed.exists():
        shutil.rmtree(installed)
    install = [
        "install",
        "--quiet",
        "--no-compile",  # this interpreter's bytecode is of no use to another Python
        "--no-index",
        "--find-links",
        str(wheels),
        "--target",
        str(installed),
        *_platform_options(target),
        *pinned,
    ]
    if _pip(*install).returncode != 0:  # not all wheels are here yet: fetch them once
        shutil.rmtree(installed, ignore_errors=True)
        download = _pip(
            "download", "--quiet", "--dest", str(wheels), *_platform_options(target), *pinned
        )
        if download.returncode != 0:
            raise PackageError("pip could not download the wheels: " + _last_line(download))
        result = _pip(*install)
        if result.returncode != 0:
            raise PackageError("pip could not install the wheels: " + _last_line(result))
    (installed / ".complete").write_text("\n".join(pinned) + "\n", encoding="utf-8")
    return installed


def _last_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in (result.stderr or result.stdout).splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("ERROR")]
    return (errors or lines or ["(no output)"])[-1].strip()


# The zip -------------------------------------------------------------------------------


def _zip_entries(roots: Iterable[Path], bytecode: bool) -> list[tuple[str, Path]]:
    entries: dict[str, Path] = {}
    for root in roots:
        for path in root.rglob("*"):
            relative = path.relative_to(root)
            if (
                path.is_file()
                and (not _skipped(relative) or (bytecode and _is_bytecode(relative)))
                and relative.parts[0] not in _SKIPPED_TOP_LEVEL
                and relative.name != ".complete"
            ):
                entries.setdefault(relative.as_posix(), path)
    return sorted(entries.items())


def _is_bytecode(relative: Path) -> bool:
    """This interpreter's .pyc of a module, where the import system looks for it."""
    return (
        relative.parent.name == "__pycache__"
        and relative.name.endswith(f".{sys.implementation.cache_tag}.pyc")
        and relative.name.count(".") == 2  # not an optimized .opt-1.pyc
    )


def compile_bytecode(root: Path) -> None:
    """Write the .pyc of every module under ``root``, checked by nothing but their presence.

    Lambda's /var/task is read-only, so a zip without bytecode compiles every module on
    every cold start. Hash-based, unchecked .pyc files stay valid whatever timestamps the
    zip gives the sources (its entries all say 1980), and name /var/task in tracebacks.
    """
    with warnings.catch_warnings():  # the SDK's invalid escapes warn, even made errors
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", SyntaxWarning)
        compiled = compileall.compile_dir(
            root,
            quiet=1,
            ddir="/var/task",
            invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
        )
    if not compiled:
        raise PackageError(f"could not compile the modules under {root} to bytecode")


def write_zip(zip_path: Path, roots: Iterable[Path], *, bytecode: bool = False) -> int:
    """A reproducible zip of the folders' files (the first folder wins a clash); its size.

    With ``bytecode``, this Python's .pyc files go in beside their modules.
    """
    zip_path.parent.mkdir(parents=True, exist_ok=True)
    partial = zip_path.with_suffix(".partial")
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        for name, path in _zip_entries(roots, bytecode):
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIMESTAMP)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, path.read_bytes(), compresslevel=6)
    partial.replace(zip_path)
    size = zip_path.stat().st_size
    if size > LAMBDA_ZIP_LIMIT_BYTES:
        raise PackageError(f"{zip_path} is {size / 2**20:.1f} MB, over Lambda's 50 MB limit")
    return size


def build_lambda_zip(code_dir: Path, zip_path: Path, target: Target, build_dir: Path) -> int:
    """Write the code into ``code_dir`` and the deployable zip to ``zip_path``; its size."""
    write_code(code_dir)
    dependencies = install_dependencies(requirements(), target, build_dir)
    if target.ships_bytecode:
        for root in (code_dir, dependencies):
            compile_bytecode(root)
    return write_zip(zip_path, [code_dir, dependencies], bytecode=target.ships_bytecode)
