"""Run the terraform binary offline against synthesized stacks.

Terraform loads hashicorp/aws from a local filesystem mirror through a CLI config written for
the test session only (`TF_CLI_CONFIG_FILE`); nothing reaches the network. Where Terraform or
the mirror is missing, tests skip with the reason on a user's machine and fail under `CI=true`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

PROVIDER = "registry.terraform.io/hashicorp/aws"
MIRROR_ENV_VAR = "TF_PROVIDER_MIRROR"
MIRROR_CANDIDATES = (
    "/opt/tf-plugins",
    "~/.terraform.d/plugins",
    "~/.local/share/terraform/plugins",
    "/usr/local/share/terraform/plugins",
    "/usr/share/terraform/plugins",
)


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def skip_or_fail(reason: str) -> None:
    """Skip on a user's machine; in CI a missing tool is a failure, not a silent pass."""
    if in_ci():
        pytest.fail(f"{reason} (CI=true: required here)")
    pytest.skip(reason)


def find_mirror() -> Path | None:
    """The folder holding `registry.terraform.io/hashicorp/aws`: $TF_PROVIDER_MIRROR or a usual place."""
    configured = os.environ.get(MIRROR_ENV_VAR)
    candidates = [configured] if configured else list(MIRROR_CANDIDATES)
    for candidate in candidates:
        root = Path(candidate).expanduser()
        if (root / PROVIDER).is_dir():
            return root
    return None


GO_RUNTIME = {"GOGC": "400", "GOMEMLIMIT": "2GiB"}
"""Go's garbage collector settings for Terraform and the provider (both Go programs): collect
when the heap has grown 400 % instead of 100 %, and harder as it nears 2 GiB. A plan of the
4-rule web ACL costs 0.83 of its CPU with Go's defaults (`tools/measure_terraform_commands.py
gc`: 14.0 against 16.9 s; the suite is CPU-bound, and Terraform is three quarters of its CPU);
a plan's largest process (the provider) then peaks at about 650 MB."""


@dataclass(frozen=True)
class Terraform:
    binary: str
    env: dict[str, str]

    def run(
        self, workdir: Path, *args: str, timeout: int = 900, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [self.binary, *args],
            cwd=workdir,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"terraform {' '.join(args)} failed in {workdir} (exit {result.returncode}):\n"
                f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
            )
        return result


def offline_terraform(workdir: Path) -> Terraform:
    """A Terraform that installs hashicorp/aws only from the local mirror; skips if impossible."""
    binary = shutil.which("terraform")
    if binary is None:
        skip_or_fail("terraform is not on PATH")
    mirror = find_mirror()
    if mirror is None:
        skip_or_fail(
            f"no local mirror of {PROVIDER} found (set {MIRROR_ENV_VAR} to the folder that holds "
            "registry.terraform.io/)"
        )
    assert binary is not None and mirror is not None
    workdir.mkdir(parents=True, exist_ok=True)
    cli_config = workdir / "offline.tfrc"
    cli_config.write_text(
        "provider_installation {\n"
        f'  filesystem_mirror {{\n    path    = "{mirror}"\n    include = ["{PROVIDER}"]\n  }}\n'
        f'  direct {{\n    exclude = ["{PROVIDER}"]\n  }}\n'
        "}\n"
    )
    cache = workdir / "plugin-cache"
    cache.mkdir(exist_ok=True)
    env = {
        **GO_RUNTIME,  # the environment's own GOGC or GOMEMLIMIT wins
        **os.environ,
        "TF_CLI_CONFIG_FILE": str(cli_config),
        # The cache makes each stack's init a symlink instead of a 600 MB copy.
        "TF_PLUGIN_CACHE_DIR": str(cache),
        "TF_IN_AUTOMATION": "1",
        "TF_INPUT": "0",
        "CHECKPOINT_DISABLE": "1",
    }
    return Terraform(binary=binary, env=env)


BATCH_WARNINGS = ("Backend configuration ignored", "Cloud configuration ignored")
"""What Terraform says of a stack's backend because it is validated as a module: not a finding."""


def validate_stacks(
    terraform: Terraform, stack_dirs: list[Path], workdir: Path
) -> dict[Path, dict[str, Any]]:
    """`terraform validate -json` of many synthesized stack folders in ONE Terraform run: each
    stack becomes a child module (`s<n>/`) of a root that calls them all, so the provider starts
    and its schema loads once instead of once per stack (about 8 s of CPU each). Terraform
    validates a child module's resources, providers, `moved`/`removed` blocks and version
    constraints as it does a root's; it ignores the module's backend (a warning, dropped here).
    Each diagnostic goes back to its stack by its file name; one without a file goes to every
    stack. Returns, per stack folder, `{"valid": bool, "diagnostics": [...]}`."""
    workdir.mkdir(parents=True, exist_ok=True)
    modules: dict[str, Path] = {}
    for number, stack_dir in enumerate(stack_dirs):
        name = f"s{number}"
        target = workdir / name
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(
            stack_dir, target, ignore=shutil.ignore_patterns(".terraform", ".terraform.lock.hcl")
        )
        modules[name] = stack_dir
    root = {"module": {name: {"source": f"./{name}"} for name in modules}}
    (workdir / "main.tf.json").write_text(json.dumps(root, indent=1))
    terraform.run(workdir, "init", "-backend=false", "-input=false", "-no-color")
    result = terraform.run(workdir, "validate", "-json", "-no-color", check=False)
    report = json.loads(result.stdout)
    reports: dict[Path, dict[str, Any]] = {
        d: {"valid": True, "diagnostics": []} for d in stack_dirs
    }
    for diagnostic in report.get("diagnostics", []):
        if diagnostic.get("summary") in BATCH_WARNINGS:
            continue
        filename = str(diagnostic.get("range", {}).get("filename", ""))
        owner = modules.get(filename.split("/", 1)[0])
        for stack_dir in [owner] if owner is not None else stack_dirs:
            reports[stack_dir]["diagnostics"].append(diagnostic)
            if diagnostic.get("severity") == "error":
                reports[stack_dir]["valid"] = False
    if not report.get("valid", False) and all(r["valid"] for r in reports.values()):
        raise AssertionError(f"terraform validate failed without a finding: {result.stdout}")
    return reports
