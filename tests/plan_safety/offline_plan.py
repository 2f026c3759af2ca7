"""Real `terraform plan` + `show -json` of a synthesized region stack, offline, without AWS.

A plan of the stack as synthesized cannot run offline: its three lookups (`aws_caller_identity`,
`aws_availability_zones`, `aws_route53_zone`) are data sources that Terraform reads from AWS even
with `-refresh=false`, and the S3 backend and provider want credentials. So the copy planned here
differs from what users deploy in exactly these ways:

- the data sources are replaced by fixed `locals` (account, zone id, zone names);
- the backend is local and the provider gets dummy keys with every AWS call skipped;
- "deployed" is a state written from the stack's own plan: `planned_values` of the create plan,
  with the values AWS would assign (ids, ARNs, names that attributes refer to) filled with
  placeholders, re-planned with `-refresh=false` until Terraform only wants in-place updates.

Every later plan is then a real Terraform plan against that state: real actions (replace order
from `create_before_destroy`), real addresses (`for_each` keys), real `before`/`after`.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from emulator.terraform import Terraform

CONFIG = "cdk.tf.json"
PLAN = ("plan", "-input=false", "-no-color", "-refresh=false", "-lock=false", "-out=plan.tfplan")
LOOKUPS: dict[str, tuple[str, Any]] = {
    r"data\.aws_caller_identity\.\w+\.account_id": ("account_id", "123456789012"),
    r"data\.aws_route53_zone\.\w+\.zone_id": ("zone_id", "Z0123456789EXAMPLE"),
    r"data\.aws_availability_zones\.\w+\.names": ("zone_names", ["az-a", "az-b", "az-c"]),
}
OFFLINE_PROVIDER = {
    "access_key": "offline",
    "secret_key": "offline",
    "skip_credentials_validation": True,
    "skip_requesting_account_id": True,
    "skip_metadata_api_check": True,
    "skip_region_validation": True,
}
# `aws_lb.x.arn` and `for k, v in aws_route53_record.x : v.fqdn`: what other resources read.
REFERENCE = re.compile(r"\b(aws_[a-z0-9_]+)\.([A-Za-z0-9_-]+)(?:\[[^\]]*\])?\.([a-z0-9_]+)")
FOR_REFERENCE = re.compile(r"in (aws_[a-z0-9_]+)\.([A-Za-z0-9_-]+)\s*:\s*\w+\.([a-z0-9_]+)")

Document = dict[str, Any]


def offline_copy(stack_dir: Path, workdir: Path) -> None:
    """Copies a synthesized stack into `workdir`, its lookups made constants, backend local."""
    shutil.copytree(stack_dir, workdir)
    config = json.loads((workdir / CONFIG).read_text())
    text = json.dumps({key: value for key, value in config.items() if key != "data"})
    constants: dict[str, Any] = {}
    for pattern, (name, value) in LOOKUPS.items():
        text, count = re.subn(pattern, f"local.{name}", text)
        if count:
            constants[name] = value
    left = re.findall(r"\bdata\.[\w.]+", text)
    assert not left, f"a lookup this test cannot replace offline (add it to LOOKUPS): {left}"
    config = json.loads(text)
    config.setdefault("locals", {}).update(constants)
    config["terraform"]["backend"] = {"local": {"path": "terraform.tfstate"}}
    for provider in config["provider"]["aws"]:
        provider.update(OFFLINE_PROVIDER)
    (workdir / CONFIG).write_text(json.dumps(config, indent=1))


def edit_config(workdir: Path, change: Callable[[Document], None]) -> None:
    config = json.loads((workdir / CONFIG).read_text())
    change(config["resource"])
    (workdir / CONFIG).write_text(json.dumps(config, indent=1))


def plan_json(terraform: Terraform, workdir: Path) -> Document:
    terraform.run(workdir, *PLAN)
    shown = terraform.run(workdir, "show", "-json", "plan.tfplan")
    document: Document = json.loads(shown.stdout)
    return document


def _placeholder(cty: Any, where: str) -> Any:
    """A value of type `cty` that passes the provider's validation where it is read."""
    if cty == "string":
        digest = hashlib.sha1(where.encode()).hexdigest()[:10]
        leaf = where.rsplit(".", 1)[-1]
        if leaf.endswith("arn"):
            return f"arn:aws:iam::123456789012:role/o{digest}"
        if leaf == "zone_id":
            return "Z" + digest.upper()
        if leaf == "resource_record_type":
            return "CNAME"
        return "o" + digest
    if cty in ("number", "bool", "dynamic"):
        return {"number": 1, "bool": False, "dynamic": None}[cty]
    kind, inner = cty
    if kind == "object":
        return {key: _placeholder(value, f"{where}.{key}") for key, value in inner.items()}
    return {"list": [], "set": [], "map": {}, "tuple": []}[kind]


