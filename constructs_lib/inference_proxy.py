"""The Lambda function that turns a plain HTTPS request from the ALB into a signed InvokeEndpoint.

A load balancer cannot forward to SageMaker directly: InvokeEndpoint needs SigV4-signed requests,
and a signature names its region, so a client cannot sign for whichever region latency routing
picks. This function signs with its own role, for its own region's endpoint.
"""

from __future__ import annotations

import atexit
import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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

from config.models import (
    PROXY_TIMEOUT_MARGIN_S,
    SAGEMAKER_INVOCATION_TIMEOUT_S,
    AuthenticationSettings,
    ProxySettings,
)
from config.names import ResourceNames
from constructs_lib import aws_terms, proxy_package
from constructs_lib.policies import policy_document, service_trust_policy

SOURCE_DIR = Path(__file__).resolve().parent.parent / "functions" / "inference_proxy"
SOURCE_FILES = ("handler.py", "alb_http.py", "sagemaker_errors.py", "proxy_auth.py")
RUNTIME = "python3.12"
PYTHON_VERSION = RUNTIME.removeprefix("python")
# The wheels packaged with the function (cryptography has compiled parts) are built for it.
ARCHITECTURE = "x86_64"
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
    authentication: AuthenticationSettings


def read_timeout_s(settings: ProxySettings) -> int:
    """InvokeEndpoint read timeout: SageMaker's 60 s, waited for once inside the function timeout."""
    return min(SAGEMAKER_INVOCATION_TIMEOUT_S, settings.timeout_s - PROXY_TIMEOUT_MARGIN_S)


def staged_package() -> tuple[str, str]:
    """The function's zip (its files and the pinned dependencies) in a folder of its own, and the
    hash of its inputs (constructs_lib/proxy_package.py)."""
    staging = Path(tempfile.mkdtemp(prefix="inference-proxy-"))
    # cdktf copies the asset into the output folder during synth; the copy here can go after.
    atexit.register(shutil.rmtree, staging, ignore_errors=True)
    archive, input_hash = proxy_package.function_zip(
        SOURCE_DIR, SOURCE_FILES, PYTHON_VERSION, ARCHITECTURE, staging
    )
    return str(archive), input_hash


def authentication_environment(settings: AuthenticationSettings) -> dict[str, str]:
    """What the proxy checks (functions/inference_proxy/proxy_auth.py): a bearer token with
    `jwt`; nothing with `mutual_tls` alone (the load balancer refused the connection already) or
    with the opt-out."""
    jwt = settings.jwt
    if jwt is None:
        return {"AUTH_MODE": "mutual_tls" if settings.mutual_tls is not None else "none"}
    variables = {
        "AUTH_MODE": "jwt",
        "JWT_ISSUER": jwt.issuer,
        "JWT_AUDIENCES": json.dumps(jwt.audiences),
        "JWT_REQUIRED_SCOPES": json.dumps(jwt.required_scopes),
        "JWT_ALGORITHMS": json.dumps(jwt.algorithms),
        "JWT_LEEWAY_S": str(jwt.leeway_s),
        "JWKS_MAX_AGE_S": str(jwt.jwks_max_age_s),
        "JWKS_MIN_REFRESH_S": str(jwt.jwks_min_refresh_interval_s),
    }
    if jwt.jwks_url is not None:
        variables["JWT_JWKS_URL"] = jwt.jwks_url
    return variables


