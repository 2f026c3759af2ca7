"""`python -m config schema` prints the JSON Schema; `python -m config reference` the reference table
(docs/configuration.md); `python -m config diagram FILE` the Mermaid picture (docs/ARCHITECTURE.md);
`python -m config check [FILE] [--since OLD_FILE]` validates a file without synthesizing, and with
`--since` also previews what the change from OLD_FILE does to the live service, refusing what it
cannot take (config/changes.py, docs/change-preview.md)."""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from config.changes import (
    SynthError,
    data_notes,
    preview,
    preview_lines,
    synthesize,
    unsafe_changes,
)
from config.deployed import load_deployed_config
from config.loader import SUFFIXES, ConfigError, load_config, read_document, resolve_config_path
from config.models import ServiceConfig
from config.reference import json_schema, markdown_reference


def parser() -> argparse.ArgumentParser:
    cli = argparse.ArgumentParser(
        prog="python -m config",
        description="Check, document and picture a serving configuration. Exit 0: done; "
        "2: invalid file or a change the live service cannot take.",
    )
    commands = cli.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("schema", help="print the configuration's JSON Schema")
    commands.add_parser("reference", help="print the reference table (docs/configuration.md)")
    diagram = commands.add_parser("diagram", help="print the Mermaid picture of a configuration")
    diagram.add_argument("file", metavar="FILE")
    environments = commands.add_parser(
        "environments",
        help="print which of FILE... are environment files (config/<name>.yaml with a "
        "service and an environment)",
    )
    environments.add_argument("files", metavar="FILE", nargs="*")
    check = commands.add_parser(
        "check",
        help="validate a file; with --since, preview the change (docs/change-preview.md)",
        description="Validate FILE without synthesizing. With --since OLD_FILE (the deployed "
        "version, checked against its schema only), synthesize both and say per region what "
        "the change does to the live service; refuse replacing a protected resource or "
        "deleting data unless --allow names it. No AWS credentials are used.",
    )
    check.add_argument(
        "file", metavar="FILE", nargs="?", help="default: $SERVING_CONFIG, else the example"
    )
    check.add_argument("--since", metavar="OLD_FILE", help="the deployed configuration")
    check.add_argument(
        "--allow",
        action="append",
        default=[],
        metavar="ADDRESS",
        help="allow replacing or deleting this protected resource (address or glob; repeatable)",
    )
    return cli


def main(argv: Sequence[str]) -> int:
    try:
        args = parser().parse_args(argv)
    except SystemExit as leaving:  # --help exits 0, a usage error 2
        return int(leaving.code or 0)
    try:
        if args.command == "schema":
            sys.stdout.write(json_schema())
        elif args.command == "reference":
            sys.stdout.write(markdown_reference())
        elif args.command == "diagram":
            from config.diagram import mermaid

            sys.stdout.write(mermaid(load_config(Path(args.file).absolute())))
        elif args.command == "environments":
            for file in args.files:
                if is_environment_file(Path(file)):
                    print(file)
        else:
            return check(args.file, args.since, args.allow)
    except ConfigError as error:
        print(error, file=sys.stderr)
        return 2
    return 0


def is_environment_file(path: Path) -> bool:
    """A configuration the workflows deploy: directly in config/, YAML or TOML, with `service`
    and `environment` (config/examples/ and other documents are not environments)."""
    if path.parent.name != "config" or path.suffix not in SUFFIXES or not path.is_file():
        return False
    try:
        document = read_document(path)
    except ConfigError:
        return True  # a broken environment file is still one: its check says what is wrong
    return "service" in document and "environment" in document


def check(file: str | None, since: str | None, allow: Sequence[str]) -> int:
    # A file named on the command line wins over $SERVING_CONFIG.
    path = Path(file) if file else resolve_config_path()
    config = load_config(path)
    served = ", ".join(config.regions) or "none: every region retired"
    valid = f"{path}: valid ({config.name}, regions {served})"
    if since is None:
        print(valid)
        return 0
    old_path = Path(since)
    old = load_deployed_config(old_path)
    problems = unsafe_changes(old, config)
    if problems:
        return refuse(path, since, problems)
    try:
        lines, refused = change_preview(old_path, path, old, config, allow)
    except SynthError as error:
        print(f"error: {path}: cannot preview the change since {since}: {error}", file=sys.stderr)
        return 2
    print("\n".join([valid, f"change since {since}:", *(f"  {line}" for line in lines)]))
    if refused:
        return refuse(path, since, refused)
    return 0


def change_preview(
    old_path: Path,
    new_path: Path,
    old: ServiceConfig,
    config: ServiceConfig,
    allow: Sequence[str],
) -> tuple[list[str], list[str]]:
    """The preview's lines, one per stack (refusals and the data kept indented below it), and
    the refusals."""
    with tempfile.TemporaryDirectory(prefix="config-preview-") as folder:
        old_out, new_out = Path(folder, "old"), Path(folder, "new")
        synthesize([(old_path, old_out, True), (new_path, new_out, False)])
        stacks = preview(old_out, new_out, config, allow)
    kept = data_notes(old, config)
    stacks = [replace(s, kept=kept.get(s.stack, [])) for s in stacks]
    return preview_lines(stacks), [f"{s.stack}: {s.refused[0]}" for s in stacks if s.refused]


def refuse(path: Path, since: str, problems: Sequence[str]) -> int:
    print(
        f"error: {path}: {len(problems)} change(s) since {since} that the live service cannot take",
        file=sys.stderr,
    )
    for problem in problems:
        print(f"{path}: {problem}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
