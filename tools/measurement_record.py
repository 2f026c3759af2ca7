"""The raw record behind a table of timings in the docs: every run, with its commit and cores.

A timing table in docs/ is rendered from its record (docs/measurements/*.json), never typed:
tests/test_readme_numbers.py renders each record again and compares, and checks that every
run's commit is in this repository's history. So a number in the docs is a median of recorded
runs of a commit we have, and editing the table alone fails the test.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RECORDS = ROOT / "docs" / "measurements"


def head_commit() -> str:
    """The commit being measured; a run of uncommitted changes is refused (nothing to cite),
    except changes under docs/ (where the measurements themselves are written)."""
    status = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no", "--", ".", ":(exclude)docs"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    if status.strip():
        raise SystemExit("commit first: a measurement names the commit it measured\n" + status)
    return subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()


def resolve(commit: str) -> str:
    """The full hash of a commit of this repository; refuses one it does not have."""
    result = subprocess.run(
        ["git", "rev-parse", "--verify", "--quiet", f"{commit}^{{commit}}"],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if result.returncode != 0:
        raise SystemExit(f"{commit}: not a commit of this repository")
    return result.stdout.strip()


def in_history(commit: str) -> bool | None:
    """Whether `commit` is HEAD or an ancestor of it; None in a shallow clone (cannot tell)."""
    shallow = subprocess.run(
        ["git", "rev-parse", "--is-shallow-repository"],
        cwd=ROOT, capture_output=True, text=True, check=False,
    ).stdout.strip()  # fmt: skip
    if shallow != "false":
        return None
    result = subprocess.run(
        ["git", "merge-base", "--is-ancestor", commit, "HEAD"],
        cwd=ROOT, capture_output=True, check=False,
    )  # fmt: skip
    return result.returncode == 0


def load(name: str) -> dict[str, Any]:
    record: dict[str, Any] = json.loads((RECORDS / name).read_text())
    return record


def save(name: str, record: dict[str, Any]) -> None:
    RECORDS.mkdir(exist_ok=True)
    (RECORDS / name).write_text(json.dumps(record, indent=2) + "\n")


def replace_block(path: Path, begin: str, end: str, body: str) -> None:
    """Write `body` between the `begin` and `end` markers of `path`."""
    text = path.read_text()
    if begin not in text or end not in text:
        raise SystemExit(f"{path} has no {begin} … {end} block")
    start, stop = text.index(begin) + len(begin), text.index(end)
    path.write_text(text[:start] + "\n" + body + text[stop:])


def block(path: Path, begin: str, end: str) -> str:
    text = path.read_text()
    return text[text.index(begin) + len(begin) + 1 : text.index(end)]


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(
        description="List the recorded measurements behind the docs' timing tables: each "
        "record's runs and whether their commits are in this repository's history."
    )
    parser.parse_args()
    for path in sorted(RECORDS.glob("*.json")):
        record = json.loads(path.read_text())
        commits = {run["commit"] for run in _runs(record)}
        for commit in sorted(commits):
            print(f"{path.name}: {commit[:12]} in history: {in_history(commit)}")


def _runs(record: dict[str, Any]) -> list[dict[str, Any]]:
    if "commit" in record:
        return [record]
    return [*record.get("unit_runs", []), *record.get("full_runs", [])]


if __name__ == "__main__":
    main()
