"""The proxy function's zip: its own modules, plus the pinned dependencies built for Lambda.

The dependencies (functions/inference_proxy/requirements.txt: PyJWT and cryptography, which has
compiled parts) are wheels for the function's runtime and architecture, never this machine's.
Building them takes pip and PyPI, seconds; so they are built once into a cache folder keyed by
the pins, the Python version and the platform (`tools/build_proxy_package.py`, or the first
synth that misses it), and every synth after that only copies the cached zip and adds the
function's own files.

The zip's identity is computed from its inputs (pins, platform, source files), not from its
bytes: the function's `source_code_hash`, and the plan, stay the same on every machine even if
its zlib compresses differently.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path

REQUIREMENTS_NAME = "requirements.txt"
CACHE_ENV = "PROXY_PACKAGE_CACHE"
DEPENDENCIES_ZIP = "dependencies.zip"
# Wheels Lambda's python3.12 runtime (Amazon Linux 2023, glibc 2.34) can load, newest first.
PLATFORMS = {
    "x86_64": ("manylinux_2_34_x86_64", "manylinux_2_28_x86_64", "manylinux2014_x86_64"),
    "arm64": ("manylinux_2_34_aarch64", "manylinux_2_28_aarch64", "manylinux2014_aarch64"),
}
# Not needed at run time, and not the same on every machine (scripts carry the builder's
# interpreter path; RECORD lists their hashes).
EXCLUDED_PARTS = frozenset({"bin", "__pycache__"})
EXCLUDED_METADATA = frozenset({"RECORD", "INSTALLER", "REQUESTED", "direct_url.json"})
# Fixed entry dates and modes: the same inputs give the same archive.
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o644 << 16


def cache_root() -> Path:
    configured = os.environ.get(CACHE_ENV)
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "sagemaker-serving" / "proxy-package"


def dependencies_key(requirements: Path, python_version: str, architecture: str) -> str:
    digest = hashlib.sha256()
    for part in (requirements.read_bytes(), python_version.encode(), architecture.encode()):
        digest.update(part)
        digest.update(b"\0")
    return digest.hexdigest()[:20]


def dependencies_zip(requirements: Path, python_version: str, architecture: str) -> Path:
    """The cached zip of the pinned dependencies, built first if it is missing."""
    target = (
        cache_root()
        / dependencies_key(requirements, python_version, architecture)
        / DEPENDENCIES_ZIP
    )
    if not target.exists():
        build_dependencies(requirements, python_version, architecture, target)
    return target


def build_dependencies(
    requirements: Path, python_version: str, architecture: str, target: Path
) -> None:
    """pip-install the pins for Lambda's platform, then zip them deterministically to `target`."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix="build-") as work:
        site = Path(work) / "site"
        command = [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-compile",
            "--target",
            str(site),
            *(arg for platform in PLATFORMS[architecture] for arg in ("--platform", platform)),
            "--implementation",
            "cp",
            "--python-version",
            python_version,
            "--only-binary=:all:",
            "--requirement",
            str(requirements),
        ]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise RuntimeError(
                f"could not build the proxy's dependencies ({requirements}) for Python "
                f"{python_version} on {architecture}: {result.stderr.strip()[-800:]}\n"
                "Run `python tools/build_proxy_package.py` where PyPI is reachable, or set "
                f"{CACHE_ENV} to a folder that holds the built package."
            )
        partial = Path(work) / DEPENDENCIES_ZIP
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
            for path in sorted(site.rglob("*")):
                relative = path.relative_to(site)
                if path.is_dir() or _excluded(relative):
                    continue
                _add(archive, relative.as_posix(), path.read_bytes())
        # Atomic: a concurrent synth sees the old state or the whole zip, never half of it.
        os.replace(partial, target)


def _excluded(relative: Path) -> bool:
    if EXCLUDED_PARTS.intersection(relative.parts) or relative.suffix == ".pyc":
        return True
    return relative.parts[0].endswith(".dist-info") and relative.name in EXCLUDED_METADATA


def _add(archive: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
    info.external_attr = FILE_MODE
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, data, compresslevel=9)


def package_hash(dependencies_key_: str, source_dir: Path, source_files: Sequence[str]) -> str:
    """The package's identity from its inputs: the dependency key and the source files."""
    digest = hashlib.sha256(dependencies_key_.encode())
    for name in source_files:
        digest.update(b"\0" + name.encode() + b"\0")
        digest.update((source_dir / name).read_bytes())
    return digest.hexdigest()


def function_zip(
    source_dir: Path,
    source_files: Sequence[str],
    python_version: str,
    architecture: str,
    out_dir: Path,
) -> tuple[Path, str]:
    """Write `<out_dir>/archive.zip` (dependencies + the function's files); return it and its
    input hash."""
    requirements = source_dir / REQUIREMENTS_NAME
    dependencies = dependencies_zip(requirements, python_version, architecture)
    out = out_dir / "archive.zip"
    shutil.copyfile(dependencies, out)
    with zipfile.ZipFile(out, "a") as archive:
        for name in source_files:
            _add(archive, name, (source_dir / name).read_bytes())
    key = dependencies_key(requirements, python_version, architecture)
    return out, package_hash(key, source_dir, source_files)
