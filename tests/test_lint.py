"""The code style the team agreed on (../shared/STYLE.md): ruff lint + format, mypy, all clean."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from emulator.terraform import skip_or_fail

ROOT = Path(__file__).resolve().parent.parent
TYPED = [
    "config",
    "constructs_lib",
    "stacks",
    "functions",
    "tools",
    "plan_safety",
    "operations",
    "emulator",
    "tests",
    "main.py",
]


def tool(name: str) -> str:
    beside_python = Path(sys.executable).parent / name
    found = str(beside_python) if beside_python.exists() else shutil.which(name)
    if found is None:
        skip_or_fail(f"{name} is not installed (pipenv sync --dev)")
    assert found is not None
    return found


@pytest.mark.parametrize(
    "command", [["check", "."], ["format", "--check", "."]], ids=["lint", "format"]
)
def test_ruff(command: list[str]) -> None:
    result = subprocess.run(
        [tool("ruff"), *command], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow  # about 30 s without its cache (.mypy_cache), as in CI; pyproject.toml says why
def test_mypy() -> None:
    result = subprocess.run(
        [tool("mypy"), *TYPED], cwd=ROOT, capture_output=True, text=True, check=False, timeout=600
    )
    assert result.returncode == 0, result.stdout + result.stderr
