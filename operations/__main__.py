"""`python -m operations status --config FILE [--json]` and `python -m operations smoke --config FILE`.

Exit status: 0 every region as planned (answers); 1 a region is not (each named, with why);
2 the command could not judge (bad arguments or configuration, no credentials, AWS unreachable).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from config.loader import ConfigError, load_config
from config.models import ServiceConfig
from operations import smoke, status
from operations.aws import Aws, OperationsError

EXIT_NOT_AS_PLANNED = 1
EXIT_CANNOT_JUDGE = 2


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="python -m operations",
        description="Day-2 views of a deployed service, per region of its configuration.",
        epilog="Credentials and region defaults come from the environment, as for the AWS CLI; "
        "AWS_ENDPOINT_URL points every client at another endpoint (an emulator).",
    )
    commands = top.add_subparsers(dest="command", required=True, metavar="{status,smoke}")
    show = commands.add_parser(
        "status",
        help="is every region as planned (endpoint, configuration, deployment, capacity, alarms, "
        "health check, quota headroom)?",
        description="For every region: the endpoint's status, the configuration it runs against "
        "the planned one, the last deployment's outcome and SageMaker's FailureReason, instances "
        "per variant against the autoscaling range, alarms in ALARM, the Route 53 health check, "
        "and the quota headroom the next rollout needs. Exit 1 when a region is not as planned.",
    )
    _common(show)
    show.add_argument("--json", action="store_true", help="one JSON document instead of a table")
    show.add_argument(
        "--quota-only",
        action="store_true",
        help="only the quota headroom the next rollout needs (a preflight before an apply)",
    )
    show.add_argument(
        "--wait-s",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="read again every --interval-s until as planned, for at most SECONDS (default: 0)",
    )
    show.add_argument("--interval-s", type=float, default=15.0, metavar="SECONDS")
    call = commands.add_parser(
        "smoke",
        help="send one request to each region's URL; report status and latency",
        description=smoke.__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _common(call)
    call.add_argument("--json", action="store_true", help="one JSON document instead of a table")
    call.add_argument(
        "--url",
        action="append",
        default=[],
        metavar="REGION=URL",
        help="the URL of a region (repeatable); default: the outputs file, else the config",
    )
    call.add_argument(
        "--outputs-file", type=Path, help="JSON written by `cdktf output --outputs-file FILE`"
    )
    body = call.add_mutually_exclusive_group()
    body.add_argument("--body", default="{}", help="request body (default: {})")
    body.add_argument("--body-file", type=Path, help="read the request body from a file")
    call.add_argument("--content-type", default="application/json")
    call.add_argument(
        "--token-env",
        default="TOKEN",
        metavar="NAME",
        help="environment variable holding a bearer token for the Authorization header "
        "(default: TOKEN; none sent when unset)",
    )
    call.add_argument("--timeout-s", type=float, default=smoke.DEFAULT_TIMEOUT_S)
    return top


def _common(command: argparse.ArgumentParser) -> None:
    command.add_argument("--config", required=True, type=Path, help="the service's config file")
    command.add_argument(
        "--region", action="append", default=[], help="only this region (repeatable)"
    )
    command.add_argument(
        "--stack", action="append", default=[], help="only this region stack (repeatable)"
    )


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        config = load_config(args.config.absolute())
    except ConfigError as error:
        print(error, file=sys.stderr)
        return EXIT_CANNOT_JUDGE
    try:
        regions = status.resolve_regions(config, args.region, args.stack)
        if args.command == "status":
            return _status(args, config, regions)
        return _smoke(args, config, regions)
    except OperationsError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_CANNOT_JUDGE


def _status(args: argparse.Namespace, config: ServiceConfig, regions: list[str]) -> int:
    aws = Aws()
    aws.check_credentials()
    statuses = status.wait_until_planned(
        lambda: status.region_statuses(aws, config, regions, quota_only=args.quota_only),
        args.wait_s,
        args.interval_s,
    )
    if args.json:
        document = {
            "service": config.name,
            "as_planned": all(s.as_planned for s in statuses),
            "compared": status.COMPARED,
            "regions": [s.to_json() for s in statuses],
        }
        print(json.dumps(document, indent=2, default=str))
    else:
        sys.stdout.write(status.render_table(statuses, quota_only=args.quota_only))
    failed = [s for s in statuses if not s.as_planned]
    if args.json:  # the table already says it
        for s in failed:
            print(f"{s.region}: not as planned: {'; '.join(s.problems)}", file=sys.stderr)
    return EXIT_NOT_AS_PLANNED if failed else 0


def _smoke(args: argparse.Namespace, config: ServiceConfig, regions: list[str]) -> int:
    overrides = smoke.parse_overrides(args.url, list(config.regions))
    urls = smoke.urls_for(config, regions, overrides, args.outputs_file)
    if args.body_file is not None:
        try:
            body = args.body_file.read_bytes()
        except OSError as exc:
            raise OperationsError(f"{args.body_file}: {exc.strerror}") from None
    else:
        body = args.body.encode()
    token = os.environ.get(args.token_env) or None
    results = [
        smoke.send(r, urls[r], body, args.content_type, token, args.timeout_s) for r in regions
    ]
    if args.json:
        print(json.dumps([r.to_json() for r in results], indent=2))
    else:
        sys.stdout.write(smoke.render_table(results))
    return 0 if all(r.ok for r in results) else EXIT_NOT_AS_PLANNED


if __name__ == "__main__":
    sys.exit(main())
