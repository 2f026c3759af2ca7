"""A KMS key that CloudWatch Logs in this region may use for this account's log groups."""

from __future__ import annotations

import json
from dataclasses import dataclass

from cdktf_cdktf_provider_aws.kms_alias import KmsAlias
from cdktf_cdktf_provider_aws.kms_key import KmsKey
from constructs import Construct

from constructs_lib import aws_terms


@dataclass(frozen=True)
class LogEncryptionKeyProps:
    alias: str
    region: str
    account_id: str


class LogEncryptionKey(Construct):
    """Rotating key; CloudWatch Logs may use it only for log groups of this account and region."""

    def __init__(self, scope: Construct, id_: str, props: LogEncryptionKeyProps) -> None:
        super().__init__(scope, id_)
        log_groups = aws_terms.arn("logs", props.region, props.account_id, "log-group:*")
        self.key = KmsKey(
            self,
            "key",
            description=f"Encrypts CloudWatch Logs of {props.alias}",
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
                        },
                        {
                            "Sid": "CloudWatchLogsEncrypts",
                            "Effect": "Allow",
                            "Principal": {"Service": f"logs.{props.region}.amazonaws.com"},
                            "Action": [
                                "kms:Encrypt*",
                                "kms:Decrypt*",
                                "kms:ReEncrypt*",
                                "kms:GenerateDataKey*",
                                "kms:Describe*",
                            ],
                            "Resource": "*",
                            "Condition": {
                                "ArnLike": {"kms:EncryptionContext:aws:logs:arn": log_groups}
                            },
                        },
                    ],
                }
            ),
        )
        KmsAlias(self, "alias", name=f"alias/{props.alias}", target_key_id=self.key.key_id)
        self.key_arn = self.key.arn
