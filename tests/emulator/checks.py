"""What the deployed stacks must (and, after teardown, must no longer) have, asked of the emulator.

One function per concern, each `(deployment, config, region) -> None`, asserting with a message
that names the resource. Expected values come from the configuration, not from the synthesized
JSON, so a construct that ignores a setting fails here; physical IDs the configuration cannot
know (VPC, health check, key) come from the state snapshot taken right after apply. A new concern
is a new function, added to the matching list at the end of its section.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from config.models import S3StateSettings, ServiceConfig
from constructs_lib import aws_terms
from emulator.deployment import Deployment
from stacks.common import service_tags

Check = Callable[[Deployment, ServiceConfig, str], None]


def _client(deployment: Deployment, service: str, region: str) -> Any:
    return deployment.emulator.client(service, region)


def _applied(deployment: Deployment, config: ServiceConfig, region: str, type_: str) -> list[Any]:
    return deployment.applied(config.stack_name(region), type_)


def _error_code(call: Callable[..., Any], **request: Any) -> str | None:
    """The AWS error code `call(**request)` fails with, or None when it succeeds."""
    try:
        call(**request)
    except ClientError as error:
        return str(error.response["Error"]["Code"])
    return None


def _home(resource: dict[str, Any], default: str) -> str:
    """The region a resource lives in, from its ARN: a stack may also use a provider alias for
    another region (e.g. us-east-1 for Route 53 health-check metrics)."""
    arn = str(resource.get("arn") or "")
    parts = arn.split(":")
    return parts[3] if arn.startswith("arn:") and len(parts) > 3 and parts[3] else default


def _regional_name(config: ServiceConfig, region: str) -> str:
    return f"{region}.{config.domain.record_name}"


# --- a region stack, applied: inference ----------------------------------------------------------


def _endpoint(deployment: Deployment, config: ServiceConfig, region: str) -> dict[str, Any]:
    sagemaker = _client(deployment, "sagemaker", region)
    found: dict[str, Any] = sagemaker.describe_endpoint(EndpointName=config.name)
    return found


def _endpoint_configuration(
    deployment: Deployment, config: ServiceConfig, region: str
) -> dict[str, Any]:
    name = _endpoint(deployment, config, region)["EndpointConfigName"]
    sagemaker = _client(deployment, "sagemaker", region)
    found: dict[str, Any] = sagemaker.describe_endpoint_config(EndpointConfigName=name)
    return found


def endpoint_in_service(deployment: Deployment, config: ServiceConfig, region: str) -> None:
    endpoint = _endpoint(deployment, config, region)
    assert endpoint["EndpointStatus"] == "InService", endpoint
    variants = {v["VariantName"]: v for v in endpoint["ProductionVariants"]}
    assert list(variants) == [config.endpoint.variant_name], variants
    variant = variants[config.endpoint.variant_name]
    assert variant["CurrentInstanceCount"] == config.endpoint.initial_instances, variant


def endpoint_configuration_encrypted(
    deployment: Deployment, config: ServiceConfig, region: str
) -> None:
    configuration = _endpoint_configuration(deployment, config, region)
    key_id = configuration.get("KmsKeyId")
    assert key_id, f"endpoint configuration has no KmsKeyId: {configuration}"
    kms = _client(deployment, "kms", region)
    key = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert key["KeyState"] == "Enabled", key
    assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is True
    (variant,) = configuration["ProductionVariants"]
    assert variant["InstanceType"] == config.endpoint.instance_type, variant
    assert variant["InitialInstanceCount"] == config.endpoint.initial_instances, variant


def model_network_isolated(deployment: Deployment, config: ServiceConfig, region: str) -> None:
    (variant,) = _endpoint_configuration(deployment, config, region)["ProductionVariants"]
    model = _client(deployment, "sagemaker", region).describe_model(ModelName=variant["ModelName"])
    assert model["EnableNetworkIsolation"] is config.model.network_isolation, model
    image = config.model.image_uri.replace("{region}", region)
    assert model["PrimaryContainer"]["Image"] == image, model
    if config.model.execution_role_arn is None:
        role_name = model["ExecutionRoleArn"].rsplit("/", 1)[-1]
        role = _client(deployment, "iam", region).get_role(RoleName=role_name)["Role"]
        trust = role["AssumeRolePolicyDocument"]
        trust = json.loads(trust) if isinstance(trust, str) else trust
        principals = [s["Principal"].get("Service") for s in trust["Statement"]]
        assert principals == [aws_terms.SAGEMAKER_SERVICE_PRINCIPAL], trust


def endpoint_tagged(deployment: Deployment, config: ServiceConfig, region: str) -> None:
    arn = _endpoint(deployment, config, region)["EndpointArn"]
    tags = _client(deployment, "sagemaker", region).list_tags(ResourceArn=arn)["Tags"]
    found = {t["Key"]: t["Value"] for t in tags}
    missing = {k: v for k, v in service_tags(config).items() if found.get(k) != v}
    assert not missing, f"endpoint lacks default tags {missing}; has {found}"


# --- a region stack, applied: autoscaling --------------------------------------------------------


def _variant_resource_id(config: ServiceConfig) -> str:
    return aws_terms.variant_resource_id(config.name, config.endpoint.variant_name)


def _ours(items: list[dict[str, Any]], config: ServiceConfig) -> list[dict[str, Any]]:
    return [i for i in items if i["ResourceId"] == _variant_resource_id(config)]


def _autoscaling(deployment: Deployment, region: str) -> Any:
    return _client(deployment, "application-autoscaling", region)


def scalable_target_range(deployment: Deployment, config: ServiceConfig, region: str) -> None:
    answer = _autoscaling(deployment, region).describe_scalable_targets(
        ServiceNamespace=aws_terms.SAGEMAKER_NAMESPACE, ResourceIds=[_variant_resource_id(config)]
    )
    (target,) = answer["ScalableTargets"]
    assert target["ScalableDimension"] == aws_terms.VARIANT_INSTANCE_COUNT, target
    assert target["MinCapacity"] == config.endpoint.min_instance_count, target
    assert target["MaxCapacity"] == config.endpoint.max_instance_count, target


def target_tracking_policies(deployment: Deployment, config: ServiceConfig, region: str) -> None:
    scaling = config.autoscaling
    assert scaling is not None, "the example endpoint runs on instances"
    expected = {aws_terms.INVOCATIONS_PER_INSTANCE: scaling.invocations_target}
    if scaling.concurrency_target is not None:
        expected[aws_terms.CONCURRENT_REQUESTS_PER_MODEL] = scaling.concurrency_target
    answer = _autoscaling(deployment, region).describe_scaling_policies(
        ServiceNamespace=aws_terms.SAGEMAKER_NAMESPACE, ResourceId=_variant_resource_id(config)
    )
    policies = _ours(answer["ScalingPolicies"], config)
    assert len(policies) == len(expected), policies
    found = {}
    for policy in policies:
        assert policy["PolicyType"] == "TargetTrackingScaling", policy
        tracking = policy["TargetTrackingScalingPolicyConfiguration"]
        metric = tracking["PredefinedMetricSpecification"]["PredefinedMetricType"]
        found[metric] = tracking["TargetValue"]
        assert tracking["ScaleInCooldown"] == scaling.scale_in_cooldown_s, policy
        assert tracking["ScaleOutCooldown"] == scaling.scale_out_cooldown_s, policy
    assert found == expected


def scheduled_actions(deployment: Deployment, config: ServiceConfig, region: str) -> None:
    assert config.autoscaling is not None, "the example endpoint runs on instances"
    expected = sorted(
        (a.schedule, a.timezone, a.min_instance_count, a.max_instance_count)
        for a in config.autoscaling.scheduled_actions
    )
    answer = _autoscaling(deployment, region).describe_scheduled_actions(
        ServiceNamespace=aws_terms.SAGEMAKER_NAMESPACE, ResourceId=_variant_resource_id(config)
    )
    found = sorted(
        (
            a["Schedule"],
            a.get("Timezone", "UTC"),
            int(a["ScalableTargetAction"]["MinCapacity"]),
            int(a["ScalableTargetAction"]["MaxCapacity"]),
        )
        for a in _ours(answer["ScheduledActions"], config)
    )
    assert found == expected


# --- a region stack, applied: traffic ------------------------------------------------------------


def _load_balancer(deployment: Deployment, config: ServiceConfig, region: str) -> dict[str, Any]:
    elbv2 = _client(deployment, "elbv2", region)
    found = elbv2.describe_load_balancers(Names=[config.name])["LoadBalancers"]
    (load_balancer,) = found
    described: dict[str, Any] = load_balancer
    return described


def _listeners(deployment: Deployment, config: ServiceConfig, region: str) -> dict[int, Any]:
    arn = _load_balancer(deployment, config, region)["LoadBalancerArn"]
    listeners = _client(deployment, "elbv2", region).describe_listeners(LoadBalancerArn=arn)
    return {listener["Port"]: listener for listener in listeners["Listeners"]}


def load_balancer_settings(deployment: Deployment, config: ServiceConfig, region: str) -> None:
    load_balancer = _load_balancer(deployment, config, region)
    settings = config.load_balancer
    assert load_balancer["State"]["Code"] == "active", load_balancer
    scheme = "internal" if settings.internal else "internet-facing"
    # moto leaves Scheme out unless the request named one; AWS's default is internet-facing.
    assert load_balancer.get("Scheme", "internet-facing") == scheme, load_balancer
    answer = _client(deployment, "elbv2", region).describe_load_balancer_attributes(
        LoadBalancerArn=load_balancer["LoadBalancerArn"]
    )
    attributes = {a["Key"]: a["Value"] for a in answer["Attributes"]}
    expected = {
        "deletion_protection.enabled": str(settings.deletion_protection).lower(),
        "routing.http.drop_invalid_header_fields.enabled": "true",
        "access_logs.s3.enabled": "true",
        "idle_timeout.timeout_seconds": str(settings.idle_timeout_s),
    }
    wrong = {k: (attributes.get(k), v) for k, v in expected.items() if attributes.get(k) != v}
    assert not wrong, f"load balancer attributes (found, expected): {wrong}"


def listeners_https_only(deployment: Deployment, config: ServiceConfig, region: str) -> None:
    listeners = _listeners(deployment, config, region)
    assert sorted(listeners) == [80, 443], listeners
    https, http = listeners[443], listeners[80]
    assert https["Protocol"] == "HTTPS", https
    assert https["SslPolicy"] == config.load_balancer.ssl_policy, https
    assert [a["Type"] for a in https["DefaultActions"]] == ["forward"], https
    (redirect,) = http["DefaultActions"]
    assert redirect["Type"] == "redirect", http
    target = redirect["RedirectConfig"]
    assert (target["Protocol"], target["Port"], target["StatusCode"]) == (
        "HTTPS",
        "443",
        "HTTP_301",
    ), target


def certificate_issued(deployment: Deployment, config: ServiceConfig, region: str) -> None:
    (certificate,) = _listeners(deployment, config, region)[443]["Certificates"]
    acm = _client(deployment, "acm", region)
    details = acm.describe_certificate(CertificateArn=certificate["CertificateArn"])["Certificate"]
    assert details["Status"] == "ISSUED", details
    names = {config.domain.record_name, _regional_name(config, region)}
    assert set(details["SubjectAlternativeNames"]) | {details["DomainName"]} == names, details


def proxy_calls_the_endpoint(deployment: Deployment, config: ServiceConfig, region: str) -> None:
    functions = {
        f["function_name"]: f for f in _applied(deployment, config, region, "aws_lambda_function")
    }
    # The proxy, and `/ping` on a function of its own with its own reserved concurrency.
    assert set(functions) == {f"{config.name}-proxy", f"{config.name}-ping"}, sorted(functions)
    lambda_ = _client(deployment, "lambda", region)
    ping = lambda_.get_function(FunctionName=f"{config.name}-ping")
    assert ping["Concurrency"]["ReservedConcurrentExecutions"] >= 1, ping
    answer = lambda_.get_function(FunctionName=f"{config.name}-proxy")
    configuration = answer["Configuration"]
    assert configuration["State"] == "Active", configuration
    assert configuration["Environment"]["Variables"]["ENDPOINT_NAME"] == config.name, configuration
    group = configuration["LoggingConfig"]["LogGroup"]
    logs = _client(deployment, "logs", region)
    (found,) = [
        g
        for g in logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]
        if g["logGroupName"] == group
    ]
    assert found.get("kmsKeyId"), f"proxy log group {group} is not KMS-encrypted: {found}"


def web_acl_attached(deployment: Deployment, config: ServiceConfig, region: str) -> None:
    if not config.waf.enabled:
        return
    arn = _load_balancer(deployment, config, region)["LoadBalancerArn"]
    answer = _client(deployment, "wafv2", region).get_web_acl_for_resource(ResourceArn=arn)
    assert answer.get("WebACL"), f"no web ACL on {arn}"


def _zone_id(deployment: Deployment, config: ServiceConfig) -> str:
    route53 = _client(deployment, "route53", config.stack_regions[0])
    zones = route53.list_hosted_zones_by_name(DNSName=config.domain.hosted_zone_name)
    (zone,) = [
        z for z in zones["HostedZones"] if z["Name"].rstrip(".") == config.domain.hosted_zone_name
    ]
    return str(zone["Id"]).rsplit("/", 1)[-1]


def _records(deployment: Deployment, config: ServiceConfig) -> list[dict[str, Any]]:
    route53 = _client(deployment, "route53", config.stack_regions[0])
    answer = route53.list_resource_record_sets(HostedZoneId=_zone_id(deployment, config))
    return list(answer["ResourceRecordSets"])


def validation_records(deployment: Deployment, stack: str) -> list[dict[str, Any]]:
    """The certificate validation CNAMEs in the hosted zone that `stack` manages."""
    config = deployment.stack_configs[stack]
    names = {
        r["values"]["name"].rstrip(".") + "."
        for r in deployment.applied_state[stack]["values"]["root_module"]["resources"]
        if r["type"] == "aws_route53_record" and r["values"]["type"] == "CNAME"
    }
    return [r for r in _records(deployment, config) if r["Type"] == "CNAME" and r["Name"] in names]


def _region_records(
    deployment: Deployment, config: ServiceConfig, region: str
) -> list[dict[str, Any]]:
    """This region's share of the service name, and its regional name."""
    return [
        r
        for r in _records(deployment, config)
        if r["Type"] == "A"
        and (
            (
                r["Name"].rstrip(".") == config.domain.record_name
                and r.get("SetIdentifier") == region
            )
            or r["Name"].rstrip(".") == _regional_name(config, region)
        )
    ]