def _cty(value: Any) -> Any:
    """The cty type Terraform infers for a JSON value (objects and tuples, not maps and lists)."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return ["object", {key: _cty(item) for key, item in value.items()}]
    if isinstance(value, list):
        return ["tuple", [_cty(item) for item in value]]
    return "dynamic"


def _fill(value: Any, unknown: Any, cty: Any, where: str) -> Any:
    if unknown is True:
        return _placeholder(cty, where)
    if not unknown or isinstance(cty, str):
        return value
    kind, inner = cty
    if kind in ("list", "set") and isinstance(value, list) and isinstance(unknown, list):
        unknown = unknown + [False] * len(value)
        return [
            _fill(v, u, inner, f"{where}.{i}")
            for i, (v, u) in enumerate(zip(value, unknown, strict=False))
        ]
    if kind == "object" and isinstance(value, dict) and isinstance(unknown, dict):
        return {k: _fill(value.get(k), unknown.get(k), t, f"{where}.{k}") for k, t in inner.items()}
    if kind == "map" and isinstance(value, dict) and isinstance(unknown, dict):
        return {k: _fill(v, unknown.get(k), inner, f"{where}.{k}") for k, v in value.items()}
    return value


def _deployed_state(plan: Document, schemas: Document, referenced: dict[Any, set[str]]) -> Document:
    """The state after `plan` were applied: its `after`, with what other resources read filled."""
    resources: dict[tuple[str, str, str], list[Document]] = {}
    for change in plan.get("resource_changes", []):
        if change["mode"] != "managed" or change["change"]["actions"] == ["delete"]:
            continue
        schema = schemas[change["provider_name"]]["resource_schemas"][change["type"]]
        attributes = dict(change["change"]["after"] or {})
        unknown = change["change"].get("after_unknown") or {}
        for name in referenced.get((change["type"], change["name"]), set()) | {"id"}:
            cty = schema["block"].get("attributes", {}).get(name, {}).get("type")
            if cty is not None:
                where = f"{change['address']}.{name}"
                attributes[name] = _fill(attributes.get(name), unknown.get(name), cty, where)
        for name, attribute in schema["block"].get("attributes", {}).items():
            if attribute.get("type") == "dynamic" and attributes.get(name) is not None:
                # State keeps a dynamically-typed value together with its type.
                attributes[name] = {"value": attributes[name], "type": _cty(attributes[name])}
        instance: Document = {
            "schema_version": schema["version"],
            "attributes": attributes,
            "sensitive_attributes": [],
        }
        if "index" in change:
            instance["index_key"] = change["index"]
        key = (change["type"], change["name"], change["provider_name"])
        resources.setdefault(key, []).append(instance)
    return {
        "version": 4,
        "terraform_version": plan["terraform_version"],
        "serial": 1,
        "lineage": str(uuid.uuid4()),
        "outputs": {},
        "resources": [
            {
                "mode": "managed",
                "type": resource_type,
                "name": name,
                "provider": f'provider["{provider}"]',
                "instances": instances,
            }
            for (resource_type, name, provider), instances in resources.items()
        ],
    }


def deploy_offline(terraform: Terraform, workdir: Path, rounds: int = 5) -> Document:
    """Writes a state as if the stack were deployed; returns the converged (in-place) plan."""
    terraform.run(workdir, "init", "-input=false", "-no-color")
    schemas = json.loads(terraform.run(workdir, "providers", "schema", "-json").stdout)
    text = (workdir / CONFIG).read_text()
    referenced: dict[Any, set[str]] = {}
    for resource_type, name, attribute in REFERENCE.findall(text) + FOR_REFERENCE.findall(text):
        referenced.setdefault((resource_type, name), set()).add(attribute)
    plan = plan_json(terraform, workdir)
    for _ in range(rounds):
        state = _deployed_state(plan, schemas["provider_schemas"], referenced)
        (workdir / "terraform.tfstate").write_text(json.dumps(state))
        plan = plan_json(terraform, workdir)
        actions = {a for c in plan.get("resource_changes", []) for a in c["change"]["actions"]}
        if actions <= {"no-op", "update", "read"}:
            return plan
    raise AssertionError(f"the offline state did not converge in {rounds} rounds: {actions}")
