"""The shims of moto's other services: Application Auto Scaling, ACM, Lambda, Service Quotas,
ELBv2 and Route 53, where moto 5.2 answers otherwise than AWS documents.

Each shim is labelled `# EMULATOR GAP:` and listed in `GAPS`; moto is imported inside the shims,
so the test process can import this module without starting (or importing) moto.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

from emulator.sagemaker_endpoint_config import sagemaker_instance_types
from emulator.sagemaker_rollout import SAGEMAKER_VARIANT_PROVISIONED_CONCURRENCY

SAGEMAKER_QUOTAS_FILE = "sagemaker-endpoint-quotas.json"
"""The account's SageMaker endpoint-usage quotas, in the server's work directory:
`{"<instance type>": {"default": N, "applied": M}}` (`applied` optional). Read on every request,
so a test sets them with `MotoServer.set_sagemaker_endpoint_quotas` at any time."""

# Read by moto when it is imported, so set in the server's environment.
SERVER_ENVIRONMENT = {
    # EMULATOR GAP: ACM certificates stay PENDING_VALIDATION for 60 s by default.
    "MOTO_ACM_VALIDATION_WAIT": "0",
}

GAPS: list[str] = [
    "Application Auto Scaling: ListTagsForResource, TagResource and UntagResource are not "
    "implemented (HTTP 500 right after RegisterScalableTarget), and RegisterScalableTarget drops "
    "its Tags; shim: an in-memory tag store per scalable-target ARN.",
    "Application Auto Scaling: RegisterScalableTarget refuses the dimension "
    "sagemaker:variant:DesiredProvisionedConcurrency (a serverless variant's provisioned "
    "concurrency), which AWS supports; shim: accept it for a SageMaker variant.",
    "ACM: certificates stay PENDING_VALIDATION for MOTO_ACM_VALIDATION_WAIT seconds (default 60); "
    "shim: MOTO_ACM_VALIDATION_WAIT=0.",
    "ACM: RequestCertificate ignores KeyAlgorithm (DescribeCertificate always says RSA_2048), so "
    "the re-plan wants to replace an EC certificate; shim: report the algorithm requested.",
    "Lambda: functions have no LoggingConfig (AWS always returns one), so the re-plan wants to "
    "update logging_config; shim: keep and return it, with AWS's defaults.",
    "Service Quotas: only VPC quotas exist (NoSuchResourceException for SageMaker) and "
    "GetAWSDefaultServiceQuota is not implemented; shim: SageMaker's '<instance type> for "
    "endpoint usage' quota for every instance type in botocore's ProductionVariantInstanceType "
    "enum, per account and region, in ListAWSDefaultServiceQuotas, GetAWSDefaultServiceQuota and "
    "GetServiceQuota (the applied value, else the default). Values come from "
    f"<workdir>/{SAGEMAKER_QUOTAS_FILE}; a type it does not name has a quota of 0 (as AWS gives "
    "many accelerated types in a new account), so nothing passes a quota check by accident. "
    "Quota codes are derived from the name (AWS's own L- codes are not published in botocore).",
    "ELBv2: DeleteLoadBalancer deletes a load balancer whose deletion protection is on (AWS "
    "refuses with OperationNotPermitted); shim: refuse too, so the teardown test proves that "
    "turning protection off comes first.",
    "Route 53: CreateHealthCheck and UpdateHealthCheck drop AlarmIdentifier and "
    "InsufficientDataHealthStatus of a CLOUDWATCH_METRIC check, and report it with an HTTP "
    "check's port 80 and 30 s interval, so the re-plan wants to replace it; shim: keep and return "
    "the alarm settings, leave out the endpoint's. moto never evaluates CALCULATED or CLOUDWATCH_METRIC "
    "checks (their status is not emulated; tests assert their wiring).",
]
"""One line per difference from AWS that this module's shims (and SERVER_ENVIRONMENT) work around."""


def apply_service_shims(quotas_file: Path) -> None:
    """Patch moto's other services; `quotas_file` holds the SageMaker endpoint-usage quotas."""
    _shim_service_quotas_sagemaker(quotas_file)
    _shim_application_autoscaling_tags()
    _shim_application_autoscaling_provisioned_concurrency()
    _shim_acm_key_algorithm()
    _shim_lambda_logging_config()
    _shim_elbv2_deletion_protection()
    _shim_route53_alarm_health_checks()


