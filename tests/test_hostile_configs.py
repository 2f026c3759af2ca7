"""Hostile and mistaken configurations, as a new user would write them: each is refused with one
line per problem naming the file, the field and the fix, or accepted and then valid Terraform.
Never a traceback, never a hang, never an unbounded message.

Field-level cases run the check in-process (`python -m config check`'s `main`), file-level cases
run `main.py` as a subprocess with a time and memory limit, and the accepted ones are synthesized and
passed through `terraform validate` offline.
"""

from __future__ import annotations

import json
import os
import re
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from config.__main__ import main as config_main
from tests.support.configs import EXISTING_NETWORKS, REMOVE, example_document, merged

ROOT = Path(__file__).resolve().parent.parent
MAX_LINE = 520  # "  <file>: " + the loader's 400-character cap on a problem
LONG = "a" * 70
ENTRY = {"name": "night", "schedule": "cron(0 22 * * ? *)"}
IMAGE = "763104351884.dkr.ecr.{region}.amazonaws.com/pytorch-inference:2.3.0-cpu-py311"
SHADOW = {"name": "candidate", "model": {"image_uri": IMAGE}, "instance_type": "ml.m5.xlarge"}
CHALLENGER = {"name": "challenger", "model": {"image_uri": IMAGE}, "instance_type": "ml.m5.large"}
NO_SCHEDULES: dict[str, Any] = {"autoscaling.scheduled_actions": []}


def _schedule(schedule: str, **more: Any) -> dict[str, Any]:
    """The example's scheduled actions with the first one's schedule replaced."""
    return {
        "autoscaling.scheduled_actions": [
            {
                **ENTRY,
                "schedule": schedule,
                "min_instance_count": 3,
                "max_instance_count": 6,
                **more,
            },
            {**ENTRY, "name": "back", "min_instance_count": 2, "max_instance_count": 6},
        ]
    }


