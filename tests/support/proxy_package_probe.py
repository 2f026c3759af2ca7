"""Run inside a clean interpreter of the function's Python, with only the unzipped function package
on its path (`python3.12 -I -B proxy_package_probe.py <package dir>`): import the packaged
modules, sign a token with a key made here, verify it with proxy_auth as the function would, and
print what was imported from where and how long it took, as JSON.

No pip, no site-packages, no bytecode written (-B: Lambda's /var/task is read-only, so every cold
start compiles the package's modules, as here).
"""

import json
import sys
import time

sys.path.insert(0, sys.argv[1])

started = time.perf_counter()
import jwt  # noqa: E402
import proxy_auth  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: E402

imported_s = time.perf_counter() - started

key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
jwk = {**json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key())), "kid": "k1"}
now = int(time.time())
claims = {
    "iss": "https://issuer.example.com",
    "aud": "api://probe",
    "scope": "invoke",
    "sub": "probe",
    "exp": now + 60,
}
token = jwt.encode(claims, key, algorithm="RS256", headers={"kid": "k1"})
settings = proxy_auth.AuthSettings(
    mode="jwt",
    issuer="https://issuer.example.com",
    audiences=("api://probe",),
    required_scopes=("invoke",),
    algorithms=("RS256",),
    jwks_url="https://issuer.example.com/jwks.json",
)
cache = proxy_auth.KeyCache(settings, fetch=lambda url: {"keys": [jwk]})
started = time.perf_counter()
caller = proxy_auth.Authenticator(settings, cache).authenticate(
    {"authorization": f"Bearer {token}"}
)
first_verify_s = time.perf_counter() - started
refused = None
try:
    proxy_auth.Authenticator(settings, cache).authenticate(
        {"authorization": f"Bearer {token[:-4]}AAAA"}
    )
except proxy_auth.Denied as denied:
    refused = [denied.status, denied.reason]
print(
    json.dumps(
        {
            "python": list(sys.version_info[:2]),
            "jwt_file": jwt.__file__,
            "cryptography_file": sys.modules["cryptography"].__file__,
            "subject": caller.subject if caller else None,
            "tampered": refused,
            "import_s": imported_s,
            "first_verify_s": first_verify_s,
        }
    )
)
