#!/usr/bin/env python
"""Regenerate config/provider_enums.json: which of botocore's enum values Terraform's AWS provider
accepts, for the fields the configuration sends to it.

`terraform providers schema -json` names attributes and types only: the provider's validators
(its `instance_type` enum among them) are not in it. So this tool asks the provider itself: in a
folder initialised against the local mirror of hashicorp/aws, it writes one
`aws_sagemaker_endpoint_configuration` per candidate value (every value of the botocore enum the
field is sent as), runs `terraform validate -json` once, and keeps the values no diagnostic names.

    .venv/bin/python tools/update_provider_enums.py [--check]

Needs terraform and a mirror (`TF_PROVIDER_MIRROR`, or /opt/tf-plugins); no network.
`--check` exits 1 if the table differs (tests/config/test_provider_enums.py runs it).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from config import aws_limits  # noqa: E402
from config.provider_enums import PROVIDER_VERSION, TABLE_PATH  # noqa: E402

PROVIDER = "registry.terraform.io/hashicorp/aws"
MIRRORS = ("/opt/tf-plugins", "~/.terraform.d/plugins", "/usr/share/terraform/plugins")
# field -> (botocore shape of the candidates, production_variants attribute)
FIELDS = {
    "instance_type": ("ProductionVariantInstanceType", "instance_type"),
    "inference_ami_version": ("ProductionVariantInferenceAmiVersion", "inference_ami_version"),
    "routing_strategy": ("RoutingStrategy", "routing_config.routing_strategy"),
}


def _mirror() -> Path:
    configured = os.environ.get("TF_PROVIDER_MIRROR")
    for candidate in [configured] if configured else MIRRORS:
        root = Path(candidate).expanduser()
        if (root / PROVIDER).is_dir():
            return root
    raise SystemExit(f"no local mirror of {PROVIDER}; set TF_PROVIDER_MIRROR")


def _variant(attribute: str, value: str) -> dict[str, object]:
    variant: dict[str, object] = {
        "variant_name": "v",
        "model_name": "m",
        "instance_type": "ml.m5.xlarge",
    }
    if attribute == "routing_config.routing_strategy":
        variant["routing_config"] = [{"routing_strategy": value}]
    else:
        variant[attribute] = value
    return variant


def _probe_document() -> tuple[dict[str, object], dict[str, tuple[str, str]]]:
    resources: dict[str, object] = {}
    probes: dict[str, tuple[str, str]] = {}
    for field, (shape_name, attribute) in FIELDS.items():
        for index, value in enumerate(aws_limits.shape("sagemaker", shape_name).enum):
            name = f"{field}_{index}"
            resources[name] = {"production_variants": [_variant(attribute, value)]}
            probes[name] = (field, value)
    document = {
        "terraform": {
            "required_providers": {"aws": {"source": "hashicorp/aws", "version": PROVIDER_VERSION}}
        },
        "resource": {"aws_sagemaker_endpoint_configuration": resources},
    }
    return document, probes


def probe() -> dict[str, object]:
    """The table: per field, the botocore values provider PROVIDER_VERSION accepts and refuses."""
    terraform = shutil.which("terraform")
    if terraform is None:
        raise SystemExit("terraform is not on PATH")
    document, probes = _probe_document()
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        (work / "offline.tfrc").write_text(
            "provider_installation {\n"
            f'  filesystem_mirror {{\n    path    = "{_mirror()}"\n    include = ["{PROVIDER}"]\n  }}\n'
            f'  direct {{\n    exclude = ["{PROVIDER}"]\n  }}\n'
            "}\n"
        )
        (work / "main.tf.json").write_text(json.dumps(document))
        env = {
            **os.environ,
            "TF_CLI_CONFIG_FILE": str(work / "offline.tfrc"),
            "CHECKPOINT_DISABLE": "1",
        }
        run = {"cwd": work, "env": env, "capture_output": True, "text": True, "timeout": 600}
        subprocess.run([terraform, "init", "-backend=false", "-input=false"], check=True, **run)  # type: ignore[call-overload]
        result = subprocess.run([terraform, "validate", "-json", "-no-color"], **run)  # type: ignore[call-overload]
    report = json.loads(result.stdout)
    refused_names = set()
    for diagnostic in report["diagnostics"]:
        address = diagnostic.get("address", "") or ""
        match = re.search(r"aws_sagemaker_endpoint_configuration\.(\w+)", address)
        if match is None:
            raise SystemExit(f"a diagnostic this tool cannot place: {diagnostic}")
        refused_names.add(match.group(1))
    table: dict[str, object] = {
        "provider": f"hashicorp/aws {PROVIDER_VERSION}",
        "botocore": aws_limits.botocore_version(),
        "how": "tools/update_provider_enums.py: terraform validate of one resource per botocore value",
    }
    for field in FIELDS:
        names = [n for n, (f, _) in probes.items() if f == field]
        table[field] = {
            "accepted": sorted(probes[n][1] for n in names if n not in refused_names),
            "refused": sorted(probes[n][1] for n in names if n in refused_names),
        }
    return table


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").strip().splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="compare with the table, write nothing"
    )
    parser.parse_args(argv)
    text = json.dumps(probe(), indent=1) + "\n"
    if "--check" in argv:
        current = TABLE_PATH.read_text() if TABLE_PATH.exists() else ""
        if current != text:
            print(
                f"{TABLE_PATH} differs from what provider {PROVIDER_VERSION} accepts; run "
                "tools/update_provider_enums.py",
                file=sys.stderr,
            )
            return 1
        return 0
    TABLE_PATH.write_text(text)
    print(f"updated {TABLE_PATH.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
