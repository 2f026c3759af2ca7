"""The way in: domain, network, load balancer, proxy, web ACL, who may call."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from config.base import HOSTNAME_PATTERN, Region, Strict, _check_cidrs


class DomainSettings(Strict):
    """Public DNS of the service (used by the traffic layer)."""

    hosted_zone_name: str = Field(
        description="Existing Route 53 hosted zone, e.g. `example.com`.",
    )
    record_name: str = Field(
        description=(
            "Service name inside the zone, e.g. `api.example.com`; each region is also "
            "reachable as `<region>.<record_name>`."
        ),
    )

    @field_validator("hosted_zone_name", "record_name")
    @classmethod
    def _hostname(cls, value: str) -> str:
        value = value.rstrip(".").lower()
        if not HOSTNAME_PATTERN.match(value):
            raise ValueError(f"'{value}' is not a DNS name such as api.example.com")
        return value

    @field_validator("record_name")
    @classmethod
    def _record_in_zone(cls, value: str, info: ValidationInfo) -> str:
        zone = info.data.get("hosted_zone_name")
        if zone and not value.endswith("." + zone):
            raise ValueError(
                f"'{value}' is not inside hosted zone '{zone}'; use a name ending in .{zone}"
            )
        return value


class ExistingNetwork(Strict):
    """A VPC and subnets that already exist in one region."""

    vpc_id: str = Field(pattern=r"^vpc-[0-9a-f]{8,17}$", description="VPC ID.")
    public_subnet_ids: list[Annotated[str, Field(pattern=r"^subnet-[0-9a-f]{8,17}$")]] = Field(
        min_length=2,
        description="Subnets in two or more Availability Zones for an internet-facing ALB.",
    )
    private_subnet_ids: list[Annotated[str, Field(pattern=r"^subnet-[0-9a-f]{8,17}$")]] = Field(
        min_length=2,
        description="Subnets in two or more Availability Zones for an internal ALB.",
    )


# A created VPC is cut into 2**SUBNET_SLOTS_BITS equal subnets (constructs_lib/network.py).
SUBNET_SLOTS_BITS = 4


class NetworkSettings(Strict):
    """Where the load balancer lives in each region."""

    vpc_cidr: str = Field(
        default="10.40.0.0/16",
        pattern=r"^(\d{1,3}\.){3}\d{1,3}/(1[6-9]|2[0-4])$",
        description=(
            "CIDR of the VPC created in each region (regions are not peered, so they may "
            "share it). Default: `10.40.0.0/16`."
        ),
    )
    max_availability_zones: int = Field(
        default=3,
        ge=2,
        le=6,
        description=(
            "Public and private subnets in this many Availability Zones, or as many as the "
            "region has if fewer. Default: 3. No NAT gateways are created: nothing needs one."
        ),
    )
    existing: dict[Region, ExistingNetwork] = Field(
        default_factory=dict,
        description=(
            "Per region, an existing VPC and subnets to use instead of creating a VPC. "
            "Default: none (a VPC is created in every region)."
        ),
    )


class LoadBalancerSettings(Strict):
    """The Application Load Balancer in front of each region."""

    internal: bool = Field(
        default=False,
        description=(
            "Internal (private subnets) instead of internet-facing. Needs `network.existing` "
            "for every region: a VPC this project creates is isolated (no peering, the same "
            "CIDR in every region), so no client could reach an internal ALB in it. Route 53's "
            "checkers cannot reach an internal ALB, so its health check follows a CloudWatch "
            "alarm instead. Default: false."
        ),
    )
    ingress_cidrs: list[str] = Field(
        default_factory=lambda: ["0.0.0.0/0"],
        min_length=1,
        description=(
            "CIDRs allowed to reach ports 443 and 80. When narrowed, Route 53's health checkers "
            "(managed prefix list `com.amazonaws.<region>.route53-healthchecks`) are admitted on "
            "443 too. Default: `0.0.0.0/0`."
        ),
    )
    deletion_protection: bool = Field(
        default=True,
        description=(
            "ALB deletion protection, and `prevent_destroy` on its access-log bucket. "
            "Default: on; turn off only for throw-away environments."
        ),
    )
    idle_timeout_s: int = Field(
        default=75,
        ge=1,
        le=4000,
        description=(
            "ALB idle timeout (s); must exceed `proxy.timeout_s`. Default: 75, above the "
            "proxy's 70."
        ),
    )
    ssl_policy: Literal[
        "ELBSecurityPolicy-TLS13-1-2-2021-06",
        "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
        "ELBSecurityPolicy-TLS13-1-3-2021-06",
    ] = Field(
        default="ELBSecurityPolicy-TLS13-1-2-2021-06",
        description=(
            "HTTPS listener policy (TLS 1.3 capable). `ELBSecurityPolicy-TLS13-1-3-2021-06` "
            "accepts TLS 1.3 only, which Route 53's HTTPS health checks (TLS 1.2 at most) cannot "
            "speak: its regions get the alarm-based health check. "
            "Default: `ELBSecurityPolicy-TLS13-1-2-2021-06`."
        ),
    )
    access_log_retention_days: int = Field(
        default=90, ge=1, description="Days access logs are kept. Default: 90."
    )

    @field_validator("ingress_cidrs")
    @classmethod
    def _cidrs(cls, value: list[str]) -> list[str]:
        return _check_cidrs(value)


# SageMaker real-time inference allows an invocation 60 s (InvokeEndpoint). The proxy waits that
# long once; the margin covers connecting (and retrying what never reached the model) and logging.
SAGEMAKER_INVOCATION_TIMEOUT_S = 60
PROXY_TIMEOUT_MARGIN_S = 10
PROXY_MIN_TIMEOUT_S = SAGEMAKER_INVOCATION_TIMEOUT_S + PROXY_TIMEOUT_MARGIN_S


class ProxySettings(Strict):
    """The Lambda function between the ALB and InvokeEndpoint."""

    memory_mb: int = Field(default=512, ge=128, le=10240, description="Memory (MB). Default: 512.")
    timeout_s: int = Field(
        default=PROXY_MIN_TIMEOUT_S,
        ge=5,
        le=900,
        description=(
            f"Function timeout (s): at least {PROXY_MIN_TIMEOUT_S} (SageMaker's "
            f"{SAGEMAKER_INVOCATION_TIMEOUT_S} s per invocation, which the proxy waits for once, "
            f"plus {PROXY_TIMEOUT_MARGIN_S} s to connect and log), and below the ALB idle "
            "timeout so the client gets the function's 504, not a dropped connection. "
            f"Default: {PROXY_MIN_TIMEOUT_S}."
        ),
    )
    reserved_concurrency: int = Field(
        default=100,
        ge=1,
        description=(
            "Reserved concurrent executions: a cap that protects the endpoint and guarantees "
            "this function capacity in the account. Default: 100."
        ),
    )
    log_retention_days: int = Field(
        default=365,
        description="Days the function's and the VPC flow logs are kept. Default: 365.",
    )


class WafSettings(Strict):
    """The AWS WAF web ACL on each load balancer."""

    enabled: bool = Field(default=True, description="Attach a web ACL to every ALB. Default: on.")
    rate_limit_per_5_min: int = Field(
        default=2000,
        ge=10,
        le=2_000_000_000,
        description=(
            "Requests one client IP may send in 5 minutes before WAF blocks it. Default: 2000."
        ),
    )
    rate_limit_per_caller_per_5_min: int = Field(
        default=1000,
        ge=10,
        le=2_000_000_000,
        description=(
            "Requests one caller (one `Authorization` header value: one bearer token) may send "
            "in 5 minutes before WAF blocks it, beside the per-IP limit. Only with "
            "`authentication.jwt`: WAF cannot see client certificates. Default: 1000."
        ),
    )
    allow_cidrs: list[str] = Field(
        default_factory=list,
        description=(
            "If given, only these client CIDRs are allowed; all others are blocked, Route 53's "
            "health checkers too, so the regions get the alarm-based health check. "
            "Default: none (no allow list)."
        ),
    )
    log_retention_days: int = Field(
        default=365, ge=1, description="Days WAF logs are kept. Default: 365."
    )
    body_rules: Literal["count", "block"] = Field(
        default="count",
        description=(
            "What the managed rules that inspect request bodies (cross-site scripting, local and "
            "remote file inclusion, SSRF, Log4j, Java deserialization) do on a match: `count` "
            "(logged and measured, not blocked) or `block`. Default: `count`; an inference "
            "payload is arbitrary text, and a legitimate prompt that contains code matches them."
        ),
    )

    @field_validator("allow_cidrs")
    @classmethod
    def _cidrs(cls, value: list[str]) -> list[str]:
        return _check_cidrs(value)


# Asymmetric JWS algorithms only (RFC 7518 §3.1, RFC 8037): with them, the key the proxy holds can
# verify but never sign. `none` and the HMAC family are refused, so a token "signed" with the
# public key, or not at all, never passes.
JwtAlgorithm = Literal[
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"
]
JWT_ALGORITHMS: tuple[JwtAlgorithm, ...] = (
    "RS256",
    "RS384",
    "RS512",
    "PS256",
    "PS384",
    "PS512",
    "ES256",
    "ES384",
    "ES512",
    "EdDSA",
)
HTTPS_URL_PATTERN = r"^https://[A-Za-z0-9.-]+(:\d{1,5})?(/[^\s]*)?$"
# RFC 6749 §3.3: scope tokens are printable ASCII without space, `"` or `\`.
SCOPE_PATTERN = r"^[\x21\x23-\x5b\x5d-\x7e]+$"
# The ALB listener that admits Route 53's health checkers under mutual TLS (they present no
# client certificate): a port of its own, forwarding only /ping.
DEFAULT_HEALTH_CHECK_PORT = 8443


class JwtSettings(Strict):
    """Bearer tokens (JWT) from an OpenID Connect issuer, verified by the proxy on every request."""

    issuer: str = Field(
        pattern=HTTPS_URL_PATTERN,
        description=(
            "The issuer (`iss` claim) exactly as the tokens carry it, e.g. "
            "`https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEfGhI` or "
            "`https://example.okta.com/oauth2/default`."
        ),
    )
    audiences: list[Annotated[str, Field(min_length=1, max_length=512)]] = Field(
        min_length=1,
        max_length=10,
        description=(
            "Accepted audiences: a token's `aud` must contain one of them (Cognito access tokens "
            "carry no `aud`: use ID tokens, or a resource server with Okta, Entra ID, Auth0)."
        ),
    )
    required_scopes: list[Annotated[str, Field(pattern=SCOPE_PATTERN, max_length=256)]] = Field(
        default_factory=list,
        max_length=20,
        description=(
            "Scopes every token must grant, read from `scope` (space-separated) and `scp` "
            "(string or list). Default: none."
        ),
    )
    jwks_url: str | None = Field(
        default=None,
        pattern=HTTPS_URL_PATTERN,
        description=(
            "Where the issuer publishes its signing keys. Default: the `jwks_uri` of the "
            "issuer's discovery document, `<issuer>/.well-known/openid-configuration`."
        ),
    )
    algorithms: list[JwtAlgorithm] = Field(
        default_factory=lambda: list(JWT_ALGORITHMS),
        min_length=1,
        description=(
            "Signature algorithms accepted, asymmetric only (`none` and HS* are never accepted). "
            "Default: all of RS*, PS*, ES* and EdDSA; narrow it to what the issuer uses."
        ),
    )
    leeway_s: int = Field(
        default=30,
        ge=0,
        le=300,
        description="Clock skew allowed on `exp` and `nbf` (s). Default: 30.",
    )
    jwks_max_age_s: int = Field(
        default=3600,
        ge=60,
        le=86400,
        description=(
            "Longest the proxy keeps using keys without fetching the JWKS again (s); when the "
            "fetch fails, the cached keys serve on until twice this age. Default: 3600."
        ),
    )
    jwks_min_refresh_interval_s: int = Field(
        default=60,
        ge=1,
        le=3600,
        description=(
            "A token signed with an unknown `kid` fetches the JWKS again at most this often (s) "
            "per warm function instance, so made-up `kid`s cannot flood the issuer. Default: 60."
        ),
    )


class MutualTlsSettings(Strict):
    """Client certificates checked by the load balancer against a CA bundle (a trust store)."""

    ca_bundle_s3_bucket: str = Field(
        pattern=r"^[a-z0-9{][a-z0-9.{}-]{1,61}[a-z0-9}]$",
        description=(
            "S3 bucket holding the PEM bundle of the CA certificates that issue client "
            "certificates; `{region}` is replaced per stack."
        ),
    )
    ca_bundle_s3_key: str = Field(
        min_length=1, max_length=1024, description="Object key of the PEM CA bundle."
    )
    ca_bundle_s3_object_version: str | None = Field(
        default=None,
        description=(
            "Object version of the bundle. Default: the latest version when the trust store is "
            "created; a new version is read only when this changes."
        ),
    )
    health_check_port: int = Field(
        default=DEFAULT_HEALTH_CHECK_PORT,
        ge=1,
        le=65535,
        description=(
            "Port of a second HTTPS listener, without client certificates, that forwards only "
            "`GET /ping` and admits only Route 53's health checkers (their managed prefix list): "
            "they present no client certificate. Default: 8443."
        ),
    )

    @field_validator("health_check_port")
    @classmethod
    def _not_a_service_port(cls, value: int) -> int:
        if value in (443, 80):
            raise ValueError(
                f"{value} is a port of the service's own listeners; use another, e.g. 8443"
            )
        return value


class AuthenticationSettings(Strict):
    """Who may call the service. Required for a public load balancer: `jwt`, `mutual_tls` (both
    may be set), or `allow_unauthenticated: true`."""

    jwt: JwtSettings | None = Field(
        default=None,
        description=(
            "Bearer tokens from an OIDC issuer, verified by the proxy before any model call. "
            "Default: none."
        ),
    )
    mutual_tls: MutualTlsSettings | None = Field(
        default=None,
        description=(
            "Client certificates verified by the load balancer (trust store from S3, mode "
            "`verify`). Default: none."
        ),
    )
    allow_unauthenticated: bool = Field(
        default=False,
        description=(
            "Serve a public load balancer to anyone on the internet, with no caller identity "
            "(only WAF's per-IP rate limit). Default: false; the synth summary flags it."
        ),
    )

    @property
    def configured(self) -> bool:
        return self.jwt is not None or self.mutual_tls is not None

    @property
    def modes(self) -> list[str]:
        """Names of the configured modes, for summaries: `jwt`, `mutual_tls`, or `none`."""
        found = [name for name in ("jwt", "mutual_tls") if getattr(self, name) is not None]
        return found or ["none"]

    @model_validator(mode="after")
    def _opt_out_alone(self) -> AuthenticationSettings:
        if self.allow_unauthenticated and self.configured:
            raise ValueError(
                "allow_unauthenticated: true contradicts the configured "
                f"{' and '.join(self.modes)}; remove allow_unauthenticated"
            )
        return self
