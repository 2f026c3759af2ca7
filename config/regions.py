"""AWS regions where SageMaker real-time inference is offered, in the commercial `aws` partition,
and that the Terraform AWS provider this project pins (5.100.0) accepts.

The lists are botocore's endpoint data (`runtime.sagemaker`, the service `InvokeEndpoint` calls),
written out here so that checking a file does not load botocore's 1 MB endpoint table (about 0.9 s).
tests/config/test_regions.py keeps them equal to the installed botocore, and to the provider
(one offline `terraform plan` configures the provider in every region).

GovCloud (`aws-us-gov`) and China (`aws-cn`) are separate partitions: their ARNs, accounts and
Route 53 zones do not mix with commercial regions, so a latency-routed service cannot span them.
"""

PARTITION = "aws"
# The service whose endpoints the lists follow: InvokeEndpoint's (botocore `sagemaker-runtime`).
ENDPOINT_SERVICE = "runtime.sagemaker"

# botocore's `runtime.sagemaker` regions in the `aws` partition.
BOTOCORE_SAGEMAKER_REGIONS: frozenset[str] = frozenset(
    {
        "af-south-1",
        "ap-east-1",
        "ap-east-2",
        "ap-northeast-1",
        "ap-northeast-2",
        "ap-northeast-3",
        "ap-south-1",
        "ap-south-2",
        "ap-southeast-1",
        "ap-southeast-2",
        "ap-southeast-3",
        "ap-southeast-4",
        "ap-southeast-5",
        "ap-southeast-6",
        "ap-southeast-7",
        "ca-central-1",
        "ca-west-1",
        "eu-central-1",
        "eu-central-2",
        "eu-north-1",
        "eu-south-1",
        "eu-south-2",
        "eu-west-1",
        "eu-west-2",
        "eu-west-3",
        "il-central-1",
        "me-central-1",
        "me-south-1",
        "mx-central-1",
        "sa-east-1",
        "us-east-1",
        "us-east-2",
        "us-west-1",
        "us-west-2",
    }
)

# Regions botocore knows that provider 5.100.0 refuses when it is configured for them
# ("Error: invalid AWS Region", measured offline): newer than the provider's region table.
PROVIDER_REFUSED_REGIONS: frozenset[str] = frozenset({"ap-southeast-6"})

SAGEMAKER_REGIONS: frozenset[str] = BOTOCORE_SAGEMAKER_REGIONS - PROVIDER_REFUSED_REGIONS

# botocore's `runtime.sagemaker` regions in the other partitions (GovCloud, China, ISO, EUSC).
OTHER_PARTITION_REGIONS: frozenset[str] = frozenset(
    {
        "cn-north-1",
        "cn-northwest-1",
        "eu-isoe-west-1",
        "eusc-de-east-1",
        "us-gov-east-1",
        "us-gov-west-1",
        "us-iso-east-1",
        "us-isob-east-1",
        "us-isof-east-1",
        "us-isof-south-1",
    }
)


def botocore_regions() -> dict[str, frozenset[str]]:
    """{partition: regions} of `runtime.sagemaker` in the installed botocore (slow: ~0.9 s)."""
    from botocore.loaders import Loader

    endpoints = Loader().load_data("endpoints")
    return {
        partition["partition"]: frozenset(
            name
            for name, endpoint in partition["services"]
            .get(ENDPOINT_SERVICE, {})
            .get("endpoints", {})
            .items()
            if "fips" not in name and not endpoint.get("deprecated")
        )
        for partition in endpoints["partitions"]
    }