def latency_records(deployment: Deployment, config: ServiceConfig, region: str) -> None:
    dns_name = _load_balancer(deployment, config, region)["DNSName"].rstrip(".").lower()
    records = {r["Name"].rstrip("."): r for r in _region_records(deployment, config, region)}
    assert set(records) == {config.domain.record_name, _regional_name(config, region)}, records
    for record in records.values():
        alias = record["AliasTarget"]
        assert alias["DNSName"].rstrip(".").lower().endswith(dns_name), record
    latency = records[config.domain.record_name]
    # The latency record follows its calculated check, not the ALB's target health.
    assert latency["AliasTarget"]["EvaluateTargetHealth"] is False, latency
    assert latency["Region"] == region, latency
    health_check_id = latency.get("HealthCheckId")
    assert health_check_id, f"latency record of {region} has no health check: {latency}"
    route53 = _client(deployment, "route53", region)
    calculated = route53.get_health_check(HealthCheckId=health_check_id)["HealthCheck"]
    children = calculated["HealthCheckConfig"]["ChildHealthChecks"]
    assert calculated["HealthCheckConfig"]["Type"] == "CALCULATED", calculated
    assert calculated["HealthCheckConfig"]["HealthThreshold"] == len(children) == 2, calculated
    # Children are a set (the provider sends them in any order): told apart by their alarm.
    configs = [
        route53.get_health_check(HealthCheckId=child)["HealthCheck"]["HealthCheckConfig"]
        for child in children
    ]
    error_rate_alarm = {"Region": region, "Name": f"{config.stack_name(region)}-error-rate-health"}
    (errors,) = [c for c in configs if c.get("AlarmIdentifier") == error_rate_alarm]
    assert errors["Type"] == "CLOUDWATCH_METRIC", errors
    (settings,) = [c for c in configs if c is not errors]
    if config.load_balancer.internal:
        assert settings["Type"] == "CLOUDWATCH_METRIC", settings
    else:
        assert settings["Type"] == "HTTPS", settings
        assert settings["FullyQualifiedDomainName"] == _regional_name(config, region), settings
        assert settings["ResourcePath"] == "/ping", settings


