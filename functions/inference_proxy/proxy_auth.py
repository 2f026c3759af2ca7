"""Who may call the model: bearer-token (JWT) verification for the inference proxy.

`AUTH_MODE` says what the proxy checks: `jwt` (a bearer token on every `/invocations`), or
`mutual_tls` / `none` (nothing here: with `mutual_tls` the load balancer has already refused a
connection without a valid client certificate; `none` is the configuration's explicit opt-out).

A token passes only when all of these hold: its header names an asymmetric algorithm the
configuration allows and a key of the issuer's JWKS; the signature verifies with that key; `iss`
is the issuer; `aud` contains one of the audiences; `exp` is in the future and `nbf` (if any) in
the past, both within the leeway; `scope` / `scp` grant every required scope. Anything else is
a `Denied` (RFC 6750: 401 `invalid_token`, 403 `insufficient_scope`), and the model is never
called. When the JWKS cannot be fetched and no cached key fits, the answer is 503.

Keys are cached in the warm container: reused for up to JWKS_MAX_AGE_S, then fetched again; when
that fetch fails, the cached keys serve on until twice that age. A token with an unknown `kid`
fetches the JWKS again (a rotated key), at most once per JWKS_MIN_REFRESH_S.

Environment (set by the stack from `authentication.jwt`): AUTH_MODE, JWT_ISSUER, JWT_AUDIENCES
(JSON list), JWT_REQUIRED_SCOPES (JSON list), JWT_ALGORITHMS (JSON list), JWT_JWKS_URL (default:
`jwks_uri` from `<issuer>/.well-known/openid-configuration`), JWT_LEEWAY_S, JWKS_MAX_AGE_S,
JWKS_MIN_REFRESH_S.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

MODES = ("jwt", "mutual_tls", "none")
# Asymmetric JWS algorithms only: the proxy holds keys that verify but cannot sign.
ASYMMETRIC_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)
DISCOVERY_PATH = "/.well-known/openid-configuration"
FETCH_TIMEOUT_S = 2.0
# A JWKS or discovery document is a few kilobytes; more is not one.
MAX_DOCUMENT_BYTES = 512 * 1024
# The ALB takes request headers up to 16 KB in all; a token longer than this is not one we issue.
MAX_TOKEN_CHARS = 8192
DEFAULT_LEEWAY_S = 30.0
DEFAULT_JWKS_MAX_AGE_S = 3600.0
DEFAULT_JWKS_MIN_REFRESH_S = 60.0
REALM = "inference"


class Denied(Exception):
    """The caller is not let through: status, RFC 6750 error code (or none), and why (logged)."""

    def __init__(
        self,
        status: int,
        error: str | None,
        description: str,
        reason: str,
        scope: str | None = None,
    ) -> None:
        super().__init__(reason)
        self.status = status
        self.error = error
        self.description = description
        self.reason = reason
        self.scope = scope

    @property
    def headers(self) -> dict[str, str]:
        if self.status == 503:
            return {"Retry-After": "5"}
        parts = [f'realm="{REALM}"']
        if self.error is not None:
            parts += [f'error="{self.error}"', f'error_description="{self.description}"']
        if self.scope is not None:
            parts.append(f'scope="{self.scope}"')
        return {"WWW-Authenticate": "Bearer " + ", ".join(parts)}


def _invalid(reason: str, description: str = "The access token is not valid.") -> Denied:
    return Denied(401, "invalid_token", description, reason)


@dataclass(frozen=True)
class AuthSettings:
    """What `AUTH_MODE` and the JWT_* variables configure, read once at cold start."""

    mode: str
    issuer: str = ""
    audiences: tuple[str, ...] = ()
    required_scopes: tuple[str, ...] = ()
    algorithms: tuple[str, ...] = ()
    jwks_url: str | None = None
    leeway_s: float = DEFAULT_LEEWAY_S
    jwks_max_age_s: float = DEFAULT_JWKS_MAX_AGE_S
    jwks_min_refresh_s: float = DEFAULT_JWKS_MIN_REFRESH_S

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> AuthSettings:
        """Read the settings, every problem at once; a missing AUTH_MODE is one (fail closed)."""
        problems: list[str] = []
        mode = env.get("AUTH_MODE", "").strip()
        if mode not in MODES:
            problems.append(f"AUTH_MODE: one of {', '.join(MODES)}, got {mode!r}")
        if mode != "jwt":
            if problems:
                raise ValueError("invalid authentication configuration: " + "; ".join(problems))
            return cls(mode)
        issuer = env.get("JWT_ISSUER", "").strip()
        if not issuer:
            problems.append("JWT_ISSUER: required with AUTH_MODE=jwt")
        audiences = _string_list(env, "JWT_AUDIENCES", problems, required=True)
        scopes = _string_list(env, "JWT_REQUIRED_SCOPES", problems, required=False)
        algorithms = _string_list(env, "JWT_ALGORITHMS", problems, required=True)
        weak = sorted(set(algorithms) - ASYMMETRIC_ALGORITHMS)
        if weak:
            problems.append(f"JWT_ALGORITHMS: asymmetric algorithms only, not {weak}")
        numbers = {
            name: _number(env, name, default, problems)
            for name, default in (
                ("JWT_LEEWAY_S", DEFAULT_LEEWAY_S),
                ("JWKS_MAX_AGE_S", DEFAULT_JWKS_MAX_AGE_S),
                ("JWKS_MIN_REFRESH_S", DEFAULT_JWKS_MIN_REFRESH_S),
            )
        }
        if problems:
            raise ValueError("invalid authentication configuration: " + "; ".join(problems))
        return cls(
            mode,
            issuer,
            tuple(audiences),
            tuple(scopes),
            tuple(algorithms),
            env.get("JWT_JWKS_URL", "").strip() or None,
            numbers["JWT_LEEWAY_S"],
            numbers["JWKS_MAX_AGE_S"],
            numbers["JWKS_MIN_REFRESH_S"],
        )


def _string_list(
    env: Mapping[str, str], name: str, problems: list[str], *, required: bool
) -> list[str]:
    raw = env.get(name, "").strip() or "[]"
    try:
        value = json.loads(raw)
    except ValueError:
        value = None
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        problems.append(f"{name}: a JSON list of strings, got {raw!r}")
        return []
    if required and not value:
        problems.append(f"{name}: at least one value with AUTH_MODE=jwt")
    return value


def _number(env: Mapping[str, str], name: str, default: float, problems: list[str]) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 <= value < float("inf"):
        problems.append(f"{name}: a number of seconds ≥ 0, got {raw!r}")
        return default
    return value


def _fetch_json(url: str) -> Any:
    """GET a JSON document; any failure is an OSError or ValueError."""
    if not url.startswith(("https://", "http://")):
        raise ValueError(f"{url!r}: not an HTTP(S) URL")
    request = urllib.request.Request(url, headers={"Accept": "application/json"})  # noqa: S310
    with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT_S) as response:  # noqa: S310
        data = response.read(MAX_DOCUMENT_BYTES + 1)
    if len(data) > MAX_DOCUMENT_BYTES:
        raise ValueError(f"{url}: more than {MAX_DOCUMENT_BYTES} bytes")
    return json.loads(data)


@dataclass
class KeyCache:
    """The issuer's signing keys, by `kid`, with the time they were fetched."""

    settings: AuthSettings
    fetch: Callable[[str], Any] = _fetch_json
    clock: Callable[[], float] = time.monotonic
    keys: dict[str, Any] = field(default_factory=dict)
    fetched_at: float | None = None
    attempted_at: float | None = None
    jwks_url: str | None = None

    def key_for(self, kid: str | None) -> Any:
        """The key a token names; Denied (401) for a key the issuer does not publish, Denied
        (503) when the JWKS cannot be read and no usable cached key fits."""
        now = self.clock()
        found = self._lookup(kid)
        if found is not None and self._age_below(now, self.settings.jwks_max_age_s):
            return found
        # Keys past their age, or a `kid` we do not know (a rotated key?): fetch again, at most
        # once per jwks_min_refresh_s, so neither an outage nor made-up `kid`s flood the issuer.
        failure: Exception | None = None
        if self._may_refresh(now):
            try:
                self._refresh(now)
            except (OSError, ValueError) as exc:  # urllib's errors are OSErrors
                failure = exc
            found = self._lookup(kid)
        # Past their age, cached keys still serve while the issuer cannot be reached, up to
        # twice the age: an issuer's outage does not become ours at once.
        usable = self._age_below(now, 2 * self.settings.jwks_max_age_s)
        if found is not None and usable:
            return found
        if failure is not None or not usable:
            cause = f"{type(failure).__name__}: {failure}" if failure else "keys too old"
            raise Denied(
                503,
                None,
                "The token's signing keys could not be fetched.",
                f"jwks_unavailable: {cause}"[:300],
            )
        raise _invalid(f"unknown_kid: {str(kid)[:80]!r}")

    def _age_below(self, now: float, limit_s: float) -> bool:
        return self.fetched_at is not None and now - self.fetched_at < limit_s

    def _may_refresh(self, now: float) -> bool:
        return (
            self.attempted_at is None or now - self.attempted_at >= self.settings.jwks_min_refresh_s
        )

    def _lookup(self, kid: str | None) -> Any:
        if kid is not None:
            return self.keys.get(kid)
        # A token without `kid` is accepted only from an issuer that publishes a single key.
        return next(iter(self.keys.values())) if len(self.keys) == 1 else None

    def _refresh(self, now: float) -> None:
        import jwt

        self.attempted_at = now
        url = self.jwks_url or self.settings.jwks_url or self._discover()
        self.jwks_url = url
        document = self.fetch(url)
        if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
            raise ValueError(f"{url}: not a JWK set")
        keys: dict[str, Any] = {}
        for entry in document["keys"]:
            if not isinstance(entry, dict) or entry.get("use", "sig") != "sig":
                continue
            try:
                key = jwt.PyJWK(entry)
            except (jwt.PyJWKError, jwt.InvalidKeyError, ValueError, TypeError):
                continue  # a key type or curve this library cannot use; the others still serve
            if key.algorithm_name not in ASYMMETRIC_ALGORITHMS:
                continue  # a symmetric (`oct`) key would let a token be signed with it
            keys[str(entry.get("kid", ""))] = key
        if not keys:
            raise ValueError(f"{url}: no usable signing key")
        self.keys = keys
        self.fetched_at = now

    def _discover(self) -> str:
        issuer = self.settings.issuer.rstrip("/")
        document = self.fetch(issuer + DISCOVERY_PATH)
        url = document.get("jwks_uri") if isinstance(document, dict) else None
        if not isinstance(url, str) or not url:
            raise ValueError(f"{issuer}{DISCOVERY_PATH}: no jwks_uri")
        return url


