"""The emulator override: every type the stacks use is routed, and Terraform really merges it.

Fast (no moto): these run with `-m 'not emulator'` too, so a new resource type that the endpoint
table lacks fails in seconds, not at the end of an emulator run.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from emulator.deployment import emulator_only
from emulator.override import (
    OVERRIDE_FILE,
    UnmappedTypeError,
    emulator_override,
    endpoint_services,
    endpoints_for_type,
    prepare_stack,
    used_types,
)
from emulator.terraform import offline_terraform


def _stacks(synthesized_example: Path) -> dict[str, dict[str, object]]:
    return {
        path.name: json.loads((path / "cdk.tf.json").read_text())
        for path in sorted((synthesized_example / "stacks").iterdir())
    }


def test_every_type_the_example_stacks_use_has_an_endpoint(synthesized_example: Path) -> None:
    for name, stack in _stacks(synthesized_example).items():
        services = endpoint_services(stack)  # raises on a type the table lacks
        assert "sts" in services, name
        for type_name in used_types(stack):
            endpoints_for_type(type_name)


def test_an_unmapped_type_fails_naming_the_table() -> None:
    with pytest.raises(UnmappedTypeError, match=r"aws_made_up_thing .*ENDPOINTS_BY_TYPE_FAMILY"):
        endpoints_for_type("aws_made_up_thing")


@pytest.mark.parametrize(
    ("type_name", "expected"),
    [
        ("aws_cloudwatch_log_group", ("logs",)),
        ("aws_cloudwatch_event_rule", ("events",)),
        ("aws_cloudwatch_metric_alarm", ("cloudwatch",)),
        ("aws_lb_listener", ("elbv2",)),
        ("aws_lambda_function", ("lambda",)),
        ("aws_route53_resolver_rule", ("route53resolver",)),
        ("aws_route53_record", ("route53",)),
        ("aws_route_table_association", ("ec2",)),
        ("aws_iam_policy_document", ()),
    ],
)
def test_the_longest_type_family_wins(type_name: str, expected: tuple[str, ...]) -> None:
    assert endpoints_for_type(type_name) == expected


def test_override_replaces_the_backend_and_keeps_every_provider_alias(tmp_path: Path) -> None:
    stack = {
        "terraform": {"backend": {"s3": {"bucket": "b", "key": "k", "region": "us-east-1"}}},
        "provider": {"aws": [{"region": "eu-west-1"}, {"alias": "global", "region": "us-east-1"}]},
        "resource": {"aws_sagemaker_endpoint": {"e": {}}},
    }
    override = emulator_override(stack, "http://127.0.0.1:1", tmp_path / "state")
    assert override["terraform"]["backend"] == {"local": {"path": str(tmp_path / "state")}}
    providers = override["provider"]["aws"]
    assert [p.get("alias") for p in providers] == [None, "global"]
    for provider in providers:
        assert provider["max_retries"] == 2
        assert provider["endpoints"] == [
            {"sagemaker": "http://127.0.0.1:1", "sts": "http://127.0.0.1:1"}
        ]
        assert "region" not in provider  # the stack's own region stays


@pytest.mark.terraform
def test_terraform_sends_the_provider_where_the_override_says(
    synthesized_example: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    # Given a port nobody listens on, when the bootstrap stack is planned with the override,
    # then the provider's first call is refused *there*: the override replaced the S3/local
    # backend and merged into cdktf's `provider.aws` list, and nothing tried to reach AWS.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    stack = "bootstrap-serving-prod"
    workdir = prepare_stack(
        synthesized_example / "stacks" / stack,
        tmp_path_factory.mktemp("override-check"),
        f"http://127.0.0.1:{port}",
    )
    assert (workdir / OVERRIDE_FILE).exists()
    terraform = emulator_only(offline_terraform(tmp_path_factory.getbasetemp() / "terraform"))
    terraform.run(workdir, "init", "-input=false", "-no-color")
    validate = terraform.run(workdir, "validate", "-json", "-no-color", check=False)
    assert json.loads(validate.stdout)["valid"] is True, validate.stdout
    plan = terraform.run(workdir, "plan", "-input=false", "-no-color", check=False, timeout=120)
    assert plan.returncode == 1, plan.stdout
    assert f"127.0.0.1:{port}" in plan.stderr, plan.stderr[-3000:]
    assert "amazonaws.com" not in plan.stderr, plan.stderr[-3000:]