# --- a region stack, applied: rollout and alarms -------------------------------------------------


def rollout_is_blue_green(deployment: Deployment, config: ServiceConfig, region: str) -> None:
    rollout = config.rollout
    deployment_config = _endpoint(deployment, config, region).get("LastDeploymentConfig")
    assert deployment_config, "the endpoint has no deployment configuration (blue/green rollout)"
    policy = deployment_config["BlueGreenUpdatePolicy"]
    routing = policy["TrafficRoutingConfiguration"]
    assert routing["Type"] == rollout.strategy.upper(), routing
    assert routing["WaitIntervalInSeconds"] == rollout.wait_s, routing
    if rollout.strategy == "canary":
        assert routing["CanarySize"] == {
            "Type": "CAPACITY_PERCENT",
            "Value": rollout.canary_size_percent,
        }, routing
    assert policy["MaximumExecutionTimeoutInSeconds"] == rollout.maximum_execution_timeout_s
    assert policy["TerminationWaitInSeconds"] == rollout.termination_wait_s
    rollback = deployment_config.get("AutoRollbackConfiguration", {}).get("Alarms", [])
    assert bool(rollback) is rollout.auto_rollback, deployment_config
    names = [a["AlarmName"] for a in rollback]
    cloudwatch = _client(deployment, "cloudwatch", region)
    found = cloudwatch.describe_alarms(AlarmNames=names)["MetricAlarms"] if names else []
    assert sorted(a["AlarmName"] for a in found) == sorted(names), f"rollback alarms: {names}"


