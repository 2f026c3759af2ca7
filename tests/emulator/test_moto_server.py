"""The patched moto server itself: it starts, and each shim answers as AWS does.

Fast (a few seconds, no Terraform): a moto upgrade that breaks a shim fails here, by name,
rather than as a puzzling diff at the end of an emulator run.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from emulator import moto_server, sagemaker_shims, service_shims
from emulator.moto_server import MotoServer
from emulator.sagemaker_endpoint_config import sagemaker_instance_types
from tests.emulator.sagemaker_shim_cases import module_server

REGION = "eu-west-1"
ROLE = "arn:aws:iam::123456789012:role/test"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoServer]:
    yield from module_server(tmp_path_factory, "moto-shims")


SHIM_MODULES = (sagemaker_shims, service_shims)


def test_every_labelled_shim_is_listed_in_its_modules_gaps() -> None:
    emulator = Path(moto_server.__file__).parent
    labelled = {
        path.stem: count
        for path in sorted(emulator.glob("*.py"))
        if (count := len(re.findall(r"^\s*# EMULATOR GAP:", path.read_text(), flags=re.MULTILINE)))
    }
    listed = {module.__name__.rpartition(".")[2]: len(module.GAPS) for module in SHIM_MODULES}
    assert labelled == listed, "label each shim and list it in its module's GAPS, one each"


def test_the_servers_gaps_are_every_shim_modules_gaps() -> None:
    assert [gap for module in SHIM_MODULES for gap in module.GAPS] == moto_server.GAPS


def test_server_listens_on_loopback(server: MotoServer) -> None:
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", server.endpoint_url)


def test_scalable_targets_keep_their_tags(server: MotoServer) -> None:
    autoscaling = server.client("application-autoscaling", REGION)
    arn = autoscaling.register_scalable_target(
        ServiceNamespace="sagemaker",
        ResourceId="endpoint/tags/variant/primary",
        ScalableDimension="sagemaker:variant:DesiredInstanceCount",
        MinCapacity=1,
        MaxCapacity=2,
        Tags={"service": "serving"},
    )["ScalableTargetARN"]
    autoscaling.tag_resource(ResourceARN=arn, Tags={"team": "ml"})
    autoscaling.untag_resource(ResourceARN=arn, TagKeys=["service"])
    assert autoscaling.list_tags_for_resource(ResourceARN=arn)["Tags"] == {"team": "ml"}


def test_sagemaker_describes_what_was_created(server: MotoServer) -> None:
    sagemaker = server.client("sagemaker", REGION)
    sagemaker.create_model(
        ModelName="shim-model",
        ExecutionRoleArn=ROLE,
        PrimaryContainer={"Image": "image"},
        EnableNetworkIsolation=True,
    )
    model = sagemaker.describe_model(ModelName="shim-model")
    assert model["EnableNetworkIsolation"] is True
    assert "VpcConfig" not in model
    sagemaker.create_endpoint_config(
        EndpointConfigName="shim-config",
        ProductionVariants=[
            {
                "VariantName": "primary",
                "ModelName": "shim-model",
                "InstanceType": "ml.m5.xlarge",
                "InitialInstanceCount": 2,
            }
        ],
    )
    assert "DataCaptureConfig" not in sagemaker.describe_endpoint_config(
        EndpointConfigName="shim-config"
    )
    rollout = {
        "BlueGreenUpdatePolicy": {
            "TrafficRoutingConfiguration": {"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": 60}
        }
    }
    sagemaker.create_endpoint(
        EndpointName="shim-endpoint", EndpointConfigName="shim-config", DeploymentConfig=rollout
    )
    endpoint = sagemaker.describe_endpoint(EndpointName="shim-endpoint")
    assert endpoint["EndpointStatus"] == "InService"
    assert endpoint["LastDeploymentConfig"] == rollout


def test_certificates_keep_their_key_algorithm(server: MotoServer) -> None:
    acm = server.client("acm", REGION)
    arn = acm.request_certificate(
        DomainName="api.example.com", ValidationMethod="DNS", KeyAlgorithm="EC_prime256v1"
    )["CertificateArn"]
    certificate = acm.describe_certificate(CertificateArn=arn)["Certificate"]
    assert certificate["KeyAlgorithm"] == "EC_prime256v1"
    assert certificate["Status"] == "ISSUED"  # MOTO_ACM_VALIDATION_WAIT=0


def test_functions_report_their_logging_config(server: MotoServer) -> None:
    import io
    import zipfile

    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("handler.py", "def handler(event, context):\n    return event\n")
    trust = '{"Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}}]}'
    role = server.client("iam", REGION).create_role(
        RoleName="shim-function", AssumeRolePolicyDocument=trust
    )["Role"]["Arn"]
    lambda_ = server.client("lambda", REGION)
    lambda_.create_function(
        FunctionName="shim-function",
        Runtime="python3.12",
        Role=role,
        Handler="handler.handler",
        Code={"ZipFile": archive.getvalue()},
        LoggingConfig={"LogGroup": "/custom/group"},
    )
    config = lambda_.get_function(FunctionName="shim-function")["Configuration"]
    assert config["LoggingConfig"] == {"LogFormat": "Text", "LogGroup": "/custom/group"}


def test_protected_load_balancers_are_not_deleted(server: MotoServer) -> None:
    ec2 = server.client("ec2", REGION)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"{REGION}{z}")[
            "Subnet"
        ]["SubnetId"]
        for i, z in enumerate("ab")
    ]
    elbv2 = server.client("elbv2", REGION)
    arn = elbv2.create_load_balancer(Name="shim-alb", Subnets=subnets)["LoadBalancers"][0][
        "LoadBalancerArn"
    ]
    protect = [{"Key": "deletion_protection.enabled", "Value": "true"}]
    elbv2.modify_load_balancer_attributes(LoadBalancerArn=arn, Attributes=protect)
    with pytest.raises(ClientError, match="OperationNotPermitted"):
        elbv2.delete_load_balancer(LoadBalancerArn=arn)
    protect[0]["Value"] = "false"
    elbv2.modify_load_balancer_attributes(LoadBalancerArn=arn, Attributes=protect)
    elbv2.delete_load_balancer(LoadBalancerArn=arn)


def test_capacity_updates_keep_the_weight_they_leave_out(server: MotoServer) -> None:
    sagemaker = server.client("sagemaker", REGION)
    sagemaker.create_model(
        ModelName="capacity-model", ExecutionRoleArn=ROLE, PrimaryContainer={"Image": "image"}
    )
    sagemaker.create_endpoint_config(
        EndpointConfigName="capacity-config",
        ProductionVariants=[
            {
                "VariantName": "primary",
                "ModelName": "capacity-model",
                "InstanceType": "ml.m5.xlarge",
                "InitialInstanceCount": 2,
                "InitialVariantWeight": 1.0,
            }
        ],
    )
    sagemaker.create_endpoint(EndpointName="capacity", EndpointConfigName="capacity-config")

    sagemaker.update_endpoint_weights_and_capacities(
        EndpointName="capacity",
        DesiredWeightsAndCapacities=[{"VariantName": "primary", "DesiredInstanceCount": 5}],
    )

    [variant] = sagemaker.describe_endpoint(EndpointName="capacity")["ProductionVariants"]
    assert variant == {
        "VariantName": "primary",
        "CurrentInstanceCount": 5,
        "DesiredInstanceCount": 5,
        "CurrentWeight": 1.0,
        "DesiredWeight": 1.0,
    }


def test_an_alarm_health_check_keeps_its_alarm_and_insufficient_data_status(
    server: MotoServer,
) -> None:
    route53 = server.client("route53", "us-east-1")
    alarm = {"Region": REGION, "Name": "serving-prod-eu-west-1-error-rate-health"}
    check_id = route53.create_health_check(
        CallerReference="alarm-check",
        HealthCheckConfig={
            "Type": "CLOUDWATCH_METRIC",
            "AlarmIdentifier": alarm,
            "InsufficientDataHealthStatus": "LastKnownStatus",
        },
    )["HealthCheck"]["Id"]
    route53.update_health_check(HealthCheckId=check_id, InsufficientDataHealthStatus="Healthy")

    config = route53.get_health_check(HealthCheckId=check_id)["HealthCheck"]["HealthCheckConfig"]

    assert config["AlarmIdentifier"] == alarm
    assert config["InsufficientDataHealthStatus"] == "Healthy"
    # No endpoint to call: no port or request interval, as for a CALCULATED check.
    assert "Port" not in config and "RequestInterval" not in config


def test_sagemaker_endpoint_usage_quotas_have_defaults_applied_values_and_zero(
    server: MotoServer,
) -> None:
    server.set_sagemaker_endpoint_quotas({"ml.m5.xlarge": {"default": 20, "applied": 40}})
    quotas = server.client("service-quotas", REGION)

    listed = quotas.list_aws_default_service_quotas(ServiceCode="sagemaker")["Quotas"]
    by_name = {q["QuotaName"]: q for q in listed}
    m5 = by_name["ml.m5.xlarge for endpoint usage"]
    applied = quotas.get_service_quota(ServiceCode="sagemaker", QuotaCode=m5["QuotaCode"])
    g5 = by_name["ml.g5.xlarge for endpoint usage"]

    assert len(listed) == len(sagemaker_instance_types())
    assert m5["Value"] == 20.0
    assert applied["Quota"]["Value"] == 40.0
    assert g5["Value"] == 0.0  # not given: nothing fits by accident
    with pytest.raises(ClientError, match="NoSuchResourceException"):
        quotas.get_service_quota(ServiceCode="sagemaker", QuotaCode="L-NOTAQUOTA")
