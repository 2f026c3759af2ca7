#!/usr/bin/env python
"""Read the configuration, build the app, synthesize. `cdktf synth` runs this file."""

import os
import sys

# jsii's Node runtime prints an end-of-life banner for Node 20 on every run.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")

from config import ConfigError, load_config, resolve_config_path


def main() -> int:
    # Validate before cdktf loads: a broken file costs no jsii start-up and writes no output.
    context_config = _context_value("config")
    path = resolve_config_path(context_config)
    try:
        config = load_config(path)
    except ConfigError as error:
        print(error, file=sys.stderr)
        return 2

    from cdktf import App

    from stacks import build_app
    from stacks.summary import summary

    app = App()
    stacks = build_app(app, config)
    app.synth()
    print(summary(config, path, stacks, app.outdir))
    return 0


def _context_value(key: str) -> str | None:
    """A cdktf context value (`cdktf synth --context config=...` or cdktf.json `context`)."""
    import json

    raw = os.environ.get("CDKTF_CONTEXT_JSON")
    if not raw:
        return None
    try:
        value = json.loads(raw).get(key)
    except (ValueError, AttributeError):
        return None
    return str(value) if value else None


if __name__ == "__main__":
    sys.exit(main())