def alarms_notify_a_topic(deployment: Deployment, config: ServiceConfig, region: str) -> None:
    alarms = _applied(deployment, config, region, "aws_cloudwatch_metric_alarm")
    assert alarms, "the stack has no CloudWatch alarm"
    for alarm in alarms:
        if alarm["alarm_name"].endswith("-error-rate-health"):
            continue  # read by Route 53 (the region's health), not paged
        home = _home(alarm, region)
        cloudwatch = _client(deployment, "cloudwatch", home)
        (found,) = cloudwatch.describe_alarms(AlarmNames=[alarm["alarm_name"]])["MetricAlarms"]
        actions = found["AlarmActions"]
        assert actions, f"alarm {found['AlarmName']} notifies nobody"
        topics = {t["TopicArn"] for t in _client(deployment, "sns", home).list_topics()["Topics"]}
        assert set(actions) <= topics, f"alarm {found['AlarmName']} notifies {actions}, not a topic"


REGION_CHECKS: list[Check] = [
    endpoint_in_service,
    endpoint_configuration_encrypted,
    model_network_isolated,
    endpoint_tagged,
    scalable_target_range,
    target_tracking_policies,
    scheduled_actions,
    load_balancer_settings,
    listeners_https_only,
    certificate_issued,
    proxy_calls_the_endpoint,
    web_acl_attached,
    latency_records,
    rollout_is_blue_green,
    alarms_notify_a_topic,
]


