"""The Lambda function that turns a plain HTTPS request from the ALB into a signed InvokeEndpoint.

A load balancer cannot forward to SageMaker directly: InvokeEndpoint needs SigV4-signed requests,
and a signature names its region, so a client cannot sign for whichever region latency routing
picks. This function signs with its own role, for its own region's endpoint.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cdktf import AssetType, TerraformAsset
from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.cloudwatch_log_metric_filter import (
    CloudwatchLogMetricFilter,
    CloudwatchLogMetricFilterMetricTransformation,
)
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.lambda_function import (
    LambdaFunction,
    LambdaFunctionEnvironment,
    LambdaFunctionLoggingConfig,
    LambdaFunctionTracingConfig,
)
from constructs import Construct

from config.models import PROXY_TIMEOUT_MARGIN_S, SAGEMAKER_INVOCATION_TIMEOUT_S, ProxySettings
from config.names import ResourceNames
from constructs_lib import aws_terms
from constructs_lib.policies import policy_document, service_trust_policy

SOURCE_DIR = Path(__file__).resolve().parent.parent / "functions" / "inference_proxy"
SOURCE_FILES = ("handler.py",)
RUNTIME = "python3.12"
HANDLER = "handler.handler"


@dataclass(frozen=True)
class InferenceProxyProps:
    function_name: str
    names: ResourceNames
    """Every AWS-visible name of the stack (config.names)."""
    region: str
    account_id: str
    endpoint_name: str
    endpoint_arn: str
    settings: ProxySettings
    log_key_arn: str


def read_timeout_s(settings: ProxySettings) -> int:
    """InvokeEndpoint read timeout: SageMaker's 60 s, waited for once inside the function timeout."""
    return min(SAGEMAKER_INVOCATION_TIMEOUT_S, settings.timeout_s - PROXY_TIMEOUT_MARGIN_S)


def staged_source() -> str:
    """Copy only the function's own files, so caches beside them never change the asset hash."""
    staging = Path(tempfile.mkdtemp(prefix="inference-proxy-"))
    # cdktf copies the asset into the output folder during synth; the copy here can go after.
    atexit.register(shutil.rmtree, staging, ignore_errors=True)
    for name in SOURCE_FILES:
        shutil.copy2(SOURCE_DIR / name, staging / name)
    return str(staging)


class InferenceProxy(Construct):
    """Function, role, log group. The role may invoke and describe exactly one endpoint."""

    def __init__(self, scope: Construct, id_: str, props: InferenceProxyProps) -> None:
        super().__init__(scope, id_)
        settings = props.settings
        asset = TerraformAsset(self, "code", path=staged_source(), type=AssetType.ARCHIVE)

        self.log_group = CloudwatchLogGroup(
            self,
            "log_group",
            name=props.names.proxy_log_group,
            retention_in_days=settings.log_retention_days,
            kms_key_id=props.log_key_arn,
        )
        self.role = IamRole(
            self,
            "role",
            # IAM is global: the region keeps the stacks' roles apart.
            name=props.names.proxy_role,
            assume_role_policy=service_trust_policy(
                aws_terms.LAMBDA_SERVICE_PRINCIPAL, props.account_id
            ),
        )
        self.role_policy = IamRolePolicy(
            self,
            "role_policy",
            name="invoke-one-endpoint",
            role=self.role.id,
            policy=policy_document(
                [
                    {
                        "Sid": "InvokeAndDescribeThisEndpoint",
                        "Effect": "Allow",
                        "Action": ["sagemaker:InvokeEndpoint", "sagemaker:DescribeEndpoint"],
                        "Resource": props.endpoint_arn,
                    },
                    {
                        "Sid": "WriteOwnLogs",
                        "Effect": "Allow",
                        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                        "Resource": f"{self.log_group.arn}:*",
                    },
                    {
                        "Sid": "XRayTraces",
                        "Effect": "Allow",
                        "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
                        "Resource": "*",  # X-Ray has no resource-level permissions
                    },
                ]
            ),
        )
        self.function = LambdaFunction(
            self,
            "function",
            function_name=props.names.proxy_function,
            description=f"ALB → InvokeEndpoint proxy for {props.endpoint_name}",
            role=self.role.arn,
            runtime=RUNTIME,
            handler=HANDLER,
            filename=asset.path,
            source_code_hash=asset.asset_hash,
            memory_size=settings.memory_mb,
            timeout=settings.timeout_s,
            reserved_concurrent_executions=settings.reserved_concurrency,
            environment=LambdaFunctionEnvironment(
                variables={
                    "ENDPOINT_NAME": props.endpoint_name,
                    "READ_TIMEOUT_S": str(read_timeout_s(settings)),
                }
            ),
            tracing_config=LambdaFunctionTracingConfig(mode="Active"),
            logging_config=LambdaFunctionLoggingConfig(
                log_format="Text", log_group=self.log_group.name
            ),
            # The log group (retention, key) and the role's permissions exist before the first
            # invocation, or Lambda creates an unencrypted, never-expiring group itself.
            depends_on=[self.log_group, self.role_policy],
        )
        self.function_arn = self.function.arn
        self.function_name = self.function.function_name
        # The ALB takes at most 1 MB from a Lambda target; the proxy answers a JSON 502 above it
        # and logs `"error": "response_too_large"`. Counted here, alarmed in TrafficAlarms.
        CloudwatchLogMetricFilter(
            self,
            "response_too_large",
            name=props.names.proxy_response_too_large_filter,
            log_group_name=self.log_group.name,
            pattern='{ $.error = "response_too_large" }',
            metric_transformation=CloudwatchLogMetricFilterMetricTransformation(
                namespace=aws_terms.PROXY_NAMESPACE,
                name=aws_terms.PROXY_RESPONSE_TOO_LARGE,
                value="1",
                unit="Count",
                dimensions={aws_terms.PROXY_ENDPOINT_DIMENSION: "$.endpoint"},
            ),
        )