# Acceptance round 3 (docs/configuration-rules.md): (id, overrides, field) like REFUSED.
ROUND_3: list[tuple[str, dict[str, Any], str]] = [
    ("provider-refuses-g7e", {"endpoint.instance_type": "ml.g7e.2xlarge"}, "endpoint.instance_type"),
    ("provider-refuses-p5-4xlarge", {"endpoint.instance_type": "ml.p5.4xlarge"}, "endpoint.instance_type"),
    ("provider-refuses-m8g", {"endpoint.instance_type": "ml.m8g.xlarge"}, "endpoint.instance_type"),
    (
        "provider-refuses-al2023-ami",
        {"endpoint.instance_type": "ml.g5.xlarge",
         "endpoint.inference_ami_version": "al2023-ami-sagemaker-inference-gpu-4-1"},
        "endpoint.inference_ami_version",
    ),
    (
        "neuron-ami-on-nvidia",
        {"endpoint.instance_type": "ml.g5.xlarge",
         "endpoint.inference_ami_version": "al2-ami-sagemaker-inference-neuron-2"},
        "endpoint.inference_ami_version",
    ),
    (
        "gpu-ami-on-inferentia",
        {"endpoint.instance_type": "ml.inf2.xlarge",
         "endpoint.inference_ami_version": "al2-ami-sagemaker-inference-gpu-3-1"},
        "endpoint.inference_ami_version",
    ),
    (
        "gpu-ami-on-trainium",
        {"endpoint.instance_type": "ml.trn1.2xlarge",
         "endpoint.inference_ami_version": "al2-ami-sagemaker-inference-gpu-2"},
        "endpoint.inference_ami_version",
    ),
    (
        "gpu-ami-on-gaudi",
        {"endpoint.instance_type": "ml.dl1.24xlarge",
         "endpoint.inference_ami_version": "al2-ami-sagemaker-inference-gpu-2-1"},
        "endpoint.inference_ami_version",
    ),
    ("schedule-five-field-cron", _schedule("cron(0 7 * * *)"), "autoscaling.scheduled_actions[0].schedule"),
    ("schedule-both-day-fields", _schedule("cron(0 7 1 * MON *)"), "autoscaling.scheduled_actions[0].schedule"),
    ("schedule-rate-in-weeks", _schedule("rate(1 week)"), "autoscaling.scheduled_actions[0].schedule"),
    ("schedule-rate-of-zero", _schedule("rate(0 hours)"), "autoscaling.scheduled_actions[0].schedule"),
    ("schedule-rate-plural-of-one", _schedule("rate(1 hours)"), "autoscaling.scheduled_actions[0].schedule"),
    ("schedule-at-free-form", _schedule("at(next monday 9:00)"), "autoscaling.scheduled_actions[0].schedule"),
    ("schedule-at-no-such-day", _schedule("at(2026-02-30T09:00:00)"), "autoscaling.scheduled_actions[0].schedule"),
    ("timezone-abbreviation", _schedule("cron(0 7 ? * MON *)", timezone="CEST"), "autoscaling.scheduled_actions[0].timezone"),
    ("timezone-lowercase", _schedule("cron(0 7 ? * MON *)", timezone="europe/berlin"), "autoscaling.scheduled_actions[0].timezone"),
    (
        "linear-step-5-percent",
        {"rollout.strategy": "linear", "rollout.linear_step_percent": 5, "rollout.wait_s": 0},
        "rollout.linear_step_percent",
    ),
    (
        "shadow-on-inf1",
        {"shadow": {**SHADOW, "instance_type": "ml.inf1.xlarge"}, "rollout.strategy": "all_at_once", **NO_SCHEDULES},
        "shadow.instance_type",
    ),
    (
        "endpoint-on-inf1-with-shadow",
        {"endpoint.instance_type": "ml.inf1.xlarge", "shadow": SHADOW, "rollout.strategy": "all_at_once", **NO_SCHEDULES},
        "endpoint.instance_type",
    ),
    (
        "shadow-captures-nothing",
        {"shadow": SHADOW, "data_capture": {"capture_input": False, "capture_output": False}, **NO_SCHEDULES},
        "data_capture.capture_output",
    ),
    ("weight-overflows-float32", {"endpoint.weight": 1e39}, "endpoint.weight"),
    (
        "weight-underflows-float32",
        {"variants": [{**CHALLENGER, "weight": 1e-46}], **NO_SCHEDULES},
        "variants[0].weight",
    ),
    (
        "weight-makes-shadow-weight-zero",
        {"endpoint.weight": 1e-7, "shadow": SHADOW, **NO_SCHEDULES},
        "endpoint.weight",
    ),
    (
        "variant-called-endpoint",
        {"variants": [{**CHALLENGER, "name": "endpoint"}], **NO_SCHEDULES},
        "variants[0].name",
    ),
    (
        "variant-called-alb-target",
        {"variants": [{**CHALLENGER, "name": "alb-target"}], **NO_SCHEDULES},
        "variants[0].name",
    ),
    ("shadow-called-endpoint", {"shadow": {**SHADOW, "name": "endpoint"}, **NO_SCHEDULES}, "shadow.name"),
    ("vpc-cidr-slash-24", {"network.vpc_cidr": "10.40.7.0/24"}, "network.vpc_cidr"),
    (
        "volume-on-local-nvme",
        {"endpoint.instance_type": "ml.g5.xlarge", "endpoint.volume_size_gb": 100},
        "endpoint.volume_size_gb",
    ),
    (
        "volume-on-d-family",
        {"endpoint.instance_type": "ml.m5d.xlarge", "endpoint.volume_size_gb": 100},
        "endpoint.volume_size_gb",
    ),
    (
        "model-bucket-for-two-regions",
        {"model.model_data_url": "s3://example-models/fraud/model.tar.gz"},
        "model.model_data_url",
    ),
    (
        "shadow-model-bucket-for-two-regions",
        {"shadow": {**SHADOW, "model": {"image_uri": IMAGE, "model_data_url": "s3://models-east/m.tar.gz"}}, **NO_SCHEDULES},
        "shadow.model.model_data_url",
    ),
    ("internal-alb-without-network", {"load_balancer.internal": True}, "load_balancer.internal"),
    (
        "internal-alb-one-region-without-network",
        {"load_balancer.internal": True,
         "network.existing": {"us-east-1": EXISTING_NETWORKS["us-east-1"]}},
        "load_balancer.internal",
    ),
]  # fmt: skip

