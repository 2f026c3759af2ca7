#!/usr/bin/env python
"""Measure where Terraform's CPU goes: per web ACL rule, and per command of a test run.

`waf` (default): plans of one `aws_wafv2_web_acl` with 0, 1 and 4 rules (an AWS managed rule
group each), offline (the local provider mirror, fake credentials, nothing refreshed), `--rounds`
times in turns; prints each plan's CPU (Terraform and the provider together) and the CPU each rule
adds, as a ratio to the plan with no rule. A region stack's web ACL has 3 to 5 rules.

`gc`: plans of the web ACL with 4 rules with Go's default garbage collector settings and with
`emulator.terraform.GO_RUNTIME` (which the test harness sets), in turns; prints the medians and
their ratio.

`summary LOG`: totals per command of a log written by the wrapper below, which CI does not use;
put it first on PATH for one run (`PATH=/tmp/tf-wrapper:$PATH pipenv run test`):

    #!/bin/bash
    exec /usr/bin/time -a -o /tmp/tfcmds.log -f "%e %U %S $(basename "$PWD") $1 $2" \\
        /usr/local/bin/terraform "$@"

Run it on an otherwise idle machine: a plan is CPU-bound, and other work changes the numbers.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import resource
import statistics
import sys
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from emulator.terraform import GO_RUNTIME, Terraform, offline_terraform  # noqa: E402

RULE_COUNTS = (0, 1, 4)


def web_acl_config(rules: int) -> dict[str, object]:
    """A configuration of one regional web ACL with `rules` managed rule group rules."""
    visibility = {"cloudwatch_metrics_enabled": True, "sampled_requests_enabled": True}
    return {
        "terraform": {"required_providers": {"aws": {"source": "hashicorp/aws"}}},
        "provider": {
            "aws": {
                "region": "us-east-1",
                "access_key": "offline",
                "secret_key": "offline",
                "skip_credentials_validation": True,
                "skip_requesting_account_id": True,
                "skip_metadata_api_check": True,
            }
        },
        "resource": {
            "aws_wafv2_web_acl": {
                "acl": {
                    "name": "acl",
                    "scope": "REGIONAL",
                    "default_action": [{"allow": [{}]}],
                    "visibility_config": [{**visibility, "metric_name": "acl"}],
                    "rule": [
                        {
                            "name": f"rule{i}",
                            "priority": i,
                            "override_action": [{"none": [{}]}],
                            "statement": [
                                {
                                    "managed_rule_group_statement": [
                                        {
                                            "name": "AWSManagedRulesCommonRuleSet",
                                            "vendor_name": "AWS",
                                        }
                                    ]
                                }
                            ],
                            "visibility_config": [{**visibility, "metric_name": f"rule{i}"}],
                        }
                        for i in range(rules)
                    ],
                }
            }
        },
    }


def cpu_of(terraform: Terraform, workdir: Path, *args: str) -> float:
    """CPU seconds of one Terraform command and its provider (both are waited-for children)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    terraform.run(workdir, *args)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def web_acl_dir(root: Path, terraform: Terraform, rules: int) -> Path:
    """An initialized folder holding the web ACL with `rules` rules."""
    workdir = root / f"rules-{rules}"
    workdir.mkdir()
    (workdir / "main.tf.json").write_text(json.dumps(web_acl_config(rules)))
    terraform.run(workdir, "init", "-input=false")
    return workdir


def plans_in_turns(runs: dict[Any, tuple[Terraform, Path]], rounds: int) -> dict[Any, list[float]]:
    """CPU of `rounds` plans of each (Terraform, folder), one of each in turn."""
    seconds: dict[Any, list[float]] = {key: [] for key in runs}
    for _ in range(rounds):
        for key, (terraform, workdir) in runs.items():
            seconds[key].append(
                cpu_of(terraform, workdir, "plan", "-input=false", "-refresh=false")
            )
    return seconds


def measure_web_acl(rounds: int) -> dict[int, list[float]]:
    with tempfile.TemporaryDirectory() as scratch:
        terraform = offline_terraform(Path(scratch, "terraform"))
        runs = {r: (terraform, web_acl_dir(Path(scratch), terraform, r)) for r in RULE_COUNTS}
        return plans_in_turns(runs, rounds)


def measure_go_runtime(rounds: int) -> dict[str, list[float]]:
    """CPU of a plan of the 4-rule web ACL with Go's defaults and with GO_RUNTIME, in turns."""
    with tempfile.TemporaryDirectory() as scratch:
        harness = offline_terraform(Path(scratch, "terraform"))
        plain = dataclasses.replace(
            harness, env={k: v for k, v in harness.env.items() if k not in GO_RUNTIME}
        )
        workdir = web_acl_dir(Path(scratch), harness, max(RULE_COUNTS))
        settings = " ".join(f"{k}={v}" for k, v in GO_RUNTIME.items())
        runs = {"Go defaults": (plain, workdir), f"harness ({settings})": (harness, workdir)}
        return plans_in_turns(runs, rounds)


def report_go_runtime(seconds: dict[str, list[float]]) -> None:
    medians = {name: statistics.median(values) for name, values in seconds.items()}
    base = next(iter(medians.values()))
    for name, median in medians.items():
        print(f"plan, web ACL with 4 rules, {name}: {median:.1f} s CPU (x{median / base:.2f})")


def report_web_acl(seconds: dict[int, list[float]]) -> None:
    medians = {rules: statistics.median(values) for rules, values in seconds.items()}
    base = medians[0]
    most = max(RULE_COUNTS)
    per_rule = (medians[most] - base) / most
    for rules, median in medians.items():
        print(f"plan, web ACL with {rules} rules: {median:.1f} s CPU (x{median / base:.2f})")
    print(f"each rule: {per_rule:.2f} s CPU per plan ({per_rule / base:.2f} of a rule-less plan)")


def summary(log: Path) -> None:
    count: dict[str, int] = defaultdict(int)
    cpu: dict[str, float] = defaultdict(float)
    for line in log.read_text().splitlines():
        fields = line.split()
        if len(fields) < 5 or not fields[0].replace(".", "").isdigit():
            continue  # `/usr/bin/time` also writes "Command exited with non-zero status" lines
        command = " ".join(fields[4:6])
        count[command] += 1
        cpu[command] += float(fields[1]) + float(fields[2])
    total = sum(cpu.values())
    for command in sorted(cpu, key=cpu.__getitem__, reverse=True):
        share = cpu[command] / total
        print(f"{command:32} {count[command]:4} runs {cpu[command]:8.1f} s CPU {share:6.1%}")
    print(f"{'all':32} {sum(count.values()):4} runs {total:8.1f} s CPU")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", nargs="?", default="waf", choices=["waf", "gc", "summary"])
    parser.add_argument("log", nargs="?", type=Path, help="summary: the wrapper's log")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if args.what == "summary":
        if args.log is None:
            parser.error("summary needs the wrapper's log file")
        summary(args.log)
        return
    if args.what == "gc":
        report_go_runtime(measure_go_runtime(args.rounds))
        return
    report_web_acl(measure_web_acl(args.rounds))


if __name__ == "__main__":
    main()