def _shim_application_autoscaling_tags() -> None:
    # EMULATOR GAP: Application Auto Scaling has no tagging API in moto 5.2. The provider reads
    # tags after every RegisterScalableTarget; without them apply fails with HTTP 500.
    import json
    import threading

    from moto.applicationautoscaling.responses import ApplicationAutoScalingResponse as Response

    tags_by_arn: dict[str, dict[str, str]] = {}
    lock = threading.Lock()
    register = Response.register_scalable_target
    deregister = Response.deregister_scalable_target

    def request(self: Any) -> dict[str, Any]:
        return cast("dict[str, Any]", json.loads(self.body or "{}"))

    def register_scalable_target(self: Any) -> str:
        body = register(self)
        given = request(self).get("Tags") or {}
        with lock:
            tags_by_arn.setdefault(json.loads(body)["ScalableTargetARN"], {}).update(given)
        return body

    def deregister_scalable_target(self: Any) -> str:
        params = request(self)
        targets = self.applicationautoscaling_backend.targets
        target = targets.get(params.get("ScalableDimension"), {}).get(params.get("ResourceId"))
        body = deregister(self)
        if target is not None:
            with lock:
                tags_by_arn.pop(target.arn, None)
        return body

    def list_tags_for_resource(self: Any) -> str:
        with lock:
            tags = dict(tags_by_arn.get(request(self)["ResourceARN"], {}))
        return json.dumps({"Tags": tags})

    def tag_resource(self: Any) -> str:
        params = request(self)
        with lock:
            tags_by_arn.setdefault(params["ResourceARN"], {}).update(params.get("Tags") or {})
        return "{}"

    def untag_resource(self: Any) -> str:
        params = request(self)
        with lock:
            tags = tags_by_arn.get(params["ResourceARN"], {})
            for key in params.get("TagKeys") or []:
                tags.pop(key, None)
        return "{}"

    Response.register_scalable_target = register_scalable_target  # type: ignore[method-assign]
    Response.deregister_scalable_target = deregister_scalable_target  # type: ignore[method-assign]
    Response.list_tags_for_resource = list_tags_for_resource  # type: ignore[attr-defined]
    Response.tag_resource = tag_resource  # type: ignore[attr-defined]
    Response.untag_resource = untag_resource  # type: ignore[attr-defined]


def _shim_application_autoscaling_provisioned_concurrency() -> None:
    # EMULATOR GAP: moto's list of scalable dimensions lacks
    # sagemaker:variant:DesiredProvisionedConcurrency, which AWS supports for serverless variants
    # ("You can scale SageMaker AI endpoint variants, provisioned concurrency for serverless
    # endpoints, and inference components", Application Auto Scaling User Guide,
    # services-that-can-integrate-sagemaker.html). Both modules read the enum at call time.
    from enum import Enum

    from moto.applicationautoscaling import models, responses

    dimensions = {member.name: member.value for member in models.ScalableDimensionValueSet}
    dimensions["SAGEMAKER_VARIANT_DESIRED_PROVISIONED_CONCURRENCY"] = (
        SAGEMAKER_VARIANT_PROVISIONED_CONCURRENCY
    )
    extended: Any = Enum("ScalableDimensionValueSet", dimensions)  # type: ignore[misc]
    models.ScalableDimensionValueSet = extended  # type: ignore[misc,assignment]
    responses.ScalableDimensionValueSet = extended  # type: ignore[attr-defined,assignment]


def _shim_acm_key_algorithm() -> None:
    # EMULATOR GAP: moto issues every certificate with an RSA 2048 key whatever KeyAlgorithm the
    # request gave; `key_algorithm` forces replacement, so the re-plan would replace it.
    import threading

    from moto.acm.responses import AWSCertificateManagerResponse as Response
    from moto.core.responses import ActionResult

    requested: dict[str, str] = {}
    lock = threading.Lock()
    request = Response.request_certificate
    describe = Response.describe_certificate

    def request_certificate(self: Any) -> Any:
        result = request(self)
        algorithm = self._get_param("KeyAlgorithm")
        if algorithm and isinstance(result, ActionResult) and isinstance(result.result, dict):
            with lock:
                requested[result.result["CertificateArn"]] = algorithm
        return result

    def describe_certificate(self: Any) -> Any:
        result = describe(self)
        if isinstance(result, ActionResult) and isinstance(result.result, dict):
            certificate = result.result["Certificate"]
            with lock:
                algorithm = requested.get(certificate["CertificateArn"])
            if algorithm:
                certificate["KeyAlgorithm"] = algorithm
        return result

    Response.request_certificate = request_certificate  # type: ignore[method-assign]
    Response.describe_certificate = describe_certificate  # type: ignore[method-assign]