# --- the bootstrap stack, applied ----------------------------------------------------------------


def state_settings(config: ServiceConfig) -> S3StateSettings:
    """The S3 state settings: only an S3 backend has a bootstrap stack and a state bucket."""
    assert isinstance(config.state, S3StateSettings), f"state backend is {config.state.backend}"
    return config.state


def _s3(deployment: Deployment, config: ServiceConfig) -> Any:
    return _client(deployment, "s3", state_settings(config).region)


def state_bucket_versioned(deployment: Deployment, config: ServiceConfig, region: str) -> None:
    answer = _s3(deployment, config).get_bucket_versioning(Bucket=state_settings(config).bucket)
    assert answer.get("Status") == "Enabled", answer


def state_bucket_kms_encrypted(deployment: Deployment, config: ServiceConfig, region: str) -> None:
    answer = _s3(deployment, config).get_bucket_encryption(Bucket=state_settings(config).bucket)
    (rule,) = answer["ServerSideEncryptionConfiguration"]["Rules"]
    default = rule["ApplyServerSideEncryptionByDefault"]
    assert default["SSEAlgorithm"] == "aws:kms", rule
    kms = _client(deployment, "kms", region)
    key = kms.describe_key(KeyId=default["KMSMasterKeyID"])["KeyMetadata"]
    assert key["KeyState"] == "Enabled", key
    assert kms.get_key_rotation_status(KeyId=key["KeyId"])["KeyRotationEnabled"] is True


