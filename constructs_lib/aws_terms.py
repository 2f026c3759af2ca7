"""AWS names, metric names, dimensions and ARN formats, written once."""

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
