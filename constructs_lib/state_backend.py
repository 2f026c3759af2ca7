"""Where a stack keeps its Terraform state: S3 (encrypted, locked) or Terraform Cloud."""

from __future__ import annotations

from cdktf import CloudBackend, NamedCloudWorkspace, S3Backend, TerraformBackend, TerraformStack

from config.models import CloudStateSettings, S3StateSettings

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


def workspace_name(settings: CloudStateSettings, stack_name: str) -> str:
    return f"{settings.workspace_prefix}{stack_name}"


def use_cloud_backend(
    stack: TerraformStack, settings: CloudStateSettings, stack_name: str
) -> CloudBackend:
    """One Terraform Cloud workspace per stack, so each region plans and applies on its own."""
    return CloudBackend(
        stack,
        organization=settings.organization,
        hostname=settings.hostname,
        workspaces=NamedCloudWorkspace(workspace_name(settings, stack_name), settings.project),
    )


def use_backend(
    stack: TerraformStack,
    settings: S3StateSettings | CloudStateSettings,
    key_prefix: str,
    stack_name: str,
) -> TerraformBackend:
    if isinstance(settings, CloudStateSettings):
        return use_cloud_backend(stack, settings, stack_name)
    return use_s3_backend(stack, settings, key_prefix, stack_name)