def _shim_lambda_logging_config() -> None:
    # EMULATOR GAP: moto's functions have no LoggingConfig; AWS returns one for every function
    # (default: Text format, group /aws/lambda/<name>), and the provider reads it back.
    from moto.awslambda.models import LambdaFunction

    init = LambdaFunction.__init__
    get_configuration = LambdaFunction.get_configuration
    update_configuration = LambdaFunction.update_configuration

    def with_defaults(function: Any, given: dict[str, Any] | None) -> dict[str, Any]:
        defaults = {"LogFormat": "Text", "LogGroup": f"/aws/lambda/{function.function_name}"}
        return {**defaults, **(given or {})}

    def new_init(self: Any, account_id: str, spec: dict[str, Any], *args: Any, **kw: Any) -> None:
        init(self, account_id, spec, *args, **kw)
        self.logging_config = with_defaults(self, spec.get("LoggingConfig"))

    def new_get_configuration(self: Any, *args: Any, **kw: Any) -> dict[str, Any]:
        config = get_configuration(self, *args, **kw)
        config["LoggingConfig"] = getattr(self, "logging_config", None) or with_defaults(self, None)
        return config

    def new_update_configuration(self: Any, updates: dict[str, Any]) -> dict[str, Any]:
        if "LoggingConfig" in updates:
            self.logging_config = with_defaults(self, updates["LoggingConfig"])
        return update_configuration(self, updates)

    LambdaFunction.__init__ = new_init  # type: ignore[method-assign]
    LambdaFunction.get_configuration = new_get_configuration  # type: ignore[method-assign]
    LambdaFunction.update_configuration = new_update_configuration  # type: ignore[method-assign,assignment]


def _shim_route53_alarm_health_checks() -> None:
    # EMULATOR GAP: moto's CreateHealthCheck/UpdateHealthCheck drop AlarmIdentifier and
    # InsufficientDataHealthStatus (HealthCheckConfig of a CLOUDWATCH_METRIC check, botocore's
    # route53 model); GetHealthCheck then reports neither and the provider plans to set them again.
    from moto.route53.models import HealthCheck
    from moto.route53.responses import Route53 as Response

    kept = ("AlarmIdentifier", "InsufficientDataHealthStatus")
    config_property = HealthCheck.health_check_config

    def health_check_config(self: Any) -> dict[str, Any]:
        config = dict(config_property.fget(self))  # type: ignore[attr-defined]
        config.update(getattr(self, "shim_kept", {}))
        if self.type_ == "CLOUDWATCH_METRIC":
            # An alarm check has no endpoint: no address, port or request interval (moto reports
            # its HTTP defaults, 80 and 30 s; it already leaves them out of CALCULATED checks).
            for key in ("IPAddress", "Port", "RequestInterval", "MeasureLatency"):
                config.pop(key, None)
        return config

    def keeping(action: Any, health_check_id: Any) -> Any:
        def wrapped(self: Any) -> Any:
            result = action(self)
            # CreateHealthCheck nests the settings in HealthCheckConfig; UpdateHealthCheck does not.
            given = self._get_param("HealthCheckConfig") or {
                key: self._get_param(key) for key in kept
            }
            health_check = self.backend.health_checks[health_check_id(self, result)]
            shim_kept = getattr(health_check, "shim_kept", {})
            shim_kept.update({key: given[key] for key in kept if given.get(key) is not None})
            health_check.shim_kept = shim_kept
            return result

        return wrapped

    HealthCheck.health_check_config = property(health_check_config)  # type: ignore[assignment,method-assign]
    Response.create_health_check = keeping(  # type: ignore[method-assign]
        Response.create_health_check, lambda _self, result: result.result["HealthCheck"].id
    )
    Response.update_health_check = keeping(  # type: ignore[method-assign]
        Response.update_health_check, lambda self, _result: self._get_param("HealthCheckId")
    )


