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
        **os.environ,
        "TF_CLI_CONFIG_FILE": str(cli_config),
        # The cache makes each stack's init a symlink instead of a 600 MB copy.
        "TF_PLUGIN_CACHE_DIR": str(cache),
        "TF_IN_AUTOMATION": "1",
        "TF_INPUT": "0",
        "CHECKPOINT_DISABLE": "1",
    }
    return Terraform(binary=binary, env=env)


def validate_stacks(
    terraform: Terraform, stack_dirs: list[Path], workdir: Path
) -> dict[Path, dict[str, object]]:
    """`terraform validate -json` of each synthesized stack folder, with one `init` shared by all
    (they need the same provider): each stack is copied into the initialized folder in turn."""
    reports: dict[Path, dict[str, object]] = {}
    initialized = False
    for stack_dir in stack_dirs:
        for old in workdir.glob("*"):
            if old.name not in (".terraform", ".terraform.lock.hcl"):
                shutil.rmtree(old) if old.is_dir() else old.unlink()
        shutil.copytree(stack_dir, workdir, dirs_exist_ok=True)
        if not initialized:
            terraform.run(workdir, "init", "-backend=false", "-input=false", "-no-color")
            initialized = True
        result = terraform.run(workdir, "validate", "-json", "-no-color", check=False)
        reports[stack_dir] = json.loads(result.stdout)
    return reports