@dataclass(frozen=True)
class Caller:
    """Who called, as the log records it: the token's subject and client."""

    subject: str | None
    client_id: str | None


class Authenticator:
    """Checks the `Authorization` header of a request against the configured mode."""

    def __init__(self, settings: AuthSettings, keys: KeyCache | None = None) -> None:
        self.settings = settings
        # PyJWT and cryptography are imported by the first token's check, not here nor at cold
        # start: they take about as long to import as boto3 (tools/measure_proxy_package.py), and
        # the ping function, which runs the same package, never checks a token.
        self.keys = keys or KeyCache(settings)

    def authenticate(self, headers: Mapping[str, str]) -> Caller | None:
        """The caller of a request with lower-cased header names; Denied when refused. None when
        the proxy checks nothing (mutual TLS at the load balancer, or the opt-out)."""
        if self.settings.mode != "jwt":
            return None
        token = _bearer_token(headers.get("authorization"))
        claims = self._verified_claims(token)
        granted = _scopes(claims)
        missing = [s for s in self.settings.required_scopes if s not in granted]
        if missing:
            raise Denied(
                403,
                "insufficient_scope",
                "The access token does not grant the required scope.",
                f"missing_scope: {missing}",
                scope=" ".join(self.settings.required_scopes),
            )
        client = claims.get("client_id", claims.get("azp", claims.get("appid")))
        subject = claims.get("sub")
        return Caller(
            str(subject) if subject is not None else None,
            str(client) if client is not None else None,
        )

    def _verified_claims(self, token: str) -> dict[str, Any]:
        import jwt

        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise _invalid(f"malformed_token: {exc}") from exc
        algorithm = header.get("alg")
        if algorithm not in self.settings.algorithms or algorithm not in ASYMMETRIC_ALGORITHMS:
            raise _invalid(f"algorithm_not_allowed: {str(algorithm)[:20]!r}")
        kid = header.get("kid")
        if kid is not None and not isinstance(kid, str):
            raise _invalid("malformed_kid")
        key = self.keys.key_for(kid)
        published = getattr(key, "_jwk_data", {}).get("alg")
        if published is not None and published != algorithm:
            raise _invalid(f"algorithm_mismatch: token {algorithm}, key {published}")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key=key.key,
                algorithms=[algorithm],
                audience=list(self.settings.audiences),
                issuer=self.settings.issuer,
                leeway=self.settings.leeway_s,
                options={"require": ["exp", "iss", "aud"], "verify_signature": True},
            )
        except jwt.ExpiredSignatureError as exc:
            raise _invalid("expired", "The access token expired.") from exc
        except jwt.ImmatureSignatureError as exc:
            raise _invalid("not_yet_valid", "The access token is not valid yet.") from exc
        except jwt.InvalidIssuerError as exc:
            raise _invalid("wrong_issuer") from exc
        except jwt.InvalidAudienceError as exc:
            raise _invalid("wrong_audience") from exc
        except jwt.InvalidSignatureError as exc:
            raise _invalid("bad_signature") from exc
        except jwt.PyJWTError as exc:
            raise _invalid(f"invalid: {type(exc).__name__}") from exc
        return claims


def _bearer_token(value: str | None) -> str:
    if not value:
        # RFC 6750 §3.1: no error code when the request carries no credentials at all.
        raise Denied(401, None, "", "no_token")
    scheme, _, token = value.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token:
        raise _invalid("malformed_authorization_header", "Use Authorization: Bearer <token>.")
    if len(token) > MAX_TOKEN_CHARS:
        raise _invalid("token_too_long")
    return token


def _scopes(claims: Mapping[str, Any]) -> set[str]:
    granted: set[str] = set()
    for name in ("scope", "scp"):
        value = claims.get(name)
        if isinstance(value, str):
            granted.update(value.split())
        elif isinstance(value, list):
            granted.update(v for v in value if isinstance(v, str))
    return granted