def state_bucket_private(deployment: Deployment, config: ServiceConfig, region: str) -> None:
    s3 = _s3(deployment, config)
    answer = s3.get_public_access_block(Bucket=state_settings(config).bucket)
    block = answer["PublicAccessBlockConfiguration"]
    assert block == {
        "BlockPublicAcls": True,
        "IgnorePublicAcls": True,
        "BlockPublicPolicy": True,
        "RestrictPublicBuckets": True,
    }, block
    controls = s3.get_bucket_ownership_controls(Bucket=state_settings(config).bucket)[
        "OwnershipControls"
    ]
    (rule,) = controls["Rules"]
    assert rule["ObjectOwnership"] == "BucketOwnerEnforced", rule


def state_bucket_denies_insecure_transport(
    deployment: Deployment, config: ServiceConfig, region: str
) -> None:
    answer = _s3(deployment, config).get_bucket_policy(Bucket=state_settings(config).bucket)
    policy = json.loads(answer["Policy"])
    denies = [
        s
        for s in policy["Statement"]
        if s["Effect"] == "Deny"
        and s.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") == "false"
    ]
    assert denies, f"no statement denies aws:SecureTransport=false: {policy}"


BOOTSTRAP_CHECKS: list[Check] = [
    state_bucket_versioned,
    state_bucket_kms_encrypted,
    state_bucket_private,
    state_bucket_denies_insecure_transport,
]


# --- a region stack, torn down -------------------------------------------------------------------


def endpoint_gone(deployment: Deployment, config: ServiceConfig, region: str) -> None:
    sagemaker = _client(deployment, "sagemaker", region)
    assert _error_code(sagemaker.describe_endpoint, EndpointName=config.name), (
        f"endpoint {config.name} still exists in {region}"
    )
    configurations = sagemaker.list_endpoint_configs()["EndpointConfigs"]
    left = [c["EndpointConfigName"] for c in configurations]
    assert not [n for n in left if n.startswith(config.name)], left
    models = [m["ModelName"] for m in sagemaker.list_models()["Models"]]
    assert not [n for n in models if n.startswith(config.name)], models


def autoscaling_gone(deployment: Deployment, config: ServiceConfig, region: str) -> None:
    autoscaling = _autoscaling(deployment, region)
    namespace = aws_terms.SAGEMAKER_NAMESPACE
    targets = autoscaling.describe_scalable_targets(ServiceNamespace=namespace)
    assert not _ours(targets["ScalableTargets"], config), targets["ScalableTargets"]
    policies = autoscaling.describe_scaling_policies(ServiceNamespace=namespace)
    assert not _ours(policies["ScalingPolicies"], config), policies["ScalingPolicies"]
    actions = autoscaling.describe_scheduled_actions(ServiceNamespace=namespace)
    assert not _ours(actions["ScheduledActions"], config), actions["ScheduledActions"]


def iam_roles_gone(deployment: Deployment, config: ServiceConfig, region: str) -> None:
    iam = _client(deployment, "iam", region)
    for role in _applied(deployment, config, region, "aws_iam_role"):
        code = _error_code(iam.get_role, RoleName=role["name"])
        assert code == "NoSuchEntity", f"role {role['name']} still exists"