# (id, overrides of the example, the field path a problem must name)
REFUSED: list[tuple[str, dict[str, Any], str]] = [
    (
        "instance-type-not-for-hosting",
        {"endpoint.instance_type": "ml.m5.medium"},
        "endpoint.instance_type",
    ),
    ("instance-type-made-up", {"endpoint.instance_type": "ml.m5.huge"}, "endpoint.instance_type"),
    ("instance-type-ec2", {"endpoint.instance_type": "m5.xlarge"}, "endpoint.instance_type"),
    (
        "record-name-70-characters",
        {"domain.record_name": f"{'a' * 58}.example.com"},
        "domain.record_name",
    ),
    (
        "record-label-64-characters",
        {"domain.record_name": f"{'a' * 64}.example.com"},
        "domain.record_name",
    ),
    ("hosted-zone-single-label", {"domain.hosted_zone_name": "example"}, "domain.hosted_zone_name"),
    ("vpc-cidr-host-bits", {"network.vpc_cidr": "10.40.0.1/16"}, "network.vpc_cidr"),
    ("vpc-cidr-octet-999", {"network.vpc_cidr": "999.40.0.0/16"}, "network.vpc_cidr"),
    ("vpc-cidr-loopback", {"network.vpc_cidr": "127.0.0.0/16"}, "network.vpc_cidr"),
    ("vpc-cidr-multicast", {"network.vpc_cidr": "224.0.0.0/16"}, "network.vpc_cidr"),
    ("vpc-cidr-too-big", {"network.vpc_cidr": "10.0.0.0/8"}, "network.vpc_cidr"),
    ("vpc-cidr-too-small", {"network.vpc_cidr": "10.40.0.0/25"}, "network.vpc_cidr"),
    (
        "ingress-cidr-duplicate",
        {"load_balancer.ingress_cidrs": ["10.0.0.0/8", "10.0.0.0/8"]},
        "load_balancer.ingress_cidrs",
    ),
    ("ingress-cidr-ipv6", {"load_balancer.ingress_cidrs": ["::/0"]}, "load_balancer.ingress_cidrs"),
    (
        "ingress-cidrs-31",
        {"load_balancer.ingress_cidrs": [f"10.{i}.0.0/16" for i in range(31)]},
        "load_balancer.ingress_cidrs",
    ),
    ("waf-allow-duplicate", {"waf.allow_cidrs": ["10.0.0.0/8", "10.0.0.0/8"]}, "waf.allow_cidrs"),
    ("waf-allow-ipv6", {"waf.allow_cidrs": ["2001:db8::/32"]}, "waf.allow_cidrs"),
    ("waf-rate-limit-below-10", {"waf.rate_limit_per_5_min": 5}, "waf.rate_limit_per_5_min"),
    ("waf-log-retention-10", {"waf.log_retention_days": 10}, "waf.log_retention_days"),
    ("proxy-log-retention-10", {"proxy.log_retention_days": 10}, "proxy.log_retention_days"),
    ("proxy-memory-above-lambda", {"proxy.memory_mb": 20000}, "proxy.memory_mb"),
    (
        "scheduled-single-instance",
        {
            "autoscaling.scheduled_actions": [
                {**ENTRY, "min_instance_count": 1, "max_instance_count": 1}
            ]
        },
        "autoscaling.scheduled_actions[0].min_instance_count",
    ),
    (
        "scheduled-timezone-unknown",
        {
            "autoscaling.scheduled_actions": [
                {
                    **ENTRY,
                    "min_instance_count": 2,
                    "max_instance_count": 3,
                    "timezone": "Mars/Olympus",
                }
            ]
        },
        "autoscaling.scheduled_actions[0].timezone",
    ),
    (
        "scheduled-timezone-path",
        {
            "autoscaling.scheduled_actions": [
                {
                    **ENTRY,
                    "min_instance_count": 2,
                    "max_instance_count": 3,
                    "timezone": "../../etc/passwd",
                }
            ]
        },
        "autoscaling.scheduled_actions[0].timezone",
    ),
    (
        "target-rounds-to-zero",
        {"autoscaling.max_rps_per_instance": 0.0001},
        "autoscaling.max_rps_per_instance",
    ),
    (
        "target-overflows-to-infinity",
        {"autoscaling.max_rps_per_instance": 1.3e308},
        "autoscaling.max_rps_per_instance",
    ),
    (
        "target-infinite",
        {"autoscaling.max_rps_per_instance": float("inf")},
        "autoscaling.max_rps_per_instance",
    ),
    (
        "concurrency-nan",
        {"autoscaling.concurrency_target": float("nan")},
        "autoscaling.concurrency_target",
    ),
    ("safety-factor-nan", {"autoscaling.safety_factor": float("nan")}, "autoscaling.safety_factor"),
    (
        "max-instances-beyond-int32",
        {"endpoint.max_instance_count": 10**20},
        "endpoint.max_instance_count",
    ),
    (
        "cooldown-beyond-int32",
        {"autoscaling.scale_in_cooldown_s": 2**31},
        "autoscaling.scale_in_cooldown_s",
    ),
    ("state-bucket-xn-prefix", {"state.bucket": "xn--tfstate"}, "state.bucket"),
    ("state-bucket-s3alias-suffix", {"state.bucket": "tfstate-s3alias"}, "state.bucket"),
    ("state-bucket-ip-address", {"state.bucket": "192.168.1.1"}, "state.bucket"),
    ("state-bucket-adjacent-dots", {"state.bucket": "tf..state"}, "state.bucket"),
    ("state-bucket-uppercase", {"state.bucket": "TFstate"}, "state.bucket"),
    (
        "state-key-over-1024-bytes",
        {"state.key_prefix": "/".join(["p" * 100] * 11)},
        "state.key_prefix",
    ),
    ("state-kms-key-with-space", {"state.kms_key_id": "my key"}, "state.kms_key_id"),
    ("state-lock-table-short", {"state.dynamodb_table": "ab"}, "state.dynamodb_table"),
    (
        "cloud-workspace-over-90",
        {"state": {"backend": "cloud", "organization": "ml", "workspace_prefix": "w" * 80}},
        "state.workspace_prefix",
    ),
    (
        "cloud-hostname-with-spaces",
        {"state": {"backend": "cloud", "organization": "ml", "hostname": "app terraform io"}},
        "state.hostname",
    ),
    (
        "cloud-project-one-letter",
        {"state": {"backend": "cloud", "organization": "ml", "project": "p"}},
        "state.project",
    ),
    ("service-makes-internal-alb", {"service": "internal"}, "service"),
    ("service-makes-sg-prefix", {"service": "sg"}, "service"),
    ("service-makes-xn-bucket", {"service": "xn--ml"}, "service"),
    ("service-uppercase", {"service": "Serving"}, "service"),
    (
        "service-env-too-long",
        {"service": "a-very-long-service", "environment": "production"},
        "environment",
    ),
    ("environment-yaml-boolean", {"environment": False}, "environment"),
    ("env-var-name-digit", {"model.environment": {"1BAD": "x"}}, "model.environment"),
    (
        "env-var-101-entries",
        {"model.environment": {f"V{i}": "x" for i in range(101)}},
        "model.environment",
    ),
    ("env-var-value-2000", {"model.environment": {"BIG": "x" * 2000}}, "model.environment"),
    ("env-var-value-number", {"model.environment": {"WORKERS": 2}}, "model.environment.WORKERS"),
    (
        "env-var-terraform-template",
        {"model.environment": {"A": "${aws_iam_role.x.arn}"}},
        "model.environment.A",
    ),
    (
        "email-terraform-template",
        {"notifications.subscriptions": [{"protocol": "email", "endpoint": "%{x}@example.com"}]},
        "notifications.subscriptions[0].endpoint",
    ),
    (
        "schedule-terraform-template",
        {
            "autoscaling.scheduled_actions": [
                {
                    **ENTRY,
                    "schedule": "cron(${x})",
                    "min_instance_count": 2,
                    "max_instance_count": 3,
                }
            ]
        },
        "autoscaling.scheduled_actions[0].schedule",
    ),
    ("variant-underscore", {"endpoint.variant_name": "blue_green"}, "endpoint.variant_name"),
    ("volume-above-512", {"endpoint.volume_size_gb": 600}, "endpoint.volume_size_gb"),
    (
        "image-over-255",
        {"model.image_uri": f"123456789012.dkr.ecr.{{region}}.amazonaws.com/{'r' * 250}:1"},
        "model.image_uri",
    ),
    (
        "model-bucket-xn",
        {"model.model_data_url": "s3://xn--models-{region}/m.tar.gz"},
        "model.model_data_url",
    ),
    ("tag-key-aws-prefix", {"tags": {"aws:owner": "me"}}, "tags"),
    ("tag-key-hash", {"tags": {"team#": "ml"}}, "tags"),
    ("tag-value-angle-bracket", {"tags": {"team": "<ml>"}}, "tags"),
    ("tag-value-300", {"tags": {"team": "x" * 300}}, "tags"),
    ("tags-too-many-for-health-check", {"tags": {f"t{i}": "x" for i in range(7)}}, "tags"),
    ("tags-too-many-for-any-resource", {"tags": {f"t{i}": "x" for i in range(48)}}, "tags"),
    (
        "capture-json-types-11",
        {
            "data_capture": {
                "enabled": True,
                "json_content_types": [f"application/x{i}" for i in range(11)],
            }
        },
        "data_capture.json_content_types",
    ),
    (
        "capture-type-without-slash",
        {"data_capture": {"enabled": True, "csv_content_types": ["csv"]}},
        "data_capture.csv_content_types",
    ),
    (
        "subscriptions-duplicate",
        {"notifications.subscriptions": [{"protocol": "email", "endpoint": "a@example.com"}] * 2},
        "notifications.subscriptions",
    ),
    (
        "schedule-empty-cron",
        {
            "autoscaling.scheduled_actions": [
                {**ENTRY, "schedule": "cron()", "min_instance_count": 2, "max_instance_count": 3}
            ]
        },
        "autoscaling.scheduled_actions[0].schedule",
    ),
    ("region-uppercase", {"regions": ["US-EAST-1"]}, "regions[0]"),
    ("missing-domain", {"domain": REMOVE}, "domain"),
    ("alarm-period-cloudwatch-refuses", {"alarms.period_s": 45}, "alarms.period_s"),
    (
        "alarm-latency-as-text",
        {"alarms.model_latency_p99_ms": "fast"},
        "alarms.model_latency_p99_ms",
    ),
    ("alarm-never-evaluated", {"alarms.evaluation_periods": 0}, "alarms.evaluation_periods"),
    (
        "jwt-symmetric-algorithm",
        {"authentication.jwt.algorithms": ["HS256"]},
        "authentication.jwt.algorithms[0]",
    ),
    (
        "jwt-issuer-over-http",
        {"authentication.jwt.issuer": "http://login.example.com/"},
        "authentication.jwt.issuer",
    ),
    ("retired-unknown-region", {"retired_regions": ["mars-north-1"]}, "retired_regions[0]"),
    ("retired-and-served", {"retired_regions": ["us-east-1"]}, "retired_regions"),
    *ROUND_3,
]