def _shim_elbv2_deletion_protection() -> None:
    # EMULATOR GAP: moto deletes a load balancer whose `deletion_protection.enabled` is true; AWS
    # refuses. Refusing too keeps the teardown test honest: it must turn protection off first.
    from moto.elbv2.exceptions import ELBClientError
    from moto.elbv2.responses import ELBV2Response as Response

    delete = Response.delete_load_balancer

    def delete_load_balancer(self: Any) -> Any:
        arn = self._get_param("LoadBalancerArn")
        load_balancer = self.elbv2_backend.load_balancers.get(arn)
        if (
            load_balancer is not None
            and load_balancer.attrs.get("deletion_protection.enabled") == "true"
        ):
            raise ELBClientError(
                "OperationNotPermitted",
                f"Load balancer '{arn}' cannot be deleted because deletion protection is enabled",
            )
        return delete(self)

    Response.delete_load_balancer = delete_load_balancer  # type: ignore[method-assign]


def sagemaker_endpoint_quota_code(instance_type: str) -> str:
    """The shim's quota code for '<instance type> for endpoint usage' (stable, L- like AWS's)."""
    import hashlib

    return "L-" + hashlib.sha256(instance_type.encode()).hexdigest()[:8].upper()


def _shim_service_quotas_sagemaker(quotas_file: Path) -> None:
    # EMULATOR GAP: moto's Service Quotas knows only VPC quotas and has no
    # GetAWSDefaultServiceQuota. AWS lists SageMaker's per-region endpoint quotas as
    # "<instance type> for endpoint usage" (Service Quotas console, service code `sagemaker`).
    import json

    from moto.servicequotas.responses import ServiceQuotasResponse as Response

    def quotas(account: str, region: str) -> dict[str, dict[str, Any]]:
        values = json.loads(quotas_file.read_text()) if quotas_file.exists() else {}
        found = {}
        for instance_type in sorted(sagemaker_instance_types()):
            code = sagemaker_endpoint_quota_code(instance_type)
            given = values.get(instance_type, {})
            found[code] = {
                "ServiceCode": "sagemaker",
                "ServiceName": "Amazon SageMaker",
                "QuotaArn": f"arn:aws:servicequotas:{region}:{account}:sagemaker/{code}",
                "QuotaCode": code,
                "QuotaName": f"{instance_type} for endpoint usage",
                "Value": float(given.get("default", 0)),
                "Unit": "None",
                "Adjustable": True,
                "GlobalQuota": False,
                "_applied": given.get("applied"),
            }
        return found

    def public(quota: dict[str, Any], applied: bool) -> dict[str, Any]:
        shown = {k: v for k, v in quota.items() if not k.startswith("_")}
        if applied and quota["_applied"] is not None:
            shown["Value"] = float(quota["_applied"])
        return shown

    def one(self: Any, applied: bool) -> str | None:
        params = json.loads(self.body)
        if params.get("ServiceCode") != "sagemaker":
            return None
        quota = quotas(self.current_account, self.region).get(params.get("QuotaCode"))
        if quota is None:
            from moto.servicequotas.exceptions import NoSuchResource

            raise NoSuchResource
        return json.dumps({"Quota": public(quota, applied)})

    list_defaults = Response.list_aws_default_service_quotas
    get_quota = Response.get_service_quota

    def list_aws_default_service_quotas(self: Any) -> str:
        if json.loads(self.body).get("ServiceCode") != "sagemaker":
            return list_defaults(self)
        found = quotas(self.current_account, self.region).values()
        return json.dumps({"Quotas": [public(q, applied=False) for q in found]})

    def get_service_quota(self: Any) -> str:
        return one(self, applied=True) or get_quota(self)

    def get_aws_default_service_quota(self: Any) -> str:
        answer = one(self, applied=False)
        if answer is None:
            from moto.servicequotas.exceptions import NoSuchResource

            raise NoSuchResource
        return answer

    Response.list_aws_default_service_quotas = list_aws_default_service_quotas  # type: ignore[method-assign]
    Response.get_service_quota = get_service_quota  # type: ignore[method-assign]
    Response.get_aws_default_service_quota = get_aws_default_service_quota  # type: ignore[attr-defined]
