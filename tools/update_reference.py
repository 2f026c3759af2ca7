#!/usr/bin/env python
"""Regenerate config/serving.schema.json and the README's configuration reference from the models."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from config.reference import REFERENCE_BEGIN, REFERENCE_END, json_schema, markdown_reference  # noqa: E402


def main() -> int:
    (ROOT / "config" / "serving.schema.json").write_text(json_schema())
    readme_path = ROOT / "docs" / "configuration.md"
    readme = readme_path.read_text()
    start = readme.index(REFERENCE_BEGIN)
    end = readme.index(REFERENCE_END) + len(REFERENCE_END) + 1
    readme_path.write_text(readme[:start] + markdown_reference() + readme[end:])
    print("updated config/serving.schema.json and docs/configuration.md")
    return 0


if __name__ == "__main__":
    import argparse

    # --help says what the tool rewrites, and rewrites nothing.
    argparse.ArgumentParser(description=__doc__).parse_args()
    sys.exit(main())
