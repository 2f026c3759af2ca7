"""`python -m plan_safety`: one verdict line per stack; exit 1 if any refuses, 2 on bad input."""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from plan_safety.verdict import EXIT_INVALID, EXIT_OK, InvalidPlan, Verdict, verdict

PLAN_SUFFIX = ".plan.json"
ALL_PROTECTED = "*"


class BadInput(Exception):
    """Input that cannot be judged; its message is the one line printed."""


def parser() -> argparse.ArgumentParser:
    cli = argparse.ArgumentParser(
        prog="python -m plan_safety",
        description=(
            "Judge `terraform show -json` of saved plans: refuse any replace or delete of a "
            "protected resource that is not allowed. Exit 0: safe or allowed; 1: refused; "
            "2: unreadable or invalid input."
        ),
    )
    cli.add_argument(
        "plans",
        nargs="+",
        metavar="PLAN_JSON",
        help=f"`terraform show -json plan.tfplan` output; the stack is the file name before {PLAN_SUFFIX}",
    )
    cli.add_argument("--stack", metavar="NAME", help="stack name (only with a single PLAN_JSON)")
    cli.add_argument(
        "--allow",
        action="append",
        default=[],
        metavar="ADDRESS",
        help="allow a protected replace/delete of this resource address (or glob: * and ?); repeatable",
    )
    cli.add_argument(
        "--allow-all-protected",
        action="store_true",
        help="allow every protected replace/delete (an explicit decommission)",
    )
    cli.add_argument(
        "--markdown", action="store_true", help="print the verdict as Markdown for a PR comment"
    )
    return cli


def stack_name(path: Path, stack: str | None) -> str:
    if stack:
        return stack
    if not path.name.endswith(PLAN_SUFFIX) or path.name == PLAN_SUFFIX:
        raise BadInput(
            f"{path}: cannot tell the stack: name the file <stack>{PLAN_SUFFIX} or pass --stack"
        )
    return path.name.removesuffix(PLAN_SUFFIX)


def load(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise BadInput(f"{path}: unreadable: {getattr(error, 'strerror', None) or error}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise BadInput(f"{path}: not JSON ({error.msg}, line {error.lineno})") from None


def judge(paths: Sequence[Path], stack: str | None, allow: Sequence[str]) -> list[Verdict]:
    if stack and len(paths) != 1:
        raise BadInput(
            "--stack names the stack of a single PLAN_JSON; name each file <stack>.plan.json"
        )
    verdicts = []
    for path in paths:
        name = stack_name(path, stack)
        try:
            verdicts.append(verdict(load(path), name, allow))
        except InvalidPlan as error:
            raise BadInput(f"{path}: {error}") from None
    return verdicts


def markdown(verdicts: Sequence[Verdict], notes: Sequence[str]) -> str:
    text = "\n".join([*(v.line for v in verdicts), *notes])
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    refused = any(v.refused for v in verdicts)
    icon = ":x: refused" if refused else ":white_check_mark: " + ", ".join(v.kind for v in verdicts)
    return f"**Plan-safety verdict**: {icon}\n\n{fence}text\n{text}\n{fence}"


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    allow = [*args.allow, *([ALL_PROTECTED] if args.allow_all_protected else [])]
    try:
        verdicts = judge([Path(p) for p in args.plans], args.stack, allow)
    except BadInput as error:
        print(f"plan_safety: {error}", file=sys.stderr)
        return EXIT_INVALID
    matched = set().union(*(v.matched_patterns for v in verdicts))
    notes = [f"--allow {p!r} matched no protected change" for p in args.allow if p not in matched]
    if args.allow_all_protected:
        notes.append("--allow-all-protected: every protected replace/delete is allowed")
    if args.markdown:
        print(markdown(verdicts, notes))
    else:
        print("\n".join([*(v.line for v in verdicts), *notes]))
    return max((v.exit_code for v in verdicts), default=EXIT_OK)
