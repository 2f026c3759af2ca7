#!/usr/bin/env python
"""Synthesize every shipped configuration, and compare two such synth outputs.

A refactor must keep every Terraform address and value: synthesize before and after, then compare.

    python tools/compare_synth.py synth /work/baseline-synth        # before
    python tools/compare_synth.py synth /tmp/after                  # after
    python tools/compare_synth.py compare /work/baseline-synth /tmp/after

`synth` writes `<dir>/<config name>/stacks/<stack>/cdk.tf.json` for config/example.yaml and each
config/examples/*.yaml. `compare` prints every address (`<config>/<stack>: <block path>`) that
appears on one side only or whose value differs, ignoring asset hashes and paths (they embed
content hashes and the output folder), and exits non-zero when anything differs.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")

# Asset references carry a content hash and the synth folder; neither is a Terraform difference.
_ASSET = re.compile(r"assets/[^\"/]+/[0-9A-Fa-f]{32,}(/[^\"]*)?")
_HASH = re.compile(r"\b[0-9A-F]{64}\b")


def shipped_configs() -> dict[str, Path]:
    """Every configuration the project ships, by a short name."""
    configs = {"example": ROOT / "config" / "example.yaml"}
    for path in sorted((ROOT / "config" / "examples").glob("*.yaml")):
        configs[path.stem] = path
    return configs


def synth_all(outdir: Path) -> None:
    import constructs_lib  # noqa: F401  (before any provider import; see its docstring)
    from config.loader import load_config
    from stacks.app import synth_app

    for name, path in shipped_configs().items():
        (outdir / name).mkdir(parents=True, exist_ok=True)
        synth_app(load_config(path), outdir / name)
        print(f"{name}: {path.relative_to(ROOT)} -> {outdir / name}")


def _normalized(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _normalized(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_normalized(item) for item in value]
    if isinstance(value, str):
        return _HASH.sub("<hash>", _ASSET.sub("<asset>", value))
    return value


def _leaves(value: Any, path: str) -> Iterator[tuple[str, Any]]:
    """(address, value) for every block a Terraform reader would name, down to the attributes."""
    if isinstance(value, dict) and value:
        for key, item in value.items():
            yield from _leaves(item, f"{path}.{key}" if path else key)
    else:
        yield path, value


def flatten(outdir: Path) -> dict[str, Any]:
    """Every attribute of every stack under `outdir`, keyed `<config>/<stack>: <path>`."""
    flat: dict[str, Any] = {}
    for tf_json in sorted(outdir.glob("*/stacks/*/cdk.tf.json")):
        config, stack = tf_json.parts[-4], tf_json.parts[-2]
        document = json.loads(tf_json.read_text())
        document.get("//", {}).pop("metadata", None)  # cdktf version/backend banner
        for key, value in _leaves(_normalized(document), ""):
            if key.startswith("//.metadata") or ".//." in key or key.startswith("//."):
                continue  # cdktf's construct-path comments, not Terraform
            flat[f"{config}/{stack}: {key}"] = value
    return flat


def compare(before: Path, after: Path) -> list[str]:
    old, new = flatten(before), flatten(after)
    if not old:
        return [f"no cdk.tf.json under {before}"]
    lines = [f"- {key} = {json.dumps(old[key])}" for key in sorted(old.keys() - new.keys())]
    lines += [f"+ {key} = {json.dumps(new[key])}" for key in sorted(new.keys() - old.keys())]
    lines += [
        f"~ {key}: {json.dumps(old[key])} -> {json.dumps(new[key])}"
        for key in sorted(old.keys() & new.keys())
        if old[key] != new[key]
    ]
    return lines


def resource_addresses(outdir: Path) -> set[str]:
    """`<config>/<stack>: <type>.<name>` for every resource and data source."""
    found = set()
    for tf_json in outdir.glob("*/stacks/*/cdk.tf.json"):
        document = json.loads(tf_json.read_text())
        prefix = f"{tf_json.parts[-4]}/{tf_json.parts[-2]}"
        for kind in ("resource", "data"):
            for type_, blocks in document.get(kind, {}).items():
                found |= {f"{prefix}: {kind}.{type_}.{name}" for name in blocks}
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("synth").add_argument("outdir", type=Path)
    diff = commands.add_parser("compare")
    diff.add_argument("before", type=Path)
    diff.add_argument("after", type=Path)
    args = parser.parse_args(argv)
    if args.command == "synth":
        synth_all(args.outdir)
        return 0
    differences = compare(args.before, args.after)
    addresses = resource_addresses(args.before)
    for line in differences:
        print(line)
    moved = len(addresses ^ resource_addresses(args.after))
    print(
        f"{len(addresses)} resource addresses, {len(flatten(args.before))} attributes compared: "
        f"{len(differences)} differences, {moved} addresses added or removed"
    )
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
