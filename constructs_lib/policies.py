"""IAM and KMS building blocks every construct uses: trust policies, rotating keys."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from cdktf import TerraformProvider, TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.kms_alias import KmsAlias
from cdktf_cdktf_provider_aws.kms_key import KmsKey
from constructs import Construct

from constructs_lib import aws_terms

KEY_DELETION_WINDOW_DAYS = 30


def policy_document(statements: Sequence[dict[str, Any]]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def service_trust_policy(service_principal: str, account_id: str) -> str:
    """Only `service_principal`, acting for this account (no confused deputy), may assume the role."""
    return policy_document(
        [
            {
                "Effect": "Allow",
                "Principal": {"Service": service_principal},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
            }
        ]
    )


def rotating_key(
    scope: Construct,
    id_: str,
    *,
    description: str,
    alias: str,
    account_id: str,
    service_statements: Sequence[dict[str, Any]] = (),
    prevent_destroy: bool = False,
    provider: TerraformProvider | None = None,
    alias_id: str | None = None,
) -> KmsKey:
    """A KMS key with yearly rotation whose administration stays with the account's IAM policies,
    plus `alias/<alias>`; `service_statements` let AWS services use it."""
    key = KmsKey(
        scope,
        id_,
        provider=provider,
        description=description,
        enable_key_rotation=True,
        deletion_window_in_days=KEY_DELETION_WINDOW_DAYS,
        policy=policy_document(
            [
                {
                    "Sid": "AccountAdministers",
                    "Effect": "Allow",
                    "Principal": {"AWS": aws_terms.account_root_arn(account_id)},
                    "Action": "kms:*",
                    "Resource": "*",
                },
                *service_statements,
            ]
        ),
        lifecycle=TerraformResourceLifecycle(prevent_destroy=True) if prevent_destroy else None,
    )
    KmsAlias(
        scope,
        alias_id or f"{id_}_alias",
        provider=provider,
        name=f"alias/{alias}",
        target_key_id=key.key_id,
    )
    return key
