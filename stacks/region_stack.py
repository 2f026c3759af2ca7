"""One region of the service: everything a region needs, and nothing from another region's stack."""

from __future__ import annotations

from cdktf import TerraformOutput, TerraformStack
from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity
from constructs import Construct

from config.models import ServiceConfig
from constructs_lib.endpoint_autoscaling import EndpointAutoscaling, EndpointAutoscalingProps
from constructs_lib.inference_endpoint import InferenceEndpoint, InferenceEndpointProps
from constructs_lib.state_backend import use_s3_backend
from stacks.common import aws_provider


class RegionStack(TerraformStack):
    """`<service>-<env>-<region>`: endpoint and autoscaling, with its own state key."""

    def __init__(self, scope: Construct, config: ServiceConfig, region: str) -> None:
        self.stack_name = config.stack_name(region)
        super().__init__(scope, self.stack_name)
        self.region = region
        use_s3_backend(self, config.state, config.state_key_prefix, self.stack_name)
        aws_provider(self, config, region)
        account = DataAwsCallerIdentity(self, "account")

        self.inference = InferenceEndpoint(
            self,
            "inference",
            InferenceEndpointProps(
                endpoint_name=config.name,
                region=region,
                account_id=account.account_id,
                model=config.model,
                endpoint=config.endpoint,
            ),
        )
        self.autoscaling = EndpointAutoscaling(
            self,
            "autoscaling",
            EndpointAutoscalingProps(
                endpoint_name=self.inference.endpoint_name,
                policy_name_prefix=config.name,
                variant_name=self.inference.variant_name,
                min_instance_count=config.endpoint.min_instance_count,
                max_instance_count=config.endpoint.max_instance_count,
                settings=config.autoscaling,
            ),
        )
        TerraformOutput(self, "endpoint_name", value=self.inference.endpoint_name)
        TerraformOutput(self, "endpoint_arn", value=self.inference.endpoint_arn)
