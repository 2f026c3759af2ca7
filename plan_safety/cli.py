"""`python -m plan_safety`: one verdict line per stack; exit 1 if any refuses, 2 on bad input."""

from __future__ import annotations

import argparse
import json
import re
import stat
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from plan_safety.verdict import EXIT_INVALID, EXIT_OK, InvalidPlan, Verdict, verdict

PLAN_SUFFIX = ".plan.json"
# Far above the plan of any one region stack; a bigger file is not a plan.
MAX_PLAN_BYTES = 256 * 2**20
# Far above the nesting of `terraform show -json` (WAF rule statements are the deepest part).
MAX_DEPTH = 200
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
    """The JSON document at `path`: a regular file (a FIFO or a device would block or never
    end), at most MAX_PLAN_BYTES, nested at most MAX_DEPTH deep."""
    try:
        mode = path.stat().st_mode
        if not stat.S_ISREG(mode):
            raise BadInput(f"{path}: not a regular file; save the plan JSON to a file first")
        with path.open("rb") as file:
            data = file.read(MAX_PLAN_BYTES + 1)
    except OSError as error:
        raise BadInput(f"{path}: unreadable: {error.strerror or error}") from None
    if len(data) > MAX_PLAN_BYTES:
        raise BadInput(
            f"{path}: larger than {MAX_PLAN_BYTES // 2**20} MiB; not a plan of one stack"
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise BadInput(f"{path}: not UTF-8 text") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise BadInput(f"{path}: not JSON ({error.msg}, line {error.lineno})") from None
    except RecursionError:
        raise BadInput(f"{path}: nested deeper than {MAX_DEPTH} levels; not a plan") from None
    if _depth(document) > MAX_DEPTH:
        raise BadInput(f"{path}: nested deeper than {MAX_DEPTH} levels; not a plan")
    return document


def _depth(document: Any) -> int:
    """Nesting depth, without recursion."""
    deepest, stack = 0, [(document, 1)]
    while stack:
        value, level = stack.pop()
        deepest = max(deepest, level)
        if level > MAX_DEPTH:
            break
        children = (
            value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
        )
        stack.extend((child, level + 1) for child in children)
    return deepest


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
        except (TypeError, AttributeError, ValueError, RecursionError) as error:
            # A shape the checks above did not foresee: still one line, never a traceback.
            raise BadInput(f"{path}: not a plan this verdict can read ({error})") from None
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
