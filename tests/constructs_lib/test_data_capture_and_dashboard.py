"""Data capture (off by default) and the per-region dashboard."""

from __future__ import annotations

import json

from config.models import ServiceConfig
from tests.support.configs import config_with
from tests.support.lookup import find, ref
from tests.support.synth import only, resources, synth_region

CAPTURE = {"enabled": True, "sampling_percent": 25, "capture_output": False, "retention_days": 14}


def test_no_capture_by_default(example_config: ServiceConfig) -> None:
    stack = synth_region(example_config)
    assert "data_capture_config" not in only(stack, "aws_sagemaker_endpoint_configuration")


def test_capture_writes_sampled_input_to_an_encrypted_bucket() -> None:
    stack = synth_region(config_with(data_capture=CAPTURE))
    config = only(stack, "aws_sagemaker_endpoint_configuration")
    capture = config["data_capture_config"]
    assert capture["enable_capture"] is True
    assert capture["initial_sampling_percentage"] == 25
    assert capture["capture_options"] == [{"capture_mode": "Input"}]
    assert capture["kms_key_id"] == config["kms_key_arn"]
    assert capture["capture_content_type_header"] == {
        "json_content_types": ["application/json"],
        "csv_content_types": ["text/csv"],
    }
    bucket_key, bucket = next(
        (k, b) for k, b in resources(stack, "aws_s3_bucket").items() if "-capture-" in b["bucket"]
    )
    assert (
        capture["destination_s3_uri"]
        # The bucket's own name, not a reference to it: a configuration that must not depend on
        # a bucket that a later change may release (docs/data-and-teardown.md).
        == f"s3://{bucket['bucket']}/captured"
    )
    assert bucket["lifecycle"] == {"prevent_destroy": True}
    encryption = [
        e
        for e in resources(stack, "aws_s3_bucket_server_side_encryption_configuration").values()
        if e["bucket"] == ref("aws_s3_bucket", bucket_key, "id")
    ]
    assert (
        encryption[0]["rule"][0]["apply_server_side_encryption_by_default"]["sse_algorithm"]
        == "aws:kms"
    )
    versioning = [
        v
        for v in resources(stack, "aws_s3_bucket_versioning").values()
        if v["bucket"] == ref("aws_s3_bucket", bucket_key, "id")
    ]
    assert versioning[0]["versioning_configuration"] == {"status": "Enabled"}
    lifecycle = [
        v
        for v in resources(stack, "aws_s3_bucket_lifecycle_configuration").values()
        if v["bucket"] == ref("aws_s3_bucket", bucket_key, "id")
    ]
    assert lifecycle[0]["rule"][0]["expiration"] == [{"days": 14}]


def test_execution_role_may_write_captured_data() -> None:
    stack = synth_region(config_with(data_capture=CAPTURE))
    role_key, _ = find(stack, "aws_iam_role", name="serving-prod-us-east-1-sagemaker")
    (policy,) = [
        p
        for p in resources(stack, "aws_iam_role_policy").values()
        if p["role"] == ref("aws_iam_role", role_key, "id")
    ]
    sids = {s["Sid"]: s for s in json.loads(policy["policy"])["Statement"]}
    assert sids["WriteCapturedData"]["Action"] == "s3:PutObject"
    assert sids["WriteCapturedData"]["Resource"].endswith("/captured/*")


def test_dashboard_shows_traffic_latency_errors_capacity_and_health(
    example_config: ServiceConfig,
) -> None:
    stack = synth_region(example_config, "eu-west-1")
    dashboard = only(stack, "aws_cloudwatch_dashboard")
    assert dashboard["dashboard_name"] == "serving-prod-eu-west-1"
    widgets = json.loads(dashboard["dashboard_body"])["widgets"]
    titles = [w["properties"]["title"] for w in widgets]
    assert titles == [
        "Invocations",
        "Model latency (µs)",
        "Errors",
        "Instances (reporting CPU) against the autoscaling range",
        "Load balancer requests and healthy targets",
        "Route 53 health check (1 = healthy)",
    ]
    latency = [m[-1]["stat"] for m in widgets[1]["properties"]["metrics"]]
    assert latency == ["p50", "p90", "p99", "p99"]
    bounds = widgets[3]["properties"]["annotations"]["horizontal"]
    assert [b["value"] for b in bounds] == [2, 6]
    assert widgets[5]["properties"]["region"] == "us-east-1"  # Route 53 metrics live there
    assert all(w["properties"]["region"] == "eu-west-1" for w in widgets[:5])
