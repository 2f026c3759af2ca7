"""The bucket that holds every stack's Terraform state (created once, by the bootstrap stack)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from cdktf import TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.dynamodb_table import (
    DynamodbTable,
    DynamodbTableAttribute,
    DynamodbTablePointInTimeRecovery,
    DynamodbTableServerSideEncryption,
)
from cdktf_cdktf_provider_aws.kms_alias import KmsAlias
from cdktf_cdktf_provider_aws.kms_key import KmsKey
from constructs import Construct

from constructs_lib import aws_terms
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
        self.kms_key = KmsKey(
            self,
            "key",
            description=f"Encrypts Terraform state in {props.bucket_name}",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "AccountAdministers",
                            "Effect": "Allow",
                            "Principal": {"AWS": aws_terms.account_root_arn(props.account_id)},
                            "Action": "kms:*",
                            "Resource": "*",
                        }
                    ],
                }
            ),
            lifecycle=TerraformResourceLifecycle(prevent_destroy=True),
        )
        KmsAlias(
            self, "key_alias", name=f"alias/{props.bucket_name}", target_key_id=self.kms_key.key_id
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
