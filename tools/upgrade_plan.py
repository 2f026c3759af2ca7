"""What upgrading a live region to this checkout does, measured in the emulator.

    pipenv run python tools/upgrade_plan.py --from <git ref> [--stack serving-prod-us-east-1]

Synthesizes the example at `<git ref>` (a worktree) and here, applies the old stack against a
local moto server (tests/emulator), scales the endpoint out to 5 instances as autoscaling would
at peak, then plans this checkout's stack over that state, prints the plan-safety verdict and
every change, applies it, and reports the endpoint's capacity and whether the plan after it is
empty. README "Upgrading a deployed service to this version" quotes its result.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SCALED_OUT_TO = 5


def synth(source: Path, outdir: Path) -> None:
    env = {
        **os.environ,
        "SERVING_CONFIG": str(source / "config" / "example.yaml"),
        "CDKTF_OUTDIR": str(outdir),
    }
    subprocess.run([sys.executable, "main.py"], cwd=source, env=env, check=True, timeout=600)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--from", dest="ref", required=True, help="git ref of the deployed version")
    parser.add_argument("--stack", default="serving-prod-us-east-1")
    args = parser.parse_args(argv)

    from emulator.deployment import emulator_only
    from emulator.moto_server import running_moto_server
    from emulator.override import prepare_stack
    from emulator.terraform import offline_terraform
    from plan_safety import verdict

    region = args.stack.removeprefix("serving-prod-")
    with tempfile.TemporaryDirectory(prefix="upgrade-plan-") as tmp:
        work_root = Path(tmp)
        old_source = work_root / "old-source"
        subprocess.run(
            ["git", "worktree", "add", "--detach", str(old_source), args.ref], cwd=ROOT, check=True
        )
        try:
            synth(old_source, work_root / "old")
            synth(ROOT, work_root / "new")
            with running_moto_server(work_root / "moto") as moto:
                moto.client("route53", region).create_hosted_zone(
                    Name="example.com", CallerReference=str(uuid.uuid4())
                )
                terraform = emulator_only(offline_terraform(work_root / "terraform"))
                stack_dir = work_root / "stack"
                url = moto.endpoint_url
                prepare_stack(work_root / "old" / "stacks" / args.stack, stack_dir, url)
                terraform.run(stack_dir, "init", "-input=false", "-no-color")
                terraform.run(stack_dir, "apply", "-auto-approve", "-input=false", "-no-color")
                sagemaker = moto.client("sagemaker", region)
                sagemaker.update_endpoint_weights_and_capacities(
                    EndpointName="serving-prod",
                    DesiredWeightsAndCapacities=[
                        {"VariantName": "primary", "DesiredInstanceCount": SCALED_OUT_TO}
                    ],
                )
                prepare_stack(work_root / "new" / "stacks" / args.stack, stack_dir, url)
                terraform.run(stack_dir, "plan", "-input=false", "-lock=false", "-out=up.tfplan")
                shown = terraform.run(stack_dir, "show", "-json", "up.tfplan").stdout
                plan = json.loads(shown)
                print(verdict(plan, args.stack).line)
                for change in plan["resource_changes"]:
                    if change["change"]["actions"] not in (["no-op"], ["read"]):
                        print(f"  {change['change']['actions']} {change['address']}")
                terraform.run(stack_dir, "apply", "-input=false", "-no-color", "up.tfplan")
                endpoint = sagemaker.describe_endpoint(EndpointName="serving-prod")
                after = [v["CurrentInstanceCount"] for v in endpoint["ProductionVariants"]]
                print(f"capacity: {SCALED_OUT_TO} before the upgrade, {after} after")
                replan = terraform.run(
                    stack_dir, "plan", "-detailed-exitcode", "-input=false", "-lock=false",
                    "-no-color", check=False,
                )  # fmt: skip
                print("plan after the upgrade:", "empty" if replan.returncode == 0 else "NOT empty")
                return 0 if replan.returncode == 0 else 1
        finally:
            subprocess.run(
                ["git", "worktree", "remove", "--force", str(old_source)], cwd=ROOT, check=False
            )


if __name__ == "__main__":
    sys.exit(main())
