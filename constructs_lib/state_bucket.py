"""The bucket that holds every stack's Terraform state (created once, by the bootstrap stack)."""

from __future__ import annotations

from dataclasses import dataclass

from cdktf import TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.dynamodb_table import (
    DynamodbTable,
    DynamodbTableAttribute,
    DynamodbTablePointInTimeRecovery,
    DynamodbTableServerSideEncryption,
)
from constructs import Construct

from config.derived_names import state_key_alias
from constructs_lib.policies import rotating_key
from constructs_lib.secure_bucket import SecureBucket, SecureBucketProps


@dataclass(frozen=True)
class StateBucketProps:
    bucket_name: str
    account_id: str
    lock_table_name: str | None = None
    """default: none; state is locked with S3 lock files (Terraform ≥ 1.10)."""


class StateBucket(Construct):
    """Versioned, KMS-encrypted, private, TLS-only state bucket that Terraform will not delete."""

    def __init__(self, scope: Construct, id_: str, props: StateBucketProps) -> None:
        super().__init__(scope, id_)
        self.kms_key = rotating_key(
            self,
            "key",
            description=f"Encrypts Terraform state in {props.bucket_name}",
            # Bucket names may hold dots; KMS alias names may not.
            alias=state_key_alias(props.bucket_name),
            account_id=props.account_id,
            prevent_destroy=True,
        )
        self.bucket = SecureBucket(
            self,
            "state",
            SecureBucketProps(
                bucket_name=props.bucket_name,
                kms_key_arn=self.kms_key.arn,
                prevent_destroy=True,
            ),
        )
        self.lock_table = None
        if props.lock_table_name:
            self.lock_table = DynamodbTable(
                self,
                "lock_table",
                name=props.lock_table_name,
                billing_mode="PAY_PER_REQUEST",
                hash_key="LockID",
                attribute=[DynamodbTableAttribute(name="LockID", type="S")],
                point_in_time_recovery=DynamodbTablePointInTimeRecovery(enabled=True),
                server_side_encryption=DynamodbTableServerSideEncryption(
                    enabled=True, kms_key_arn=self.kms_key.arn
                ),
                deletion_protection_enabled=True,
                lifecycle=TerraformResourceLifecycle(prevent_destroy=True),
            )