def _kept_key_alias(config: ServiceConfig) -> str:
    """The storage key decrypts captured data: the retired form keeps it, and its alias."""
    return f"alias/sagemaker/{config.name}"


def kms_keys_scheduled_for_deletion(
    deployment: Deployment, config: ServiceConfig, region: str
) -> None:
    # KMS never deletes a key at once: destroy schedules the deletion after the waiting period.
    # The storage key (and its alias) is released by the retired form instead: it is kept.
    aliases = _applied(deployment, config, region, "aws_kms_alias")
    kept = {a["target_key_arn"] for a in aliases if a["name"] == _kept_key_alias(config)}
    assert kept, f"no storage key alias {_kept_key_alias(config)} was applied"
    for key in _applied(deployment, config, region, "aws_kms_key"):
        kms = _client(deployment, "kms", _home(key, region))
        state = kms.describe_key(KeyId=key["arn"])["KeyMetadata"]["KeyState"]
        expected = "Enabled" if key["arn"] in kept else "PendingDeletion"
        assert state == expected, f"key {key['arn']} is {state}, not {expected}"
    for alias in aliases:
        kms = _client(deployment, "kms", _home(alias, region))
        names = {a["AliasName"] for a in kms.list_aliases()["Aliases"]}
        expected_there = alias["name"] == _kept_key_alias(config)
        assert (alias["name"] in names) is expected_there, (alias["name"], expected_there)


def load_balancer_gone(deployment: Deployment, config: ServiceConfig, region: str) -> None:
    elbv2 = _client(deployment, "elbv2", region)
    code = _error_code(elbv2.describe_load_balancers, Names=[config.name])
    assert code == "LoadBalancerNotFound", f"load balancer {config.name} still exists ({code})"
    for group in _applied(deployment, config, region, "aws_lb_target_group"):
        elbv2 = _client(deployment, "elbv2", _home(group, region))
        code = _error_code(elbv2.describe_target_groups, TargetGroupArns=[group["arn"]])
        assert code == "TargetGroupNotFound", f"target group {group['name']} still exists"


KEPT_OBJECT_KEY = "AWSLogs/kept-by-teardown-test.log"
"""Put into every bucket of a stack before it is retired and destroyed (put_kept_objects)."""


def put_kept_objects(deployment: Deployment, config: ServiceConfig, region: str) -> None:
    """Give every bucket of the stack an object, as logs or captured data would be."""
    s3 = _client(deployment, "s3", region)
    for bucket in _applied(deployment, config, region, "aws_s3_bucket"):
        put_past_tls_only_policy(s3, bucket["bucket"], KEPT_OBJECT_KEY, b"kept")


def put_past_tls_only_policy(s3: Any, bucket: str, key: str, body: bytes) -> str:
    """Writes `key` as SageMaker or ELB would over TLS, and returns the bucket policy.

    The policy denies requests without TLS (aws:SecureTransport false) and moto listens on
    plain http, so S3 refuses the write with 403, as AWS would: the write happens with the
    policy lifted and put back unchanged, before the change under test reads anything.
    """
    policy: str = s3.get_bucket_policy(Bucket=bucket)["Policy"]
    s3.delete_bucket_policy(Bucket=bucket)
    try:
        s3.put_object(Bucket=bucket, Key=key, Body=body)
    finally:
        s3.put_bucket_policy(Bucket=bucket, Policy=policy)
    return policy


def data_buckets_kept(deployment: Deployment, config: ServiceConfig, region: str) -> None:
    # Released from state before the destroy (docs/data-and-teardown.md): kept with their data.
    s3 = _client(deployment, "s3", region)  # bucket names are global
    buckets = _applied(deployment, config, region, "aws_s3_bucket")
    assert buckets, "the stack applied no bucket"
    for bucket in buckets:
        name = bucket["bucket"]
        assert _error_code(s3.head_bucket, Bucket=name) is None, f"bucket {name} is gone"
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket=name).get("Contents", [])]
        assert KEPT_OBJECT_KEY in keys, f"bucket {name} was kept without its data: {keys}"
        block = s3.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"]
        assert block["BlockPublicPolicy"], f"bucket {name} lost its public access block"


