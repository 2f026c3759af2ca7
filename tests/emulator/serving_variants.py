"""The serving-feature examples (A/B variants, a shadow variant, serverless), deployed side by side.

config/examples/ holds one configuration per feature, each its own service and environment
(scoring-ab, scoring-shadow, scoring-dev) in one region, under the same hosted zone. Their region
stacks share nothing, so test_serving_variants.py applies them at once against one moto server.
This module holds what that needs beyond emulator/deployment.py and test_day2.py's `Day2`:
the configurations (the examples and the day-2 changes derived from them), synthesized in this
process, and what the emulator holds once they are applied (`observe`), to assert on afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from config.loader import load_config
from config.models import ServiceConfig
from constructs_lib import aws_terms
from emulator.moto_server import MotoServer
from tests.support.app import synth_app

EXAMPLES_DIR = Path(__file__).resolve().parents[2] / "config" / "examples"
EXAMPLE_FILES = {"ab": "ab.yaml", "shadow": "shadow.yaml", "serverless": "serverless-dev.yaml"}


def load_example(key: str) -> ServiceConfig:
    """One of the serving-feature examples, by key (`ab`, `shadow`, `serverless`)."""
    return load_config(EXAMPLES_DIR / EXAMPLE_FILES[key])


def without_shadow(config: ServiceConfig) -> ServiceConfig:
    """The same service before its shadow test: no `shadow` block (data capture as configured)."""
    return config.model_copy(update={"shadow": None})


def promoted(config: ServiceConfig) -> ServiceConfig:
    """The same service after its shadow test passed: the candidate's model serves production,
    the shadow is gone (docs/configuration.md "Serving options"), and nothing is captured any
    more (the capture bucket is released, with its data: docs/data-and-teardown.md)."""
    assert config.shadow is not None
    capture = config.data_capture.model_copy(update={"enabled": False})
    return config.model_copy(
        update={"model": config.shadow.model, "shadow": None, "data_capture": capture}
    )


def with_weights(config: ServiceConfig, weights: dict[str, float]) -> ServiceConfig:
    """The same A/B service with new production variant weights, by variant name."""
    endpoint = config.endpoint.model_copy(update={"weight": weights[config.endpoint.variant_name]})
    variants = [v.model_copy(update={"weight": weights[v.name]}) for v in config.variants]
    return config.model_copy(update={"endpoint": endpoint, "variants": variants})


def with_region(config: ServiceConfig, region: str) -> ServiceConfig:
    """The same service with one more region (its stack is self-contained: README "regions")."""
    return config.model_copy(update={"regions": [*config.regions, region]})


@dataclass
class SynthesizedConfigs:
    """Configurations synthesized in this process (a second or less each), by label.

    Has what test_day2.py's `Day2` reads of its synths: `stack_dir(label, stack)` and
    `config(label)`. Synthesize before any thread starts: jsii's kernel is not thread-safe.
    """

    root: Path
    configs: dict[str, ServiceConfig] = field(default_factory=dict)

    def add(self, label: str, config: ServiceConfig) -> None:
        outdir = self.root / label
        outdir.mkdir(parents=True)
        synth_app(config, outdir)
        self.configs[label] = config

    def stack_dir(self, label: str, stack: str) -> Path:
        return self.root / label / "stacks" / stack

    def config(self, label: str) -> ServiceConfig:
        return self.configs[label]


@dataclass(frozen=True)
class Observed:
    """What the emulator holds for one region stack's endpoint at one moment."""

    endpoint: dict[str, Any]
    """DescribeEndpoint."""
    endpoint_config: dict[str, Any]
    """DescribeEndpointConfig of the configuration the endpoint runs."""
    models: dict[str, dict[str, Any]]
    """DescribeModel of every model the configuration names, by variant name."""
    scalable_targets: dict[str, dict[str, Any]]
    """The endpoint's variants' scalable targets, by Application Auto Scaling ResourceId."""
    scaling_policies: dict[str, list[dict[str, Any]]]
    """Their scaling policies, by ResourceId."""
    alarms: list[dict[str, Any]]
    """The stack's CloudWatch metric alarms in its region (their names start with the stack's)."""


def observe(moto: MotoServer, config: ServiceConfig, region: str) -> Observed:
    """Ask the emulator what `config`'s stack in `region` has deployed."""
    sagemaker = moto.client("sagemaker", region)
    endpoint = sagemaker.describe_endpoint(EndpointName=config.name)
    endpoint_config = sagemaker.describe_endpoint_config(
        EndpointConfigName=endpoint["EndpointConfigName"]
    )
    variants = endpoint_config["ProductionVariants"] + endpoint_config.get(
        "ShadowProductionVariants", []
    )
    models = {
        v["VariantName"]: sagemaker.describe_model(ModelName=v["ModelName"]) for v in variants
    }
    scaling = moto.client("application-autoscaling", region)
    ours = aws_terms.variant_resource_id(config.name, "")
    targets = scaling.describe_scalable_targets(ServiceNamespace=aws_terms.SAGEMAKER_NAMESPACE)
    policies = scaling.describe_scaling_policies(ServiceNamespace=aws_terms.SAGEMAKER_NAMESPACE)
    by_target: dict[str, list[dict[str, Any]]] = {}
    for policy in policies["ScalingPolicies"]:
        if policy["ResourceId"].startswith(ours):
            by_target.setdefault(policy["ResourceId"], []).append(policy)
    cloudwatch = moto.client("cloudwatch", region)
    alarms = cloudwatch.describe_alarms(AlarmNamePrefix=config.stack_name(region))["MetricAlarms"]
    return Observed(
        endpoint=endpoint,
        endpoint_config=endpoint_config,
        models=models,
        scalable_targets={
            t["ResourceId"]: t
            for t in targets["ScalableTargets"]
            if t["ResourceId"].startswith(ours)
        },
        scaling_policies=by_target,
        alarms=alarms,
    )


def alarm_dimensions(alarm: dict[str, Any]) -> list[dict[str, str]]:
    """Every dimension an alarm watches: its metric's, or those of its metric-math queries."""
    found = list(alarm.get("Dimensions", []))
    for query in alarm.get("Metrics", []):
        found += query.get("MetricStat", {}).get("Metric", {}).get("Dimensions", [])
    return found


def alarm_metrics(alarm: dict[str, Any]) -> set[str]:
    """Every metric an alarm watches: its own, or those of its metric-math queries."""
    found = {alarm["MetricName"]} if alarm.get("MetricName") else set()
    for query in alarm.get("Metrics", []):
        metric = query.get("MetricStat", {}).get("Metric", {})
        if metric.get("MetricName"):
            found.add(metric["MetricName"])
    return found
