"""Where Terraform keeps state: an S3 bucket or Terraform Cloud."""

from __future__ import annotations

from typing import Literal

from pydantic import (
    Field,
)

from config.base import Region, Strict


class S3StateSettings(Strict):
    """Terraform state in S3, encrypted, with S3-native locking (Terraform ≥ 1.10)."""

    backend: Literal["s3"] = Field(description="`s3`.")
    bucket: str = Field(
        pattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$",
        description="State bucket (created by the bootstrap stack).",
    )
    region: Region = Field(description="Region of the state bucket.")
    key_prefix: str = Field(
        default="",
        pattern=r"^([A-Za-z0-9!_.*'()-]+(/[A-Za-z0-9!_.*'()-]+)*)?$",
        description=(
            "Prefix of the state keys; each stack writes `<key_prefix>/<stack>.tfstate`. "
            "Default: `<service>/<environment>`."
        ),
    )
    kms_key_id: str | None = Field(
        default=None,
        description="KMS key for state objects. Default: the bucket's default encryption.",
    )
    dynamodb_table: str | None = Field(
        default=None,
        pattern=r"^[a-zA-Z0-9_.-]{3,255}$",
        description=(
            "Legacy DynamoDB lock table, kept beside S3-native locking during a migration. "
            "Default: none (S3 lock files only)."
        ),
    )


class CloudStateSettings(Strict):
    """Terraform state and runs in Terraform Cloud (or Terraform Enterprise)."""

    backend: Literal["cloud"] = Field(description="`cloud`.")
    organization: str = Field(
        pattern=r"^[A-Za-z0-9_-]{1,90}$", description="Terraform Cloud organization."
    )
    hostname: str = Field(
        default="app.terraform.io",
        description="Terraform Cloud or Enterprise host. Default: `app.terraform.io`.",
    )
    workspace_prefix: str = Field(
        default="",
        pattern=r"^[A-Za-z0-9_-]*$",
        description=(
            "Each region stack uses the workspace `<workspace_prefix><stack name>`. "
            "Default: no prefix."
        ),
    )
    project: str | None = Field(
        default=None, description="Terraform Cloud project of the workspaces. Default: none."
    )
