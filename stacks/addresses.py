"""The Terraform resource addresses a synthesized stack declares (what state is keyed by)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def resource_addresses(document: dict[str, Any]) -> list[str]:
    return sorted(
        f"{resource_type}.{name}"
        for resource_type, by_name in document.get("resource", {}).items()
        for name in by_name
    )


def stack_addresses(stack_file: Path) -> list[str]:
    return resource_addresses(json.loads(stack_file.read_text()))
