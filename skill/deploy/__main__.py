"""``python -m skill.deploy``: build the ASK CLI project and the Lambda zip."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from skill.deploy import lambda_package, sources
from skill.deploy.lambda_package import PackageError, Target
from skill.deploy.manifest import CERTIFICATE_TYPES, Endpoint, ManifestError
from skill.deploy.project import DEFAULT_AWS_REGION, build_project

DEFAULT_OUT = sources.PROJECT_DIR / "build" / "ask-project"


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m skill.deploy",
        description="Write an ASK CLI project for Step Coach (then run `ask deploy` in it).",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="project folder")
    parser.add_argument(
        "--endpoint",
        choices=("lambda", "https"),
        default="lambda",
        help="lambda: the stack's function (default); https: your gunicorn behind TLS",
    )
    parser.add_argument("--uri", help="the public https:// URL (with --endpoint https)")
    parser.add_argument(
        "--certificate",
        choices=CERTIFICATE_TYPES,
        default="Trusted",
        help="the HTTPS endpoint's certificate type (default Trusted)",
    )
    parser.add_argument(
        "--lambda-arn", help="an existing function's ARN instead of the stack's (lambda only)"
    )
    parser.add_argument("--runtime", choices=lambda_package.RUNTIMES, default=Target.runtime)
    parser.add_argument(
        "--architecture", choices=tuple(lambda_package.PLATFORMS), default=Target.architecture
    )
    parser.add_argument("--aws-region", default=DEFAULT_AWS_REGION, help="for the stack")
    return parser.parse_args(argv)


def endpoint_of(arguments: argparse.Namespace) -> Endpoint:
    if arguments.endpoint == "https":
        if not arguments.uri:
            raise ManifestError("--endpoint https needs --uri https://your.host/")
        if arguments.lambda_arn:
            raise ManifestError("--lambda-arn is for --endpoint lambda")
        return Endpoint.https(arguments.uri, arguments.certificate)
    if arguments.uri:
        raise ManifestError("--uri is for --endpoint https")
    if arguments.lambda_arn:
        return Endpoint.lambda_arn(arguments.lambda_arn)
    return Endpoint.lambda_from_stack()


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    started = time.perf_counter()
    try:
        endpoint = endpoint_of(arguments)
        target = Target(arguments.runtime, arguments.architecture)
        out = arguments.out.resolve()
        built = build_project(out, endpoint, target=target, aws_region=arguments.aws_region)
    except (ManifestError, PackageError, OSError) as error:
        print(f"skill.deploy: {error}", file=sys.stderr)
        return 1
    print(f"ASK CLI project: {built.root}")
    if built.zip_path is not None and built.zip_bytes is not None:
        print(
            f"Lambda zip: {built.zip_path} ({built.zip_bytes / 2**20:.1f} MB, "
            f"{target.runtime} {target.architecture})"
        )
    print(f"built in {time.perf_counter() - started:.1f} s; next: cd {built.root} && ask deploy")
    return 0


if __name__ == "__main__":
    sys.exit(main())