# Accepted, then synthesized and validated by Terraform (see test_accepted_configs_validate).
ACCEPTED: list[tuple[str, dict[str, Any]]] = [
    ("state-bucket-with-dots", {"state.bucket": "tfstate.ml.example.com"}),
    ("vpc-cidr-slash-17", {"network.vpc_cidr": "10.40.0.0/17"}),
    ("vpc-cidr-slash-23", {"network.vpc_cidr": "10.40.6.0/23"}),
    ("record-name-64-characters", {"domain.record_name": f"{'a' * 52}.example.com"}),
    ("tags-unicode-six", {"tags": {f"Équipe {i}": "données ML" for i in range(6)}}),
    (
        "longest-names-with-capture",
        {"service": "abcdefghijklm", "environment": "nopqrstuvwxy", "data_capture.enabled": True},
    ),
    # Round 3, edge values accepted together: one synth and one region stack each (their fields
    # change only the region stacks, and the two regions' differ only in names) keep CI's time.
    (
        "round-3-edges-cpu",
        {
            "endpoint.instance_type": "ml.m4.10xlarge",
            "endpoint.volume_size_gb": 512,
            "rollout": {"strategy": "linear", "linear_step_percent": 10, "wait_s": 60},
            "network.vpc_cidr": "10.40.6.0/23",
            "variants": [{**CHALLENGER, "name": "endpoint-v2", "weight": 1e-6,
                          "instance_type": "ml.m5d.large"}],
            "autoscaling.scheduled_actions": [
                {**ENTRY, "schedule": "at(2028-02-29T08:00:00)", "min_instance_count": 3,
                 "max_instance_count": 6, "timezone": "Etc/GMT+9"},
                {**ENTRY, "name": "daily", "schedule": "rate(1 day)", "min_instance_count": 2,
                 "max_instance_count": 6, "timezone": "Pacific/Tahiti"},
            ],
        },
    ),
    (
        "round-3-edges-neuron-internal",
        {
            "endpoint.instance_type": "ml.inf2.xlarge",
            "endpoint.inference_ami_version": "al2-ami-sagemaker-inference-neuron-2",
            "rollout": {"strategy": "linear", "linear_step_percent": 50},
            "load_balancer.internal": True,
            "network.existing": EXISTING_NETWORKS,
            "shadow": {**SHADOW, "instance_type": "ml.g5.xlarge",
                       "inference_ami_version": "al2-ami-sagemaker-inference-gpu-3-1"},
            "data_capture": {"capture_input": False, "capture_output": True},
            **NO_SCHEDULES,
        },
    ),
]  # fmt: skip

