"""Where a stack keeps its Terraform state."""

from __future__ import annotations

from cdktf import S3Backend, TerraformStack

from config.models import S3StateSettings

# S3-native state locking: Terraform ≥ 1.10 reads `use_lockfile`; cdktf 0.21's S3Backend has no
# such prop, so it is written through an override.
USE_LOCKFILE_OVERRIDE = "terraform.backend.s3.use_lockfile"


def state_key(key_prefix: str, stack_name: str) -> str:
    return f"{key_prefix}/{stack_name}.tfstate"


def use_s3_backend(
    stack: TerraformStack, settings: S3StateSettings, key_prefix: str, stack_name: str
) -> S3Backend:
    """Encrypted state, one key per stack, locked with an S3 lock file (and DynamoDB if set)."""
    backend = S3Backend(
        stack,
        bucket=settings.bucket,
        key=state_key(key_prefix, stack_name),
        region=settings.region,
        encrypt=True,
        kms_key_id=settings.kms_key_id,
        dynamodb_table=settings.dynamodb_table,
    )
    stack.add_override(USE_LOCKFILE_OVERRIDE, True)
    return backend
