"""An S3 bucket with the production defaults: private, versioned, encrypted, TLS only."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from cdktf import TerraformResource, TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
from cdktf_cdktf_provider_aws.s3_bucket_lifecycle_configuration import (
    S3BucketLifecycleConfiguration,
    S3BucketLifecycleConfigurationRule,
    S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload,
    S3BucketLifecycleConfigurationRuleExpiration,
    S3BucketLifecycleConfigurationRuleFilter,
    S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration,
)
from cdktf_cdktf_provider_aws.s3_bucket_ownership_controls import (
    S3BucketOwnershipControls,
    S3BucketOwnershipControlsRule,
)
from cdktf_cdktf_provider_aws.s3_bucket_policy import S3BucketPolicy
from cdktf_cdktf_provider_aws.s3_bucket_public_access_block import S3BucketPublicAccessBlock
from cdktf_cdktf_provider_aws.s3_bucket_server_side_encryption_configuration import (
    S3BucketServerSideEncryptionConfigurationA,
    S3BucketServerSideEncryptionConfigurationRuleA,
    S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA,
)
from cdktf_cdktf_provider_aws.s3_bucket_versioning import (
    S3BucketVersioningA,
    S3BucketVersioningVersioningConfiguration,
)
from constructs import Construct

from constructs_lib.policies import policy_document
from constructs_lib.state_release import addresses_at, path_below_stack, release_from_state


@dataclass(frozen=True)
class SecureBucketProps:
    bucket_name: str
    kms_key_arn: str | None = None
    """default: SSE-S3 (AES256), which is what ELB access-log delivery requires."""
    prevent_destroy: bool = True
    """default: on; Terraform refuses a plan that would delete the bucket."""
    force_destroy: bool = False
    """default: off; on deletes the objects with the bucket (throw-away environments only)."""
    expire_after_days: int | None = None
    """default: objects are kept; noncurrent versions always expire after 90 days."""
    extra_policy_statements: Sequence[dict[str, object]] = field(default_factory=tuple)
    """Statements added to the bucket policy beside the TLS-only deny."""


class SecureBucket(Construct):
    """Public access blocked, owner-enforced, versioned, encrypted, TLS-only bucket policy."""

    def __init__(self, scope: Construct, id_: str, props: SecureBucketProps) -> None:
        super().__init__(scope, id_)
        self.bucket = S3Bucket(
            self,
            "bucket",
            bucket=props.bucket_name,
            force_destroy=props.force_destroy or None,
            lifecycle=TerraformResourceLifecycle(prevent_destroy=props.prevent_destroy),
        )
        self.bucket_name = self.bucket.bucket
        self.bucket_arn = self.bucket.arn

        S3BucketPublicAccessBlock(
            self,
            "public_access_block",
            bucket=self.bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
        )
        S3BucketOwnershipControls(
            self,
            "ownership",
            bucket=self.bucket.id,
            rule=S3BucketOwnershipControlsRule(object_ownership="BucketOwnerEnforced"),
        )
        S3BucketVersioningA(
            self,
            "versioning",
            bucket=self.bucket.id,
            versioning_configuration=S3BucketVersioningVersioningConfiguration(status="Enabled"),
        )
        self._encryption(props)
        self._lifecycle(props)
        self.policy = S3BucketPolicy(
            self,
            "policy",
            bucket=self.bucket.id,
            policy=policy_document(
                [
                    {
                        "Sid": "DenyInsecureTransport",
                        "Effect": "Deny",
                        "Principal": "*",
                        "Action": "s3:*",
                        "Resource": [self.bucket.arn, f"{self.bucket.arn}/*"],
                        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                    },
                    *props.extra_policy_statements,
                ]
            ),
        )

    def _encryption(self, props: SecureBucketProps) -> None:
        """SSE-KMS with a bucket key when a key is given, else SSE-S3."""
        S3BucketServerSideEncryptionConfigurationA(
            self,
            "encryption",
            bucket=self.bucket.id,
            rule=[
                S3BucketServerSideEncryptionConfigurationRuleA(
                    apply_server_side_encryption_by_default=(
                        S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA(
                            sse_algorithm="aws:kms" if props.kms_key_arn else "AES256",
                            kms_master_key_id=props.kms_key_arn,
                        )
                    ),
                    bucket_key_enabled=True if props.kms_key_arn else None,
                )
            ],
        )

    def _lifecycle(self, props: SecureBucketProps) -> None:
        """Noncurrent versions after 90 days, incomplete uploads after 7, and current objects
        after `expire_after_days` when set."""
        S3BucketLifecycleConfiguration(
            self,
            "lifecycle",
            bucket=self.bucket.id,
            rule=[
                S3BucketLifecycleConfigurationRule(
                    id="expire-old-versions-and-uploads",
                    status="Enabled",
                    filter=[S3BucketLifecycleConfigurationRuleFilter(prefix="")],
                    noncurrent_version_expiration=[
                        S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration(
                            noncurrent_days=90
                        )
                    ],
                    abort_incomplete_multipart_upload=[
                        S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload(
                            days_after_initiation=7
                        )
                    ],
                    expiration=[
                        S3BucketLifecycleConfigurationRuleExpiration(days=props.expire_after_days)
                    ]
                    if props.expire_after_days
                    else None,
                )
            ],
        )

    @property
    def resources(self) -> tuple[TerraformResource, ...]:
        """The bucket and every setting on it: what `release_secure_bucket` releases."""
        return tuple(c for c in self.node.children if isinstance(c, TerraformResource))


def _scratch_bucket(scope: Construct, id_: str) -> tuple[TerraformResource, ...]:
    return SecureBucket(scope, id_, SecureBucketProps(bucket_name="scratch")).resources


def release_secure_bucket(scope: Construct, id_: str) -> list[str]:
    """Release the SecureBucket `scope` has, or had, as `id_` from state: the bucket and its
    policy, encryption, versioning, lifecycle, ownership and public access block stay in S3 as
    they were (private, encrypted, TLS-only, expiring), with every object. Returns the addresses.
    """
    addresses = addresses_at((*path_below_stack(scope), id_), _scratch_bucket)
    release_from_state(scope, addresses)
    return addresses