EXAMPLE_YAML = yaml.safe_dump(example_document(), sort_keys=False)
BOMB = "a: &a ['lol','lol','lol','lol','lol','lol','lol','lol','lol']\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8)
)

# (id, file name, bytes, text one problem must contain)
FILES: list[tuple[str, str, bytes, str]] = [
    ("alias-bomb-as-service", "bomb.yaml", (BOMB + "service: *i\n").encode(), "alias"),
    ("recursive-alias", "loop.yaml", b"service: &a [*a]\n", "alias"),
    (
        "many-aliases",
        "aliases.yaml",
        ("x: &x 1\ny: [" + ", ".join(["*x"] * 120) + "]\n").encode(),
        "aliases",
    ),
    (
        "deep-yaml",
        "deep.yaml",
        b"service: " + b"[" * 10000 + b"]" * 10000 + b"\n",
        "nests more than",
    ),
    (
        "deep-toml",
        "deep.toml",
        b"service = " + b"[" * 10000 + b"]" * 10000 + b"\n",
        "nests more than",
    ),
    (
        "base-60-count",
        "sixty.yaml",
        EXAMPLE_YAML.replace("max_instance_count: 6", "max_instance_count: 1:30", 1).encode(),
        "base-60 number (90)",
    ),
    (
        "base-60-float",
        "sixty-float.yaml",
        EXAMPLE_YAML.replace("safety_factor: 0.5", "safety_factor: 1:30.5").encode(),
        "base-60",
    ),
    (
        "no-as-environment",
        "no.yaml",
        EXAMPLE_YAML.replace("environment: prod", "environment: no").encode(),
        "YAML 1.1 reads unquoted `no` as a boolean",
    ),
    (
        "on-as-tag-key",
        "on.yaml",
        (EXAMPLE_YAML + "  on: friday\n").encode(),
        "YAML 1.1 reads unquoted `on` as a boolean",
    ),
    ("file-over-1-mib", "big.yaml", b"# " + b"x" * (2 * 1024 * 1024) + b"\n", "at most 1,048,576"),
    ("utf-16", "utf16.yaml", EXAMPLE_YAML.encode("utf-16"), "UTF-16"),
    ("utf-16-no-bom", "utf16be.yaml", EXAMPLE_YAML.encode("utf-16-be"), "UTF-16"),
    ("toml-with-bom", "bom.toml", b"\xef\xbb\xbfservice = 'serving'\n", "byte-order mark"),
    ("latin-1", "latin1.yaml", "service: caf\xe9\n".encode("latin-1"), "not UTF-8"),
    ("binary-junk", "junk.yaml", bytes(range(1, 32)) * 10, "not valid YAML"),
    ("two-documents", "two.yaml", b"service: a\n---\nservice: b\n", "not valid YAML"),
    (
        "integer-5000-digits",
        "digits.yaml",
        b"service: a\nregions: " + b"9" * 5000 + b"\n",
        "not valid YAML",
    ),
    (
        "toml-integer-5000-digits",
        "digits.toml",
        b"regions = " + b"9" * 5000 + b"\n",
        "not valid TOML",
    ),
    (
        "string-600k",
        "long.yaml",
        EXAMPLE_YAML.replace("service: serving", "service: " + "s" * 600_000).encode(),
        "characters cut",
    ),
    (
        "200-unknown-keys",
        "keys.yaml",
        (EXAMPLE_YAML + "".join(f"k{i}: 1\n" for i in range(200))).encode(),
        "more problems",
    ),
    ("top-level-string", "str.yaml", b"just text\n", "must be a mapping"),
    ("list-as-key", "key.yaml", b"? [a, b]\n: 1\n", "a key must be a plain value"),
    ("python-tag", "tag.yaml", b"service: !!python/object:os.system {}\n", "not valid YAML"),
]


