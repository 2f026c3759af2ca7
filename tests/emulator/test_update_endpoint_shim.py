"""The UpdateEndpoint shim: a rollout to a new endpoint configuration, as SageMaker documents it.

Given an endpoint in a patched moto server (boto3 on 127.0.0.1), when UpdateEndpoint deploys a new
endpoint configuration, then the endpoint reports what SageMaker would report once the rollout is
done, or the request is refused where SageMaker refuses it; every request is recorded either way.
The rules themselves (`plan_rollout`) are also checked without a server, for the endpoint states
the emulator never holds long enough to be caught in (Updating, Failed).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from emulator.moto_server import MotoServer
from emulator.sagemaker_rollout import (
    SAGEMAKER_VARIANT_CAPACITY,
    DeployedEndpoint,
    UpdateRefused,
    plan_rollout,
    variant_resource_id,
)
from tests.emulator.sagemaker_shim_cases import module_server

REGION = "eu-west-1"
ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/test"
ALL_AT_ONCE = {
    "BlueGreenUpdatePolicy": {
        "TrafficRoutingConfiguration": {"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": 60}
    }
}
CANARY = {
    "BlueGreenUpdatePolicy": {
        "TrafficRoutingConfiguration": {
            "Type": "CANARY",
            "CanarySize": {"Type": "INSTANCE_COUNT", "Value": 1},
            "WaitIntervalInSeconds": 300,
        },
        "TerminationWaitInSeconds": 120,
    },
    "AutoRollbackConfiguration": {"Alarms": [{"AlarmName": "endpoint-5xx"}]},
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoServer]:
    yield from module_server(tmp_path_factory, "moto-update-endpoint")


@pytest.fixture(scope="module")
def sagemaker(server: MotoServer) -> Any:
    """A SageMaker client of the server, with two models to deploy: model-a and model-b."""
    client = server.client("sagemaker", REGION)
    for model in ("model-a", "model-b"):
        client.create_model(
            ModelName=model, ExecutionRoleArn=ROLE, PrimaryContainer={"Image": f"{model}:1"}
        )
    return client


def variant(
    name: str = "primary",
    model: str = "model-a",
    instance_type: str = "ml.m5.xlarge",
    count: int = 2,
    weight: float = 1.0,
) -> dict[str, Any]:
    """A production variant of an endpoint configuration."""
    return {
        "VariantName": name,
        "ModelName": model,
        "InstanceType": instance_type,
        "InitialInstanceCount": count,
        "InitialVariantWeight": weight,
    }


def configuration(sagemaker: Any, name: str, *variants: dict[str, Any]) -> str:
    sagemaker.create_endpoint_config(EndpointConfigName=name, ProductionVariants=list(variants))
    return name


def deployed(sagemaker: Any, endpoint: str, *variants: dict[str, Any], **create: Any) -> Any:
    """An InService endpoint of a first configuration, `<endpoint>-v1`; its description."""
    config = configuration(sagemaker, f"{endpoint}-v1", *variants)
    sagemaker.create_endpoint(EndpointName=endpoint, EndpointConfigName=config, **create)
    return sagemaker.describe_endpoint(EndpointName=endpoint)


def scaled_out(sagemaker: Any, endpoint: str, count: int) -> None:
    """Plays Application Auto Scaling scaling the primary variant out to `count` instances."""
    sagemaker.update_endpoint_weights_and_capacities(
        EndpointName=endpoint,
        DesiredWeightsAndCapacities=[{"VariantName": "primary", "DesiredInstanceCount": count}],
    )
    counts = variants_of(sagemaker, endpoint)["primary"]
    assert (counts["CurrentInstanceCount"], counts["DesiredInstanceCount"]) == (count, count)


def autoscaling_target(
    server: MotoServer, endpoint: str, variant: str = "primary"
) -> dict[str, str]:
    return {
        "ServiceNamespace": "sagemaker",
        "ResourceId": variant_resource_id(endpoint, variant),
        "ScalableDimension": SAGEMAKER_VARIANT_CAPACITY,
    }


def registered(server: MotoServer, endpoint: str, variant: str = "primary") -> None:
    server.client("application-autoscaling", REGION).register_scalable_target(
        **autoscaling_target(server, endpoint, variant), MinCapacity=1, MaxCapacity=8
    )


def variants_of(sagemaker: Any, endpoint: str) -> dict[str, dict[str, Any]]:
    described = sagemaker.describe_endpoint(EndpointName=endpoint)["ProductionVariants"]
    return {v["VariantName"]: {k: x for k, x in v.items() if k != "VariantName"} for v in described}


def refusal(error: pytest.ExceptionInfo[ClientError]) -> str:
    assert error.value.response["Error"]["Code"] == "ValidationException"
    return str(error.value.response["Error"]["Message"])


def test_a_new_model_resets_the_variants_to_the_configurations_initial_count(
    server: MotoServer, sagemaker: Any
) -> None:
    before = deployed(sagemaker, "reset", variant(count=2, weight=1.0))
    registered(server, "reset")  # a new model on the same instance type is allowed
    scaled_out(sagemaker, "reset", 5)
    new = configuration(sagemaker, "reset-v2", variant(model="model-b", count=3, weight=0.5))

    sagemaker.update_endpoint(EndpointName="reset", EndpointConfigName=new)

    after = sagemaker.describe_endpoint(EndpointName="reset")
    assert after["EndpointConfigName"] == "reset-v2"
    assert after["EndpointStatus"] == "InService"
    assert after["LastModifiedTime"] > before["LastModifiedTime"]
    assert variants_of(sagemaker, "reset") == {
        "primary": {
            "CurrentInstanceCount": 3,
            "DesiredInstanceCount": 3,
            "CurrentWeight": 0.5,
            "DesiredWeight": 0.5,
        }
    }
    config = sagemaker.describe_endpoint_config(EndpointConfigName=after["EndpointConfigName"])
    assert config["ProductionVariants"][0]["ModelName"] == "model-b"


def test_retain_all_variant_properties_keeps_the_scaled_out_count_and_weight(
    sagemaker: Any,
) -> None:
    deployed(sagemaker, "retain", variant(count=2, weight=1.0))
    scaled_out(sagemaker, "retain", 5)
    new = configuration(sagemaker, "retain-v2", variant(model="model-b", count=3, weight=0.5))

    sagemaker.update_endpoint(
        EndpointName="retain", EndpointConfigName=new, RetainAllVariantProperties=True
    )

    assert variants_of(sagemaker, "retain")["primary"] == {
        "CurrentInstanceCount": 5,
        "DesiredInstanceCount": 5,
        "CurrentWeight": 1.0,
        "DesiredWeight": 1.0,
    }


def test_an_excluded_property_takes_the_configurations_value(sagemaker: Any) -> None:
    deployed(sagemaker, "exclude", variant(count=2, weight=1.0))
    scaled_out(sagemaker, "exclude", 5)
    new = configuration(sagemaker, "exclude-v2", variant(model="model-b", count=3, weight=0.5))

    sagemaker.update_endpoint(
        EndpointName="exclude",
        EndpointConfigName=new,
        RetainAllVariantProperties=True,
        ExcludeRetainedVariantProperties=[{"VariantPropertyType": "DesiredInstanceCount"}],
    )

    assert variants_of(sagemaker, "exclude")["primary"] == {
        "CurrentInstanceCount": 3,
        "DesiredInstanceCount": 3,
        "CurrentWeight": 1.0,
        "DesiredWeight": 1.0,
    }


def test_a_renamed_variant_is_refused_for_a_blue_green_deployment(sagemaker: Any) -> None:
    deployed(sagemaker, "rename", variant(name="primary"), DeploymentConfig=ALL_AT_ONCE)
    new = configuration(sagemaker, "rename-v2", variant(name="canary", model="model-b"))

    with pytest.raises(ClientError) as refused:
        sagemaker.update_endpoint(
            EndpointName="rename", EndpointConfigName=new, DeploymentConfig=ALL_AT_ONCE
        )

    message = refusal(refused)
    assert "['canary']" in message and "['primary']" in message
    assert "same variant names" in message
    assert sagemaker.describe_endpoint(EndpointName="rename")["EndpointConfigName"] == "rename-v1"


def test_a_renamed_variant_is_accepted_without_a_deployment_config(sagemaker: Any) -> None:
    deployed(sagemaker, "rename-plain", variant(name="primary"))
    new = configuration(sagemaker, "rename-plain-v2", variant(name="canary", model="model-b"))

    sagemaker.update_endpoint(EndpointName="rename-plain", EndpointConfigName=new)

    assert set(variants_of(sagemaker, "rename-plain")) == {"canary"}


def test_an_instance_type_change_is_refused_until_the_variant_is_deregistered(
    server: MotoServer, sagemaker: Any
) -> None:
    deployed(sagemaker, "resize", variant(instance_type="ml.m5.xlarge"))
    registered(server, "resize")
    new = configuration(sagemaker, "resize-v2", variant(instance_type="ml.c5.xlarge"))

    with pytest.raises(ClientError) as refused:
        sagemaker.update_endpoint(EndpointName="resize", EndpointConfigName=new)
    message = refusal(refused)
    assert "from ml.m5.xlarge to ml.c5.xlarge" in message
    assert "DeregisterScalableTarget" in message
    assert sagemaker.describe_endpoint(EndpointName="resize")["EndpointConfigName"] == "resize-v1"

    autoscaling = server.client("application-autoscaling", REGION)
    autoscaling.deregister_scalable_target(**autoscaling_target(server, "resize"))
    sagemaker.update_endpoint(EndpointName="resize", EndpointConfigName=new)

    endpoint = sagemaker.describe_endpoint(EndpointName="resize")
    assert endpoint["EndpointConfigName"] == "resize-v2"
    assert "InstanceType" not in endpoint["ProductionVariants"][0]  # as AWS: only the config has it
    config = sagemaker.describe_endpoint_config(EndpointConfigName=endpoint["EndpointConfigName"])
    assert config["ProductionVariants"][0]["InstanceType"] == "ml.c5.xlarge"


def test_removing_an_autoscaled_variant_is_refused(server: MotoServer, sagemaker: Any) -> None:
    deployed(sagemaker, "shrink", variant(name="primary"), variant(name="shadow", weight=0.1))
    registered(server, "shrink", "shadow")
    new = configuration(sagemaker, "shrink-v2", variant(name="primary", model="model-b"))

    with pytest.raises(ClientError) as refused:
        sagemaker.update_endpoint(EndpointName="shrink", EndpointConfigName=new)

    message = refusal(refused)
    assert 'Variant "shadow"' in message and "would remove it" in message


def test_an_unknown_endpoint_configuration_is_refused(sagemaker: Any) -> None:
    deployed(sagemaker, "unknown-config", variant())

    with pytest.raises(ClientError) as refused:
        sagemaker.update_endpoint(EndpointName="unknown-config", EndpointConfigName="missing")

    assert refusal(refused) == (
        "Could not find endpoint configuration "
        f'"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint-config/missing".'
    )


def test_an_unknown_endpoint_is_refused(sagemaker: Any) -> None:
    config = configuration(sagemaker, "orphan-v1", variant())

    with pytest.raises(ClientError) as refused:
        sagemaker.update_endpoint(EndpointName="missing", EndpointConfigName=config)

    assert refusal(refused) == (
        f'Could not find endpoint "arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint/missing".'
    )


def test_last_deployment_config_is_the_one_the_update_gave(sagemaker: Any) -> None:
    deployed(sagemaker, "rollout", variant(), DeploymentConfig=ALL_AT_ONCE)
    canary = configuration(sagemaker, "rollout-v2", variant(model="model-b"))
    plain = configuration(sagemaker, "rollout-v3", variant())

    sagemaker.update_endpoint(
        EndpointName="rollout", EndpointConfigName=canary, DeploymentConfig=CANARY
    )
    assert sagemaker.describe_endpoint(EndpointName="rollout")["LastDeploymentConfig"] == CANARY

    # Without DeploymentConfig (and RetainDeploymentConfig), the last one is not reused.
    sagemaker.update_endpoint(EndpointName="rollout", EndpointConfigName=plain)
    assert "LastDeploymentConfig" not in sagemaker.describe_endpoint(EndpointName="rollout")


def test_retain_deployment_config_reuses_the_last_one(sagemaker: Any) -> None:
    deployed(sagemaker, "reuse", variant(), DeploymentConfig=CANARY)
    new = configuration(sagemaker, "reuse-v2", variant(model="model-b"))

    sagemaker.update_endpoint(
        EndpointName="reuse", EndpointConfigName=new, RetainDeploymentConfig=True
    )

    assert sagemaker.describe_endpoint(EndpointName="reuse")["LastDeploymentConfig"] == CANARY


def test_every_request_is_recorded_with_its_outcome(server: MotoServer, sagemaker: Any) -> None:
    deployed(sagemaker, "recorded", variant())
    new = configuration(sagemaker, "recorded-v2", variant(model="model-b"))
    with pytest.raises(ClientError):
        sagemaker.update_endpoint(EndpointName="recorded", EndpointConfigName="missing")
    sagemaker.update_endpoint(
        EndpointName="recorded", EndpointConfigName=new, DeploymentConfig=ALL_AT_ONCE
    )

    records = [
        record
        for record in server.update_endpoint_requests()
        if record["request"]["EndpointName"] == "recorded"
    ]

    assert [record["request"] for record in records] == [
        {"EndpointName": "recorded", "EndpointConfigName": "missing"},
        {
            "EndpointName": "recorded",
            "EndpointConfigName": "recorded-v2",
            "DeploymentConfig": ALL_AT_ONCE,
        },
    ]
    assert [record["outcome"] for record in records] == ["refused", "accepted"]
    assert records[0]["error"]["Code"] == "ValidationException"
    assert records[0]["error"]["Message"].startswith("Could not find endpoint configuration")
    assert "error" not in records[1]
    assert {(record["account"], record["region"]) for record in records} == {(ACCOUNT, REGION)}


@pytest.mark.parametrize("status", ["Creating", "Updating", "RollingBack"])
def test_an_endpoint_in_progress_is_refused(status: str) -> None:
    endpoint = DeployedEndpoint(
        name="busy",
        arn="arn:aws:sagemaker:eu-west-1:123456789012:endpoint/busy",
        status=status,
        variants=[{"VariantName": "primary", "CurrentInstanceCount": 2}],
        instance_types={"primary": "ml.m5.xlarge"},
    )

    with pytest.raises(UpdateRefused, match=r'^Cannot update in-progress endpoint "arn:.*/busy"'):
        plan_rollout(endpoint, "arn:config", [variant()], {"EndpointConfigName": "config"})


def test_a_failed_endpoint_is_refused() -> None:
    endpoint = DeployedEndpoint(
        name="failed",
        arn="arn:aws:sagemaker:eu-west-1:123456789012:endpoint/failed",
        status="Failed",
        variants=[],
        instance_types={},
    )

    with pytest.raises(UpdateRefused, match="only an InService endpoint can be updated"):
        plan_rollout(endpoint, "arn:config", [variant()], {"EndpointConfigName": "config"})


def watching(alarm_name: str) -> dict[str, Any]:
    """A canary deployment that rolls back on `alarm_name` (one alarm per test: the alarms live
    as long as the module's server)."""
    return {**CANARY, "AutoRollbackConfiguration": {"Alarms": [{"AlarmName": alarm_name}]}}


def alarm(server: MotoServer, name: str, state: str) -> None:
    """A CloudWatch alarm `name`, forced into `state` (as the tests play a failing fleet)."""
    cloudwatch = server.client("cloudwatch", REGION)
    cloudwatch.put_metric_alarm(
        AlarmName=name,
        Namespace="AWS/SageMaker",
        MetricName="Invocation5XXErrors",
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=5,
        ComparisonOperator="GreaterThanThreshold",
    )
    cloudwatch.set_alarm_state(AlarmName=name, StateValue=state, StateReason="test")


def test_a_rollback_alarm_in_alarm_rolls_the_deployment_back(
    server: MotoServer, sagemaker: Any
) -> None:
    # Given an endpoint whose rollout watches alarm "guarded-5xx", scaled out to 5
    guarded = watching("guarded-5xx")
    deployed(sagemaker, "guarded", variant(count=2), DeploymentConfig=guarded)
    scaled_out(sagemaker, "guarded", 5)
    new = configuration(sagemaker, "guarded-v2", variant(model="model-b", count=3))
    alarm(server, "guarded-5xx", "ALARM")

    # When a rollout starts while the alarm is in ALARM
    sagemaker.update_endpoint(
        EndpointName="guarded", EndpointConfigName=new, DeploymentConfig=guarded
    )

    # Then SageMaker rolls it back: InService on the old configuration, the fleet as it was
    after = sagemaker.describe_endpoint(EndpointName="guarded")
    assert (after["EndpointStatus"], after["EndpointConfigName"]) == ("InService", "guarded-v1")
    assert "guarded-5xx" in after["FailureReason"]
    assert after["LastDeploymentConfig"] == guarded
    assert variants_of(sagemaker, "guarded")["primary"]["CurrentInstanceCount"] == 5
    (record,) = [
        r for r in server.update_endpoint_requests() if r["request"]["EndpointName"] == "guarded"
    ]
    assert (record["outcome"], record["reason"]) == ("rolled back", after["FailureReason"])


def test_the_rollout_completes_once_the_alarm_is_ok_again(
    server: MotoServer, sagemaker: Any
) -> None:
    retried = watching("retried-5xx")
    deployed(sagemaker, "retried", variant(count=2), DeploymentConfig=retried)
    new = configuration(sagemaker, "retried-v2", variant(model="model-b", count=3))
    alarm(server, "retried-5xx", "ALARM")
    sagemaker.update_endpoint(
        EndpointName="retried", EndpointConfigName=new, DeploymentConfig=retried
    )
    alarm(server, "retried-5xx", "OK")

    sagemaker.update_endpoint(
        EndpointName="retried", EndpointConfigName=new, DeploymentConfig=retried
    )

    after = sagemaker.describe_endpoint(EndpointName="retried")
    assert after["EndpointConfigName"] == "retried-v2"
    assert "FailureReason" not in after


def test_an_alarm_the_deployment_does_not_watch_rolls_nothing_back(
    server: MotoServer, sagemaker: Any
) -> None:
    deployed(sagemaker, "unwatched", variant(), DeploymentConfig=ALL_AT_ONCE)
    new = configuration(sagemaker, "unwatched-v2", variant(model="model-b"))
    alarm(server, "someone-elses-alarm", "ALARM")

    sagemaker.update_endpoint(
        EndpointName="unwatched", EndpointConfigName=new, DeploymentConfig=ALL_AT_ONCE
    )

    assert sagemaker.describe_endpoint(EndpointName="unwatched")["EndpointConfigName"] == (
        "unwatched-v2"
    )


def test_a_new_fleet_that_cannot_pull_its_image_is_rolled_back(
    server: MotoServer, sagemaker: Any
) -> None:
    # Given a model whose image tag is missing from this account's ECR repository
    server.client("ecr", REGION).create_repository(repositoryName="scoring")
    image = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/scoring:missing"
    sagemaker.create_model(
        ModelName="model-missing-image", ExecutionRoleArn=ROLE, PrimaryContainer={"Image": image}
    )
    deployed(sagemaker, "unpullable", variant())
    new = configuration(sagemaker, "unpullable-v2", variant(model="model-missing-image"))

    # When the endpoint is updated to it (no rollback alarms at all)
    sagemaker.update_endpoint(EndpointName="unpullable", EndpointConfigName=new)

    # Then the new fleet fails and the endpoint stays on the old configuration
    after = sagemaker.describe_endpoint(EndpointName="unpullable")
    assert (after["EndpointStatus"], after["EndpointConfigName"]) == ("InService", "unpullable-v1")
    assert image in after["FailureReason"]
