"""Creates the state bucket the region stacks keep their state in. Its own state stays local."""

from __future__ import annotations

from cdktf import LocalBackend, TerraformOutput, TerraformStack
from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity
from constructs import Construct

from config.models import S3StateSettings, ServiceConfig
from constructs_lib.state_bucket import StateBucket, StateBucketProps
from stacks.common import aws_provider
from stacks.terraform_version import require_terraform


class BootstrapStack(TerraformStack):
    """`bootstrap-<service>-<env>`: run once per account before the first region stack."""

    def __init__(self, scope: Construct, config: ServiceConfig) -> None:
        state = config.state
        if not isinstance(state, S3StateSettings):
            raise ValueError(
                "the bootstrap stack creates an S3 state bucket: state.backend is not s3"
            )
        self.stack_name = config.bootstrap_stack_name
        super().__init__(scope, self.stack_name)
        # The bucket cannot hold the state of the stack that creates it: this state stays on the
        # machine that ran the bootstrap (commit or archive `terraform.<stack>.tfstate`).
        LocalBackend(self, path=f"terraform.{self.stack_name}.tfstate")
        require_terraform(self)
        aws_provider(self, config, state.region)
        account = DataAwsCallerIdentity(self, "account")
        self.state_bucket = StateBucket(
            self,
            "state_bucket",
            StateBucketProps(
                bucket_name=state.bucket,
                account_id=account.account_id,
                lock_table_name=state.dynamodb_table,
            ),
        )
        TerraformOutput(self, "state_bucket_name", value=self.state_bucket.bucket.bucket_name)