def check_in_process(path: Path, capsys: pytest.CaptureFixture[str]) -> list[str]:
    """`python -m config check <path>`: exit 2, one header line, problems, the footer."""
    assert config_main(["check", str(path)]) == 2
    err = capsys.readouterr().err
    lines = err.splitlines()
    assert lines[0].startswith(f"error: {path}: "), err[:2000]
    assert all(len(line) <= MAX_LINE for line in lines), max(lines, key=len)[:200]
    assert len(lines) <= 53
    return [line.strip().removeprefix(f"{path}: ") for line in lines[1:-1]]


def run_check(path: Path) -> subprocess.CompletedProcess[str]:
    """`main.py` as a user runs it, capped at 30 s and 2 GiB of address space: a hang or a memory
    blow-up fails the test instead of the machine."""

    def limit_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))

    outdir = path.parent / "cdktf.out"
    result = subprocess.run(
        [sys.executable, "main.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        preexec_fn=limit_memory,
        env={**os.environ, "SERVING_CONFIG": str(path), "CDKTF_OUTDIR": str(outdir)},
    )
    assert not outdir.exists(), "wrote Terraform for a refused configuration"
    return result


def assert_refused_cleanly(path: Path, result: subprocess.CompletedProcess[str]) -> list[str]:
    assert result.returncode == 2, result.stdout + result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert lines[0].startswith(f"error: {path}: ")
    assert all(len(line) <= MAX_LINE for line in lines), max(lines, key=len)[:200]
    return lines[1:-1]


@pytest.mark.parametrize(
    "overrides, field", [(o, f) for _, o, f in REFUSED], ids=[i for i, _, _ in REFUSED]
)
def test_hostile_value_is_refused_naming_the_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], overrides: dict[str, Any], field: str
) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(merged(example_document(), overrides), sort_keys=False))
    problems = check_in_process(path, capsys)
    assert any(p.startswith(f"{field}: ") for p in problems), problems


