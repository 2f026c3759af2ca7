#!/usr/bin/env python
"""Read the configuration, build the app, synthesize. `cdktf synth` runs this file."""

import os
import sys
from pathlib import Path

from config import ConfigError, load_config, resolve_config_path
from config.loader import CONFIG_ENV_VAR

OUTDIR_ENV_VAR = "CDKTF_OUTDIR"

# cdktf.json runs `main.py --from-cdktf-cli`: every `cdktf synth/diff/deploy` must name its
# environment, because cdktf-cli 0.21 silently drops `--context` and would build the example.
FROM_CLI_FLAG = "--from-cdktf-cli"
# The deployed side of a change preview (config/changes.py): the file is checked against its
# schema only, as it was when deployed, so a rule added since does not stop the comparison.
SCHEMA_ONLY_FLAG = "--schema-only"
HELP = f"""usage: python main.py [{SCHEMA_ONLY_FLAG}]

Synthesize every stack of one environment into $CDKTF_OUTDIR (default: cdktf.out); `cdktf
synth/diff/deploy` run this file. The environment is the file ${CONFIG_ENV_VAR} names (default:
config/example.yaml). Exit 0: synthesized; 2: the configuration or the output folder is invalid.

  {SCHEMA_ONLY_FLAG}  check the file against its schema only (the base side of
                 `python -m config check NEW --since OLD`), not today's rules
"""


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if "-h" in args or "--help" in args:
        print(HELP, end="")
        return 0
    unknown = [a for a in args if a not in (FROM_CLI_FLAG, SCHEMA_ONLY_FLAG)]
    if unknown:
        print(
            f"main.py: unknown argument {unknown[0]!r}; see `python main.py --help`",
            file=sys.stderr,
        )
        return 2
    # Validate before cdktf loads: a broken file costs no jsii start-up and writes no output.
    try:
        path = chosen_config(_context_value("config"), from_cli=FROM_CLI_FLAG in args)
        if SCHEMA_ONLY_FLAG in args:
            from config.deployed import load_deployed_config

            config = load_deployed_config(path)
        else:
            config = load_config(path)
    except ConfigError as error:
        print(error, file=sys.stderr)
        return 2
    problem = output_folder_problem()
    if problem:
        print(f"error: {OUTDIR_ENV_VAR}: {problem}", file=sys.stderr)
        return 2

    from cdktf import App

    from stacks import build_app
    from stacks.summary import summary

    app = App()
    stacks = build_app(app, config)
    app.synth()
    print(summary(config, path, stacks, app.outdir))
    return 0


def output_folder_problem() -> str | None:
    """Why cdktf could not write the output folder (jsii would answer with a traceback)."""
    outdir = Path(os.environ.get(OUTDIR_ENV_VAR) or "cdktf.out")
    parent = outdir.absolute().parent
    problem = None
    if outdir.exists() and not outdir.is_dir():
        problem = f"{outdir} exists and is not a folder"
    elif not outdir.exists() and not parent.is_dir():
        problem = f"its parent folder {parent} does not exist; create it or choose another folder"
    elif not os.access(outdir if outdir.exists() else parent, os.W_OK):
        problem = f"{outdir if outdir.exists() else parent} is not writable"
    return f"output folder {outdir}: {problem}" if problem else None


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
