"""AWS names, metric names, dimensions and ARN formats, written once."""

from config.names import WAF_LOG_GROUP_PREFIX  # noqa: F401  (re-exported)
from config.regions import PARTITION

SAGEMAKER_SERVICE_PRINCIPAL = "sagemaker.amazonaws.com"

# Application Auto Scaling on a SageMaker production variant.
SAGEMAKER_NAMESPACE = "sagemaker"
VARIANT_INSTANCE_COUNT = "sagemaker:variant:DesiredInstanceCount"
INVOCATIONS_PER_INSTANCE = "SageMakerVariantInvocationsPerInstance"
# Published every 10 s (high resolution), so target tracking reacts within a minute.
CONCURRENT_REQUESTS_PER_MODEL = "SageMakerVariantConcurrentRequestsPerModelHighResolution"


def variant_resource_id(endpoint_name: str, variant_name: str) -> str:
    return f"endpoint/{endpoint_name}/variant/{variant_name}"


def arn(service: str, region: str, account: str, resource: str) -> str:
    return f"arn:{PARTITION}:{service}:{region}:{account}:{resource}"


def s3_object_arn(bucket: str, key: str) -> str:
    return f"arn:{PARTITION}:s3:::{bucket}/{key}"


def s3_bucket_arn(bucket: str) -> str:
    return f"arn:{PARTITION}:s3:::{bucket}"


def account_root_arn(account: str) -> str:
    return f"arn:{PARTITION}:iam::{account}:root"


LAMBDA_SERVICE_PRINCIPAL = "lambda.amazonaws.com"
ELB_SERVICE_PRINCIPAL = "elasticloadbalancing.amazonaws.com"
VPC_FLOW_LOGS_PRINCIPAL = "vpc-flow-logs.amazonaws.com"

# ALB access-log delivery: regions opened before August 2022 deliver as a regional ELB account;
# newer ones as the log-delivery service principal (Elastic Load Balancing user guide).
ELB_LOG_DELIVERY_ACCOUNTS = {
    "us-east-1": "127311923021",
    "us-east-2": "033677994240",
    "us-west-1": "027434742980",
    "us-west-2": "797873946194",
    "af-south-1": "098369216593",
    "ap-east-1": "754344448648",
    "ap-southeast-3": "589379963580",
    "ap-south-1": "718504428378",
    "ap-northeast-3": "383597477331",
    "ap-northeast-2": "600734575887",
    "ap-southeast-1": "114774131450",
    "ap-southeast-2": "783225319266",
    "ap-northeast-1": "582318560864",
    "ca-central-1": "985666609251",
    "eu-central-1": "054676820928",
    "eu-west-1": "156460612806",
    "eu-west-2": "652711504416",
    "eu-south-1": "635631232127",
    "eu-west-3": "009996457667",
    "eu-north-1": "897822967062",
    "me-south-1": "076674570225",
    "sa-east-1": "507241528517",
}
ELB_LOG_DELIVERY_PRINCIPAL = "logdelivery.elasticloadbalancing.amazonaws.com"


def elb_log_delivery_principal(region: str) -> dict[str, str]:
    account = ELB_LOG_DELIVERY_ACCOUNTS.get(region)
    if account is not None:
        return {"AWS": f"arn:{PARTITION}:iam::{account}:root"}
    return {"Service": ELB_LOG_DELIVERY_PRINCIPAL}


# Regions where accounts get only two usable Availability Zones; elsewhere there are three or more.
TWO_AZ_REGIONS = frozenset({"us-west-1"})

# CloudWatch metric namespaces and names used by alarms and health checks.
ALB_NAMESPACE = "AWS/ApplicationELB"
ALB_HEALTHY_HOSTS = "HealthyHostCount"

# AWS managed WAF rule groups.
WAF_COMMON_RULE_SET = "AWSManagedRulesCommonRuleSet"
WAF_KNOWN_BAD_INPUTS = "AWSManagedRulesKnownBadInputsRuleSet"
# The common rule set blocks request bodies over 8 KB; inference payloads are routinely larger
# (the ALB allows 1 MB), so that one rule only counts.
WAF_BODY_SIZE_RULE = "SizeRestrictions_BODY"
# The managed rules that inspect the request body (AWS WAF developer guide, "Baseline rule
# groups"). An inference payload is arbitrary text: a prompt that quotes code or a file path
# matches them, so they count by default (`waf.body_rules`).
WAF_COMMON_BODY_RULES = (
    "CrossSiteScripting_BODY",
    "GenericLFI_BODY",
    "GenericRFI_BODY",
    "EC2MetaDataSSRF_BODY",
)
WAF_KNOWN_BAD_INPUTS_BODY_RULES = ("JavaDeserializationRCE_BODY", "Log4JRCE_BODY")

# SageMaker endpoint metrics: invocation metrics per variant, instance metrics per variant.
SAGEMAKER_METRICS_NAMESPACE = "AWS/SageMaker"
SAGEMAKER_INSTANCE_NAMESPACE = "/aws/sagemaker/Endpoints"
INVOCATIONS = "Invocations"
INVOCATION_5XX = "Invocation5XXErrors"
INVOCATION_4XX = "Invocation4XXErrors"
MODEL_LATENCY = "ModelLatency"  # microseconds
OVERHEAD_LATENCY = "OverheadLatency"  # microseconds
CPU_UTILIZATION = "CPUUtilization"  # sum over cores: 0 to 100 × vCPUs
MEMORY_UTILIZATION = "MemoryUtilization"
GPU_UTILIZATION = "GPUUtilization"  # sum over GPUs: 0 to 100 × GPUs
# Serverless endpoints: concurrent executions ÷ MaxConcurrency (0 to 1), AWS/SageMaker namespace.
SERVERLESS_CONCURRENCY_UTILIZATION = "ServerlessConcurrentExecutionsUtilization"

ALB_TARGET_5XX = "HTTPCode_Target_5XX_Count"
ALB_REJECTED_CONNECTIONS = "RejectedConnectionCount"
ALB_REQUESTS = "RequestCount"
ALB_ELB_5XX = "HTTPCode_ELB_5XX_Count"

LAMBDA_NAMESPACE = "AWS/Lambda"
LAMBDA_ERRORS = "Errors"
LAMBDA_THROTTLES = "Throttles"

# Metrics the stacks derive from the proxy's JSON log lines (metric filters).
PROXY_NAMESPACE = "InferenceProxy"
PROXY_ENDPOINT_DIMENSION = "Endpoint"
PROXY_RESPONSE_TOO_LARGE = "ResponseTooLarge"

# Route 53 publishes health-check metrics in us-east-1 only, whatever the checked region.
ROUTE53_NAMESPACE = "AWS/Route53"
ROUTE53_METRICS_REGION = "us-east-1"
HEALTH_CHECK_STATUS = "HealthCheckStatus"

CLOUDWATCH_SERVICE_PRINCIPAL = "cloudwatch.amazonaws.com"


def endpoint_dimensions(endpoint_name: str, variant_name: str) -> dict[str, str]:
    return {"EndpointName": endpoint_name, "VariantName": variant_name}