@pytest.mark.parametrize(
    "name, content, expected",
    [(n, c, e) for _, n, c, e in FILES],
    ids=[i for i, _, _, _ in FILES],
)
def test_hostile_file_is_refused_without_traceback_or_hang(
    tmp_path: Path, name: str, content: bytes, expected: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    problems = assert_refused_cleanly(path, run_check(path))
    assert any(expected in p for p in problems), problems


def _special(tmp_path: Path, kind: str) -> Path:
    path = tmp_path / "config.yaml"
    if kind == "symlink-loop":
        path.symlink_to(path)
    elif kind == "dev-zero":
        path.symlink_to("/dev/zero")
    elif kind == "directory":
        path.mkdir()
    elif kind == "fifo":
        os.mkfifo(path)
    return path


SPECIAL = {
    "symlink-loop": "symbolic link loop",
    "dev-zero": "not a regular file",
    "directory": "it is a directory",
    "fifo": "not a regular file",
}


@pytest.mark.parametrize("kind", sorted(SPECIAL))
def test_special_file_is_one_clear_line(tmp_path: Path, kind: str) -> None:
    path = _special(tmp_path, kind)
    (problem,) = assert_refused_cleanly(path, run_check(path))
    assert SPECIAL[kind] in problem


def test_dev_zero_itself_is_one_clear_line(tmp_path: Path) -> None:
    (problem,) = assert_refused_cleanly(Path("/dev/zero"), run_check(Path("/dev/zero")))
    assert "unsupported file type" in problem


@pytest.mark.parametrize("overrides", [o for _, o in ACCEPTED], ids=[i for i, _ in ACCEPTED])
def test_legal_unusual_value_is_accepted(overrides: dict[str, Any]) -> None:
    from tests.support.configs import config_with

    config_with(**{k.replace(".", "__"): v for k, v in overrides.items()})


@pytest.mark.terraform
def test_accepted_configs_validate(tmp_path_factory: pytest.TempPathFactory) -> None:
    from emulator.terraform import offline_terraform, validate_stacks
    from tests.support.app import synth_app
    from tests.support.configs import config_with

    terraform = offline_terraform(tmp_path_factory.getbasetemp() / "terraform")
    stack_dirs = []
    for name, overrides in ACCEPTED:
        outdir = tmp_path_factory.mktemp(f"accepted-{name}")
        synth_app(config_with(**{k.replace(".", "__"): v for k, v in overrides.items()}), outdir)
        stacks = sorted((outdir / "stacks").iterdir())
        if name.startswith("round-3"):
            stacks = [s for s in stacks if s.name.endswith("-us-east-1")]
        stack_dirs += stacks
    reports = validate_stacks(terraform, stack_dirs, tmp_path_factory.mktemp("validate-accepted"))
    assert len(reports) == 3 * (len(ACCEPTED) - 2) + 2
    invalid = {str(d): r["diagnostics"] for d, r in reports.items() if not r["valid"]}
    assert not invalid


def test_every_section_of_the_schema_has_a_hostile_refusal() -> None:
    # The sections come from the configuration's JSON schema (config/serving.schema.json, which
    # a test keeps equal to the models), not from this file: a new section fails here until a
    # hostile value in it is refused by name.
    schema = json.loads((ROOT / "config" / "serving.schema.json").read_text())
    refused = {re.split(r"[.\[]", field)[0] for _, _, field in REFUSED}
    assert sorted(set(schema["properties"]) - refused) == []