def _function_identity(
    scope: Construct,
    *,
    log_group_name: str,
    role_name: str,
    account_id: str,
    log_retention_days: int,
    log_key_arn: str,
    policy_name: str,
    endpoint_statement: dict[str, Any],
) -> tuple[CloudwatchLogGroup, IamRole, IamRolePolicy]:
    """A function's log group, its role (IAM is global: the role name carries the region), and
    the role's one policy: `endpoint_statement` on the endpoint, its own logs, X-Ray."""
    log_group = CloudwatchLogGroup(
        scope,
        "log_group",
        name=log_group_name,
        retention_in_days=log_retention_days,
        kms_key_id=log_key_arn,
    )
    role = IamRole(
        scope,
        "role",
        name=role_name,
        assume_role_policy=service_trust_policy(aws_terms.LAMBDA_SERVICE_PRINCIPAL, account_id),
    )
    role_policy = IamRolePolicy(
        scope,
        "role_policy",
        name=policy_name,
        role=role.id,
        policy=policy_document(
            [
                endpoint_statement,
                {
                    "Sid": "WriteOwnLogs",
                    "Effect": "Allow",
                    "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                    "Resource": f"{log_group.arn}:*",
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
    return log_group, role, role_policy


class InferenceProxy(Construct):
    """Function, role, log group. The role may invoke and describe exactly one endpoint."""

    def __init__(self, scope: Construct, id_: str, props: InferenceProxyProps) -> None:
        super().__init__(scope, id_)
        settings = props.settings
        archive, input_hash = staged_package()
        asset = TerraformAsset(
            self, "code", path=archive, type=AssetType.FILE, asset_hash=input_hash
        )
        self.code_path, self.code_hash = asset.path, asset.asset_hash

        self.log_group, self.role, self.role_policy = _function_identity(
            self,
            log_group_name=props.names.proxy_log_group,
            role_name=props.names.proxy_role,
            account_id=props.account_id,
            log_retention_days=settings.log_retention_days,
            log_key_arn=props.log_key_arn,
            policy_name="invoke-one-endpoint",
            endpoint_statement={
                "Sid": "InvokeAndDescribeThisEndpoint",
                "Effect": "Allow",
                "Action": ["sagemaker:InvokeEndpoint", "sagemaker:DescribeEndpoint"],
                "Resource": props.endpoint_arn,
            },
        )
        self.function = LambdaFunction(
            self,
            "function",
            function_name=props.names.proxy_function,
            description=f"ALB → InvokeEndpoint proxy for {props.endpoint_name}",
            role=self.role.arn,
            runtime=RUNTIME,
            architectures=[ARCHITECTURE],
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
                    **authentication_environment(props.authentication),
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


# `/ping` answers from a 5 s cache, so a warm container serves hundreds of checks a second; a few
# cover Route 53's checkers (one request per checker per interval) and the ALB's own checks, cold
# starts included. Reserved, so inference filling the account's concurrency cannot starve it.
PING_RESERVED_CONCURRENCY = 5
PING_MEMORY_MB = 128
# DescribeEndpoint gets 1 s to connect and 2 s to read (handler.py); the rest is a cold start.
PING_TIMEOUT_S = 10


@dataclass(frozen=True)
class PingFunctionProps:
    names: ResourceNames
    """Every AWS-visible name of the stack (config.names): the function's, its log group's, its
    role's."""
    account_id: str
    endpoint_name: str
    endpoint_arn: str
    code_path: str
    """The proxy's package: the same handler answers `/ping` here."""
    code_hash: str
    log_retention_days: int
    log_key_arn: str
    authentication: AuthenticationSettings
    """The proxy's: the handler reads it at cold start (`/ping` itself asks for no credential)."""


class PingFunction(Construct):
    """`/ping` on a function of its own, with its own reserved concurrency, so the health checks
    that keep a region in DNS are never throttled by inference filling the proxy. Its role may
    only describe the endpoint: were an invocation ever routed here, it could not run the model."""

    def __init__(self, scope: Construct, id_: str, props: PingFunctionProps) -> None:
        super().__init__(scope, id_)
        self.log_group, self.role, self.role_policy = _function_identity(
            self,
            log_group_name=props.names.ping_log_group,
            role_name=props.names.ping_role,
            account_id=props.account_id,
            log_retention_days=props.log_retention_days,
            log_key_arn=props.log_key_arn,
            policy_name="describe-one-endpoint",
            endpoint_statement={
                "Sid": "DescribeThisEndpoint",
                "Effect": "Allow",
                "Action": ["sagemaker:DescribeEndpoint"],
                "Resource": props.endpoint_arn,
            },
        )
        self.function = LambdaFunction(
            self,
            "function",
            function_name=props.names.ping_function,
            description=f"GET /ping of {props.endpoint_name}, apart from inference",
            role=self.role.arn,
            runtime=RUNTIME,
            # The package's compiled wheels (cryptography) are built for the proxy's architecture.
            architectures=[ARCHITECTURE],
            handler=HANDLER,
            filename=props.code_path,
            source_code_hash=props.code_hash,
            memory_size=PING_MEMORY_MB,
            timeout=PING_TIMEOUT_S,
            reserved_concurrent_executions=PING_RESERVED_CONCURRENCY,
            environment=LambdaFunctionEnvironment(
                variables={
                    "ENDPOINT_NAME": props.endpoint_name,
                    **authentication_environment(props.authentication),
                }
            ),
            tracing_config=LambdaFunctionTracingConfig(mode="Active"),
            logging_config=LambdaFunctionLoggingConfig(
                log_format="Text", log_group=self.log_group.name
            ),
            depends_on=[self.log_group, self.role_policy],
        )
        self.function_arn = self.function.arn
        self.function_name = self.function.function_name
