#!/usr/bin/env python
"""Read the configuration, build the app, synthesize. `cdktf synth` runs this file."""

import os
import sys
from pathlib import Path

from config import ConfigError, load_config, resolve_config_path
from config.loader import CONFIG_ENV_VAR

# cdktf.json runs `main.py --from-cdktf-cli`: every `cdktf synth/diff/deploy` must name its
# environment, because cdktf-cli 0.21 silently drops `--context` and would build the example.
FROM_CLI_FLAG = "--from-cdktf-cli"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    # Validate before cdktf loads: a broken file costs no jsii start-up and writes no output.
    try:
        path = chosen_config(_context_value("config"), from_cli=FROM_CLI_FLAG in args)
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


def chosen_config(context_value: str | None, *, from_cli: bool) -> Path:
    """The configuration file, chosen explicitly; refuses a missing or an ambiguous choice."""
    from_env = os.environ.get(CONFIG_ENV_VAR, "").strip()
    if from_cli and not from_env and not context_value:
        raise ConfigError(
            CONFIG_ENV_VAR,
            [
                "no environment chosen: the cdktf CLI builds whichever file "
                f"{CONFIG_ENV_VAR} names, and cdktf-cli 0.21 ignores `--context`; run e.g. "
                f"`{CONFIG_ENV_VAR}=config/example.yaml npx cdktf diff 'serving-prod-*'`"
            ],
        )
    if from_env and context_value:
        env_path, context_path = (Path.cwd() / value for value in (from_env, context_value))
        if env_path.resolve() != context_path.resolve():
            raise ConfigError(
                CONFIG_ENV_VAR,
                [
                    f"two environments chosen: {CONFIG_ENV_VAR}={from_env} and context "
                    f"config={context_value}; choose one"
                ],
            )
    return resolve_config_path(context_value)


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
