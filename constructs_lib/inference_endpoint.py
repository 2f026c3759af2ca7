"""A SageMaker real-time endpoint that survives the loss of an Availability Zone and a bad change."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cdktf import (
    ITerraformDependable,
    Op,
    Postcondition,
    TerraformResource,
    TerraformResourceLifecycle,
    TerraformSelf,
)
from cdktf_cdktf_provider_aws.data_aws_kms_key import DataAwsKmsKey
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.sagemaker_endpoint import (
    SagemakerEndpoint,
    SagemakerEndpointDeploymentConfig,
    SagemakerEndpointDeploymentConfigAutoRollbackConfiguration,
    SagemakerEndpointDeploymentConfigAutoRollbackConfigurationAlarms,
    SagemakerEndpointDeploymentConfigBlueGreenUpdatePolicy,
    SagemakerEndpointDeploymentConfigBlueGreenUpdatePolicyTrafficRoutingConfiguration,
    SagemakerEndpointDeploymentConfigBlueGreenUpdatePolicyTrafficRoutingConfigurationCanarySize,
    SagemakerEndpointDeploymentConfigBlueGreenUpdatePolicyTrafficRoutingConfigurationLinearStepSize,
)
from cdktf_cdktf_provider_aws.sagemaker_endpoint_configuration import (
    SagemakerEndpointConfiguration,
    SagemakerEndpointConfigurationDataCaptureConfig,
    SagemakerEndpointConfigurationDataCaptureConfigCaptureContentTypeHeader,
    SagemakerEndpointConfigurationDataCaptureConfigCaptureOptions,
    SagemakerEndpointConfigurationProductionVariants,
    SagemakerEndpointConfigurationProductionVariantsRoutingConfig,
    SagemakerEndpointConfigurationProductionVariantsServerlessConfig,
    SagemakerEndpointConfigurationShadowProductionVariants,
    SagemakerEndpointConfigurationShadowProductionVariantsRoutingConfig,
)
from cdktf_cdktf_provider_aws.sagemaker_model import (
    SagemakerModel,
    SagemakerModelPrimaryContainer,
)
from constructs import Construct

from config.models import (
    ECR_IMAGE_PATTERN,
    ROUTING_STRATEGIES,
    S3_URL_PATTERN,
    DataCaptureSettings,
    RolloutSettings,
    ServerlessSettings,
    ServingVariant,
)
from config.names import ResourceNames
from constructs_lib import aws_terms
from constructs_lib.policies import policy_document, rotating_key, service_trust_policy
from constructs_lib.secure_bucket import SecureBucket, SecureBucketProps, release_secure_bucket
from constructs_lib.state_release import addresses_at, path_below_stack, release_from_state

TRAFFIC_ROUTING_TYPES = {"canary": "CANARY", "linear": "LINEAR", "all_at_once": "ALL_AT_ONCE"}


@dataclass(frozen=True)
class InferenceEndpointProps:
    endpoint_name: str
    names: ResourceNames
    """Every AWS-visible name of the stack (config.names)."""
    """Name of the endpoint; the same in every region (endpoint names are regional)."""
    region: str
    account_id: str
    """Account of the stack, usually a `aws_caller_identity` token."""
    variants: tuple[ServingVariant, ...]
    """Production variants, the `endpoint` block's first, then at most one shadow variant."""
    rollout: RolloutSettings
    rollback_alarm_names: tuple[str, ...]
    """Alarms a rollout watches (1-10, SageMaker's limit); plain names, the same whether
    auto-rollback is armed or not (see EndpointAlarms)."""
    rollback_alarm_arns: tuple[str, ...]
    """The same alarms' ARNs: the execution role may read exactly these (DescribeAlarms)."""
    data_capture: DataCaptureSettings
    capture_enabled: bool = False
    """default: off. On when `data_capture.enabled`, and always with a shadow variant."""
    serverless: ServerlessSettings | None = None
    """default: instances. The first variant's serverless settings."""
    retired: bool = False
    """default: false. True while the region is being removed: the capture bucket and the key
    that encrypts it are released from state (kept in AWS with the data), so destroying the stack
    leaves them; the endpoint keeps running unchanged until then."""


