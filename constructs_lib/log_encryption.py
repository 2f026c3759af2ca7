"""A KMS key that CloudWatch Logs in this region may use for this account's log groups."""

from __future__ import annotations

from dataclasses import dataclass

from constructs import Construct

from constructs_lib import aws_terms
from constructs_lib.policies import rotating_key


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
        self.key = rotating_key(
            self,
            "key",
            alias_id="alias",
            description=f"Encrypts CloudWatch Logs of {props.alias}",
            alias=props.alias,
            account_id=props.account_id,
            service_statements=[
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
                    "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": log_groups}},
                }
            ],
        )
        self.key_arn = self.key.arn
