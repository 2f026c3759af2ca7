"""The proxy's zip as Lambda gets it: it holds every module the function imports from its folder;
built for CPython 3.12 on x86_64, it imports and verifies a token in a clean Python 3.12
interpreter that sees nothing but the package."""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from constructs_lib import proxy_package
from constructs_lib.inference_proxy import (
    ARCHITECTURE,
    HANDLER,
    PYTHON_VERSION,
    SOURCE_DIR,
    SOURCE_FILES,
)

PROBE = Path(__file__).resolve().parents[1] / "support" / "proxy_package_probe.py"
# ELF e_machine of the function's architecture (System V ABI): x86-64 is 62, AArch64 183.
ELF_MACHINE = {"x86_64": 62, "arm64": 183}

# Builds the package (pip, once per machine) and runs a Python 3.12.
slow = pytest.mark.slow


def sibling_imports(path: Path) -> set[str]:
    """The files of the function's folder that `path` imports (as Lambda loads them: by plain
    module name, /var/task on sys.path)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name.partition(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.partition(".")[0])
    return {f"{name}.py" for name in names if (SOURCE_DIR / f"{name}.py").is_file()}


def test_every_module_the_function_imports_from_its_folder_is_packaged() -> None:
    # Given the entry point's module and the files the package is built from
    entry = f"{HANDLER.rpartition('.')[0]}.py"
    # When every packaged module's imports are read
    imported = set().union(*(sibling_imports(SOURCE_DIR / name) for name in SOURCE_FILES))
    # Then each sibling it imports is packaged too (and, with it, what that one imports)
    assert entry in SOURCE_FILES
    assert "proxy_auth.py" in imported  # the scan sees the package's own imports
    assert sorted(imported - set(SOURCE_FILES)) == []


def function_python() -> str:
    """A CPython of the function's runtime version: $PROXY_PYTHON, on PATH, or pyenv's."""
    candidates = [
        os.environ.get("PROXY_PYTHON"),
        *sorted(Path.home().glob(f".pyenv/versions/{PYTHON_VERSION}.*/bin/python{PYTHON_VERSION}")),
        shutil.which(f"python{PYTHON_VERSION}"),
    ]
    for candidate in candidates:
        # A pyenv shim exists on PATH even when it has no such version to run: ask it.
        if (
            candidate
            and subprocess.run(
                [str(candidate), "-I", "-c", ""], capture_output=True, check=False
            ).returncode
            == 0
        ):
            return str(candidate)
    pytest.skip(f"no Python {PYTHON_VERSION} here (set PROXY_PYTHON to one)")


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("proxy-zip")
    archive, _ = proxy_package.function_zip(
        SOURCE_DIR, SOURCE_FILES, PYTHON_VERSION, ARCHITECTURE, out
    )
    return archive


@slow
def test_zip_holds_the_function_and_wheels_for_its_architecture(package: Path) -> None:
    with zipfile.ZipFile(package) as archive:
        names = set(archive.namelist())
        assert {*SOURCE_FILES, "jwt/__init__.py"} <= names
        (rust,) = [
            n
            for n in names
            if n.startswith("cryptography/hazmat/bindings/_rust") and n.endswith(".so")
        ]
        header = archive.read(rust)[:20]
    assert header[:4] == b"\x7fELF"
    assert int.from_bytes(header[18:20], "little") == ELF_MACHINE[ARCHITECTURE]
    assert not [n for n in names if n.startswith("bin/") or n.endswith(".pyc")]


@slow
def test_same_inputs_give_the_same_package_hash(package: Path, tmp_path: Path) -> None:
    again, first_hash = proxy_package.function_zip(
        SOURCE_DIR, SOURCE_FILES, PYTHON_VERSION, ARCHITECTURE, tmp_path
    )
    _, second_hash = proxy_package.function_zip(
        SOURCE_DIR, SOURCE_FILES, PYTHON_VERSION, ARCHITECTURE, tmp_path
    )
    assert first_hash == second_hash
    assert again.read_bytes() == package.read_bytes()


@slow
def test_package_imports_and_verifies_a_token_in_a_clean_interpreter(
    package: Path, tmp_path: Path
) -> None:
    python = function_python()
    unpacked = tmp_path / "task"
    with zipfile.ZipFile(package) as archive:
        archive.extractall(unpacked)
    # -I: no site-packages, no environment, no current folder; -B: no bytecode written.
    result = subprocess.run(
        [python, "-I", "-B", str(PROBE), str(unpacked)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["python"] == [int(p) for p in PYTHON_VERSION.split(".")]
    assert report["jwt_file"].startswith(str(unpacked))
    assert report["cryptography_file"].startswith(str(unpacked))
    assert report["subject"] == "probe"
    assert report["tampered"] == [401, "bad_signature"]