class InferenceEndpoint(Construct):
    """Model, endpoint configuration and endpoint, with storage encrypted by a rotating KMS key.

    Guarantees: the container runs network-isolated unless configured otherwise; a change to the
    model or the variant creates a new model and endpoint configuration before the old ones are
    deleted, so the live endpoint is never left pointing at a deleted configuration.
    """

    def __init__(self, scope: Construct, id_: str, props: InferenceEndpointProps) -> None:
        super().__init__(scope, id_)
        region = props.region
        self.image_uris = {
            v.name: v.model.image_uri.replace("{region}", region) for v in props.variants
        }
        self.model_data_urls = {
            v.name: v.model.model_data_url.replace("{region}", region)
            for v in props.variants
            if v.model.model_data_url
        }

        self.kms_key_arn = self._storage_key_arn(props)
        # Bucket names are global: account and region keep every stack's bucket unique.
        self.capture_bucket_name = props.names.data_capture_bucket(props.account_id)
        self.capture_bucket = self._capture_bucket(props)
        self.capturing = props.capture_enabled
        needs_role = [v for v in props.variants if v.model.execution_role_arn is None]
        created_role = self._create_execution_role(props, needs_role) if needs_role else None

        self.models = self._models(props, created_role)
        primary = props.variants[0]
        self.model = self.models[primary.name]
        self.variant_name = primary.name
        self.execution_role_arn = primary.model.execution_role_arn or created_role
        self.endpoint_configuration = self._endpoint_configuration(props)

        self.endpoint = SagemakerEndpoint(
            self,
            "endpoint",
            name=props.names.endpoint,
            endpoint_config_name=self.endpoint_configuration.name,
            deployment_config=self._deployment_config(props),
            depends_on=self._capture_ordering,
            lifecycle=TerraformResourceLifecycle(
                postcondition=[self._rolled_out(props, self.endpoint_configuration.name)]
            ),
        )
        self.endpoint_name = self.endpoint.name
        self.endpoint_arn = self.endpoint.arn

    def _models(
        self, props: InferenceEndpointProps, created_role: str | None
    ) -> dict[str, SagemakerModel]:
        """One model per variant, named by its content (a new image, artifact or environment is a
        new model, created before the old one is removed)."""
        models: dict[str, SagemakerModel] = {}
        for variant in props.variants:
            model = variant.model
            role = model.execution_role_arn or created_role
            assert role is not None  # created when a variant names none
            models[variant.name] = SagemakerModel(
                self,
                # The first variant keeps the address one-variant stacks have always had.
                "model" if variant.primary else f"model_{variant.name}",
                # A content-derived name: a new image, artifact or environment is a new model,
                # created before the old one is removed (see create_before_destroy below).
                name=props.names.model(variant.model_fingerprint()),
                execution_role_arn=role,
                enable_network_isolation=model.network_isolation,
                primary_container=SagemakerModelPrimaryContainer(
                    image=self.image_uris[variant.name],
                    model_data_url=self.model_data_urls.get(variant.name),
                    environment=dict(model.environment) or None,
                ),
                lifecycle=TerraformResourceLifecycle(create_before_destroy=True),
            )
        return models

    def _endpoint_configuration(
        self, props: InferenceEndpointProps
    ) -> SagemakerEndpointConfiguration:
        """The production variants (instances or serverless), the shadow ones, data capture."""
        production = [v for v in props.variants if not v.shadow]
        shadows = [v for v in props.variants if v.shadow]
        return SagemakerEndpointConfiguration(
            self,
            "endpoint_configuration",
            # Endpoint configurations are immutable and referenced by name: a new one (new
            # generated name) must exist before the endpoint switches to it and the old one goes.
            name_prefix=props.names.endpoint_configuration_prefix,
            kms_key_arn=self.kms_key_arn if props.serverless is None else None,
            production_variants=[
                SagemakerEndpointConfigurationProductionVariants(
                    **self._variant_settings(v, props.serverless),
                    routing_config=self._routing(v, shadow=False),
                    serverless_config=(
                        SagemakerEndpointConfigurationProductionVariantsServerlessConfig(
                            memory_size_in_mb=props.serverless.memory_mb,
                            max_concurrency=props.serverless.max_concurrency,
                            provisioned_concurrency=props.serverless.provisioned_concurrency,
                        )
                        if props.serverless is not None
                        else None
                    ),
                )
                for v in production
            ],
            shadow_production_variants=[
                SagemakerEndpointConfigurationShadowProductionVariants(
                    **self._variant_settings(v, None), routing_config=self._routing(v, shadow=True)
                )
                for v in shadows
            ]
            or None,
            data_capture_config=self._data_capture_config(props.data_capture),
            lifecycle=TerraformResourceLifecycle(create_before_destroy=True),
        )

    def _variant_settings(
        self, variant: ServingVariant, serverless: ServerlessSettings | None
    ) -> dict[str, Any]:
        """What production and shadow variants share: model, weight, instances, start-up."""
        settings: dict[str, Any] = {
            "variant_name": variant.name,
            "model_name": self.models[variant.name].name,
            "initial_variant_weight": variant.weight,
        }
        fleet = variant.fleet
        if serverless is None and fleet is not None:
            settings.update(
                instance_type=fleet.instance_type,
                # Every new fleet starts at the most autoscaling may reach: provider 5.100
                # sends UpdateEndpoint without RetainAllVariantProperties, so the new fleet
                # takes this count whatever the live one is.
                initial_instance_count=fleet.initial_instances,
                volume_size_in_gb=fleet.volume_size_gb,
                container_startup_health_check_timeout_in_seconds=fleet.startup_timeout_s,
                model_data_download_timeout_in_seconds=fleet.download_timeout_s,
                inference_ami_version=fleet.inference_ami_version,
            )
        return settings

    @staticmethod
    def _routing(variant: ServingVariant, *, shadow: bool) -> list[Any] | None:
        if variant.fleet is None:
            return None  # serverless: SageMaker routes to its own containers
        strategy = ROUTING_STRATEGIES[variant.fleet.routing_strategy]
        if shadow:
            return [
                SagemakerEndpointConfigurationShadowProductionVariantsRoutingConfig(
                    routing_strategy=strategy
                )
            ]
        return [
            SagemakerEndpointConfigurationProductionVariantsRoutingConfig(routing_strategy=strategy)
        ]

    @staticmethod
    def _rolled_out(props: InferenceEndpointProps, planned_config_name: str) -> Postcondition:
        """Fails the apply when the endpoint does not run the planned configuration after it.

        SageMaker rolls a blue/green update back (a rollback alarm fired, or the new fleet failed)
        by returning the endpoint to InService on the old configuration; provider 5.100 waits only
        for InService, so without this check the apply is green. Failing here also stops
        Terraform before it deletes the old configuration and model (create_before_destroy keeps
        them as deposed objects until a later apply succeeds), and the endpoint's state holds
        the configuration it runs, so the next plan shows the rollout again.
        """
        name, region = props.endpoint_name, props.region
        describe = (
            f"aws sagemaker describe-endpoint --region {region} --endpoint-name {name} "
            "--query FailureReason"
        )
        return Postcondition(
            condition=Op.eq(TerraformSelf.get_string("endpoint_config_name"), planned_config_name),
            error_message=(
                f"The rollout of SageMaker endpoint {name} in {region} did not complete: the "
                "endpoint runs endpoint configuration ${self.endpoint_config_name}, not "
                f"{planned_config_name}. SageMaker rolled it back (a rollback alarm fired or "
                f"the new fleet failed); its reason: `{describe}`. The running configuration "
                "and its model are kept. Fix the cause, then re-run the apply: it retries the "
                "rollout, and registers the variant's autoscaling again if this change had "
                "deregistered it (instance type, variant or scaling range)."
            ),
        )

    @staticmethod
    def _deployment_config(props: InferenceEndpointProps) -> SagemakerEndpointDeploymentConfig:
        """Blue/green: the new fleet takes traffic in steps while the rollback alarms are watched;
        the old fleet stays up for `termination_wait_s` so a rollback is instant."""
        rollout = props.rollout
        routing = SagemakerEndpointDeploymentConfigBlueGreenUpdatePolicyTrafficRoutingConfiguration(
            type=TRAFFIC_ROUTING_TYPES[rollout.strategy],
            wait_interval_in_seconds=rollout.wait_s,
            canary_size=(
                SagemakerEndpointDeploymentConfigBlueGreenUpdatePolicyTrafficRoutingConfigurationCanarySize(
                    type="CAPACITY_PERCENT", value=rollout.canary_size_percent
                )
                if rollout.strategy == "canary"
                else None
            ),
            linear_step_size=(
                SagemakerEndpointDeploymentConfigBlueGreenUpdatePolicyTrafficRoutingConfigurationLinearStepSize(
                    type="CAPACITY_PERCENT", value=rollout.linear_step_percent
                )
                if rollout.strategy == "linear"
                else None
            ),
        )
        # Always the same alarm names, whatever `auto_rollback` says: provider 5.100 replaces the
        # endpoint when this block changes, and the endpoint's name is fixed, so a replacement
        # is an outage. `auto_rollback: false` disarms the alarms instead (alarms.py).
        rollback = SagemakerEndpointDeploymentConfigAutoRollbackConfiguration(
            alarms=[
                SagemakerEndpointDeploymentConfigAutoRollbackConfigurationAlarms(alarm_name=n)
                for n in props.rollback_alarm_names
            ]
        )
        return SagemakerEndpointDeploymentConfig(
            blue_green_update_policy=SagemakerEndpointDeploymentConfigBlueGreenUpdatePolicy(
                traffic_routing_configuration=routing,
                maximum_execution_timeout_in_seconds=rollout.maximum_execution_timeout_s,
                termination_wait_in_seconds=rollout.termination_wait_s,
            ),
            auto_rollback_configuration=rollback,
        )

    def _storage_key_arn(self, props: InferenceEndpointProps) -> str:
        """The key of the storage volumes and captured data. In a retired region it decrypts
        captured data kept in S3: released from state with the bucket, and looked up by its
        alias (released too) so nothing that names it changes before the destroy."""
        alias = props.names.endpoint_key_alias
        if props.retired:
            release_from_state(
                self, addresses_at((*path_below_stack(self), "storage_key"), _scratch_key)
            )
            released: str = DataAwsKmsKey(self, "released_storage_key", key_id=f"alias/{alias}").arn
            return released
        key: str = rotating_key(
            self,
            "storage_key",
            description=(
                f"Encrypts the ML storage volumes of SageMaker endpoint {props.endpoint_name}"
            ),
            alias=alias,
            account_id=props.account_id,
        ).arn
        return key

    def _capture_bucket(self, props: InferenceEndpointProps) -> SecureBucket | None:
        """The capture bucket while data capture is on in a served region. Otherwise it is
        released from state, never deleted: captured data outlives the change that stops
        capturing (a shadow promoted, capture turned off, the region retired)."""
        if not props.capture_enabled or props.retired:
            release_secure_bucket(self, "capture")
            return None
        capture = props.data_capture
        return SecureBucket(
            self,
            "capture",
            SecureBucketProps(
                bucket_name=self.capture_bucket_name,
                kms_key_arn=self.kms_key_arn,
                prevent_destroy=capture.keep_bucket_on_destroy,
                expire_after_days=capture.retention_days,
            ),
        )

    @property
    def _capture_destination(self) -> tuple[str, str]:
        """Bucket name and ARN, spelled out from the derived name, never the bucket's attributes.

        The bucket can be released from state (a shadow promoted, capture turned off, the region
        retired) in the same apply that replaces the endpoint configuration. Terraform orders a
        released (`forget`) resource like a deleted one: after every resource that depends on it,
        deposed ones included; a create_before_destroy configuration that depended on the bucket
        makes that a cycle ("Error: Cycle: ... (destroy deposed ...), ... (forget)"), measured
        with Terraform 1.11.4. So the configuration names the bucket, and the endpoint, which is
        not replaced, waits for the bucket instead (`_capture_ordering`).
        """
        return self.capture_bucket_name, aws_terms.s3_bucket_arn(self.capture_bucket_name)

    @property
    def _capture_ordering(self) -> list[ITerraformDependable] | None:
        """While the bucket is managed, the endpoint starts capturing only once the bucket and
        every setting on it (encryption, TLS-only policy, ...) exist."""
        if self.capture_bucket is None:
            return None
        return list(self.capture_bucket.resources)

    def _data_capture_config(
        self, capture: DataCaptureSettings
    ) -> SagemakerEndpointConfigurationDataCaptureConfig | None:
        if not self.capturing:
            return None
        modes = [
            m
            for m, on in (("Input", capture.capture_input), ("Output", capture.capture_output))
            if on
        ]
        return SagemakerEndpointConfigurationDataCaptureConfig(
            enable_capture=True,
            initial_sampling_percentage=capture.sampling_percent,
            destination_s3_uri=f"s3://{self._capture_destination[0]}/captured",
            kms_key_id=self.kms_key_arn,
            capture_options=[
                SagemakerEndpointConfigurationDataCaptureConfigCaptureOptions(capture_mode=m)
                for m in modes
            ],
            capture_content_type_header=(
                SagemakerEndpointConfigurationDataCaptureConfigCaptureContentTypeHeader(
                    json_content_types=list(capture.json_content_types) or None,
                    csv_content_types=list(capture.csv_content_types) or None,
                )
            ),
        )

    @staticmethod
    def _one_or_many(values: list[str]) -> str | list[str]:
        unique = list(dict.fromkeys(values))
        return unique[0] if len(unique) == 1 else unique

    def _create_execution_role(
        self, props: InferenceEndpointProps, variants: list[ServingVariant]
    ) -> str:
        """A role that may pull these variants' images, read their artifacts and write this
        endpoint's logs."""
        name = props.endpoint_name
        account = props.account_id
        repositories, artifacts = self._images_and_artifacts(props, variants)
        statements = [
            *self._base_statements(props, repositories),
            *self._optional_statements(props, artifacts),
        ]
        role = IamRole(
            self,
            "execution_role",
            # IAM is global: the region keeps the stacks' roles apart.
            name=props.names.sagemaker_role,
            description=f"SageMaker execution role of endpoint {name} in {props.region}",
            assume_role_policy=service_trust_policy(aws_terms.SAGEMAKER_SERVICE_PRINCIPAL, account),
        )
        IamRolePolicy(
            self,
            "execution_role_policy",
            name="least-privilege",
            role=role.id,
            policy=policy_document(statements),
        )
        arn: str = role.arn
        return arn

    def _images_and_artifacts(
        self, props: InferenceEndpointProps, variants: list[ServingVariant]
    ) -> tuple[list[str], list[str]]:
        """The ECR repositories of the variants' images, and the S3 objects of their artifacts."""
        repositories = []
        for variant in variants:
            image = ECR_IMAGE_PATTERN.match(self.image_uris[variant.name])
            assert image is not None  # validated by the config model
            repositories.append(
                aws_terms.arn(
                    "ecr",
                    props.region,
                    image.group("account"),
                    f"repository/{image.group('repository')}",
                )
            )
        artifacts = []
        for variant in variants:
            url = self.model_data_urls.get(variant.name)
            if url:
                artifact = S3_URL_PATTERN.match(url)
                assert artifact is not None
                artifacts.append(
                    aws_terms.s3_object_arn(artifact.group("bucket"), artifact.group("key"))
                )
        return repositories, artifacts

    def _base_statements(
        self, props: InferenceEndpointProps, repositories: list[str]
    ) -> list[dict[str, object]]:
        """ECR login and pull, the endpoint's logs and metrics: what every endpoint needs."""
        name = props.endpoint_name
        account = props.account_id
        statements: list[dict[str, object]] = [
            {
                "Sid": "EcrLogin",
                "Effect": "Allow",
                "Action": "ecr:GetAuthorizationToken",
                "Resource": "*",  # GetAuthorizationToken has no resource-level permissions
            },
            {
                "Sid": "PullImage",
                "Effect": "Allow",
                "Action": [
                    "ecr:BatchCheckLayerAvailability",
                    "ecr:BatchGetImage",
                    "ecr:GetDownloadUrlForLayer",
                ],
                "Resource": self._one_or_many(repositories),
            },
            {
                "Sid": "WriteEndpointLogs",
                "Effect": "Allow",
                "Action": [
                    "logs:CreateLogGroup",
                    "logs:CreateLogStream",
                    "logs:DescribeLogStreams",
                    "logs:PutLogEvents",
                ],
                "Resource": aws_terms.arn(
                    "logs", props.region, account, f"log-group:/aws/sagemaker/Endpoints/{name}:*"
                ),
            },
            {
                "Sid": "PublishEndpointMetrics",
                "Effect": "Allow",
                "Action": "cloudwatch:PutMetricData",
                "Resource": "*",  # PutMetricData has no resource-level permissions
                "Condition": {"StringLike": {"cloudwatch:namespace": "/aws/sagemaker/*"}},
            },
        ]
        return statements

    def _optional_statements(
        self, props: InferenceEndpointProps, artifacts: list[str]
    ) -> list[dict[str, object]]:
        """The rollback alarms it reads, the artifacts it reads, the captured data it writes."""
        statements: list[dict[str, object]] = []
        if props.rollback_alarm_arns:
            # Deployment guardrails: the execution role needs cloudwatch:DescribeAlarms on the
            # auto-rollback alarms it names (SageMaker developer guide, "Auto-Rollback
            # Configuration and Monitoring").
            statements.append(
                {
                    "Sid": "ReadRollbackAlarms",
                    "Effect": "Allow",
                    "Action": "cloudwatch:DescribeAlarms",
                    "Resource": list(props.rollback_alarm_arns),
                }
            )
        if artifacts:
            statements.append(
                {
                    "Sid": "ReadModelArtifact",
                    "Effect": "Allow",
                    "Action": "s3:GetObject",
                    "Resource": self._one_or_many(artifacts),
                }
            )
        if self.capturing:
            statements.append(
                {
                    "Sid": "WriteCapturedData",
                    "Effect": "Allow",
                    "Action": "s3:PutObject",
                    "Resource": f"{self._capture_destination[1]}/captured/*",
                }
            )
            statements.append(
                {
                    "Sid": "EncryptCapturedData",
                    "Effect": "Allow",
                    "Action": ["kms:GenerateDataKey", "kms:Encrypt"],
                    "Resource": self.kms_key_arn,
                }
            )
        return statements


def _scratch_key(scope: Construct, id_: str) -> tuple[TerraformResource, ...]:
    """The storage key and its alias, as `rotating_key` creates them (for their addresses)."""
    key = rotating_key(scope, id_, description="scratch", alias="scratch", account_id="0")
    alias = scope.node.find_child(f"{id_}_alias")
    assert isinstance(alias, TerraformResource)
    return key, alias