def proxy_gone(deployment: Deployment, config: ServiceConfig, region: str) -> None:
    for function in _applied(deployment, config, region, "aws_lambda_function"):
        lambda_ = _client(deployment, "lambda", _home(function, region))
        name = function["function_name"]
        code = _error_code(lambda_.get_function, FunctionName=name)
        assert code == "ResourceNotFoundException", f"function {name} still exists"
    for group in _applied(deployment, config, region, "aws_cloudwatch_log_group"):
        logs = _client(deployment, "logs", _home(group, region))
        found = logs.describe_log_groups(logGroupNamePrefix=group["name"])["logGroups"]
        assert group["name"] not in [g["logGroupName"] for g in found], group["name"]


def dns_records_gone(deployment: Deployment, config: ServiceConfig, region: str) -> None:
    # The hosted zone is not the stack's: it stays, without this region's records.
    left = _region_records(deployment, config, region)
    assert not left, f"{region}'s records are still in the zone: {left}"
    route53 = _client(deployment, "route53", region)
    for check in _applied(deployment, config, region, "aws_route53_health_check"):
        code = _error_code(route53.get_health_check, HealthCheckId=check["id"])
        assert code == "NoSuchHealthCheck", f"health check {check['id']} still exists"


def certificate_gone(deployment: Deployment, config: ServiceConfig, region: str) -> None:
    for certificate in _applied(deployment, config, region, "aws_acm_certificate"):
        acm = _client(deployment, "acm", _home(certificate, region))
        arn = certificate["arn"]
        code = _error_code(acm.describe_certificate, CertificateArn=arn)
        assert code == "ResourceNotFoundException", f"certificate {arn} still exists"


def network_gone(deployment: Deployment, config: ServiceConfig, region: str) -> None:
    for vpc in _applied(deployment, config, region, "aws_vpc"):
        ec2 = _client(deployment, "ec2", _home(vpc, region))
        code = _error_code(ec2.describe_vpcs, VpcIds=[vpc["id"]])
        assert code == "InvalidVpcID.NotFound", f"VPC {vpc['id']} still exists"


def web_acl_gone(deployment: Deployment, config: ServiceConfig, region: str) -> None:
    for acl in _applied(deployment, config, region, "aws_wafv2_web_acl"):
        wafv2 = _client(deployment, "wafv2", _home(acl, region))
        names = {a["Name"] for a in wafv2.list_web_acls(Scope="REGIONAL")["WebACLs"]}
        assert acl["name"] not in names, f"web ACL {acl['name']} still exists"


def alarms_and_topics_gone(deployment: Deployment, config: ServiceConfig, region: str) -> None:
    for alarm in _applied(deployment, config, region, "aws_cloudwatch_metric_alarm"):
        cloudwatch = _client(deployment, "cloudwatch", _home(alarm, region))
        found = cloudwatch.describe_alarms(AlarmNames=[alarm["alarm_name"]])["MetricAlarms"]
        assert not found, f"alarm {alarm['alarm_name']} still exists"
    for dashboard in _applied(deployment, config, region, "aws_cloudwatch_dashboard"):
        cloudwatch = _client(deployment, "cloudwatch", _home(dashboard, region))
        name = dashboard["dashboard_name"]
        listed = cloudwatch.list_dashboards(DashboardNamePrefix=name)["DashboardEntries"]
        assert name not in [d["DashboardName"] for d in listed], f"dashboard {name} still exists"
    for topic in _applied(deployment, config, region, "aws_sns_topic"):
        sns = _client(deployment, "sns", _home(topic, region))
        arns = [t["TopicArn"] for t in sns.list_topics()["Topics"]]
        assert topic["arn"] not in arns, f"topic {topic['arn']} still exists"


REGION_GONE_CHECKS: list[Check] = [
    endpoint_gone,
    autoscaling_gone,
    iam_roles_gone,
    kms_keys_scheduled_for_deletion,
    load_balancer_gone,
    data_buckets_kept,
    proxy_gone,
    dns_records_gone,
    certificate_gone,
    network_gone,
    web_acl_gone,
    alarms_and_topics_gone,
]
