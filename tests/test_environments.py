"""README's commands for choosing an environment, run exactly as written.

The cdktf CLI is replaced by a stand-in that does what cdktf-cli 0.21 does with these commands:
it runs cdktf.json's `app` with `CDKTF_OUTDIR` set, drops `--context` (0.21 never hands it to
the app), and selects stacks from `manifest.json` by pattern, failing when none matches. It plans
nothing. `pipenv run` runs the command in this interpreter.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "docs" / "configuration.md"  # its choose-environment block
BLOCK = re.compile(
    r"<!-- choose-environment:begin -->\n```sh\n(.*?)```\n<!-- choose-environment:end -->",
    re.DOTALL,
)

STAGING = "config/environments/staging.yaml"
PRODUCTION = "config/environments/production.yaml"
# Pages whose commands name configuration files; each file they name must be in the repository.
COMMAND_PAGES = [
    ROOT / "README.md",
    ROOT / "docs" / "configuration.md",
    ROOT / "docs" / "operations.md",
]
NAMED_CONFIG = re.compile(
    r"(?:SERVING_CONFIG=|--context config=|python -m config check |--config )(config/\S+\.ya?ml)"
)

FAKE_CDKTF = """\
import fnmatch, json, os, shlex, subprocess, sys

_, command, *rest = sys.argv[1:]
patterns, skip = [], False
for arg in rest:
    if skip:
        skip = False
    elif arg == "--context":
        skip = True  # cdktf-cli 0.21 accepts --context and never passes it on
    elif not arg.startswith("--"):
        patterns.append(arg)
outdir = os.path.abspath("cdktf.out")
app = json.load(open("cdktf.json"))["app"]
code = subprocess.call(shlex.split(app), env={**os.environ, "CDKTF_OUTDIR": outdir})
if code:
    sys.exit(code)
stacks = sorted(json.load(open(os.path.join(outdir, "manifest.json")))["stacks"])
if command == "synth":
    print("synthesized:", " ".join(stacks))
    sys.exit(0)
selected = [s for s in stacks if any(fnmatch.fnmatchcase(s, p) for p in patterns)]
if not selected:
    sys.exit(f"Could not find stacks matching {patterns}; found: {stacks}")
print(f"{command}:", " ".join(selected))
"""
FAKE_PIPENV = """\
import os, sys

assert sys.argv[1] == "run", sys.argv
command = sys.argv[2:]
if command[0] == "python":
    command[0] = sys.executable
os.execv(command[0], command)
"""


def readme_commands() -> list[tuple[str, str]]:
    """(command, comment) for each line of README's choose-environment block."""
    found = BLOCK.search(README.read_text())
    assert found, "README.md lost its choose-environment block"
    lines = []
    for line in found.group(1).splitlines():
        command, _, comment = line.partition("#")
        lines.append((command.strip(), comment.strip()))
    return lines


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the project, its environment files included."""
    root = tmp_path_factory.mktemp("project")
    for name in ("main.py", "cdktf.json"):
        shutil.copy2(ROOT / name, root / name)
    shutil.copytree(ROOT / "config", root / "config", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("stacks", "constructs_lib", "functions"):
        (root / name).symlink_to(ROOT / name)
    bin_dir = root / "bin"
    bin_dir.mkdir()
    for name, source in (("npx", FAKE_CDKTF), ("pipenv", FAKE_PIPENV)):
        script = bin_dir / name
        # `npx cdktf …`: the stand-in takes cdktf's arguments after its own name.
        script.write_text(f"#!{sys.executable}\n{source}")
        script.chmod(0o755)
    return root


def test_readme_block_covers_both_choices_and_the_refusals() -> None:
    commands = readme_commands()
    assert any(c.startswith(f"SERVING_CONFIG={STAGING} ") for c, _ in commands)
    assert any(c.startswith(f"SERVING_CONFIG={PRODUCTION} ") for c, _ in commands)
    assert any("--context" in c for c, _ in commands)
    assert sum(comment.startswith("fails") for _, comment in commands) >= 2


@pytest.mark.slow  # each runs main.py in a subprocess, as the cdktf CLI would
@pytest.mark.parametrize(("command", "comment"), readme_commands(), ids=lambda v: v or "-")
def test_readme_command_picks_the_named_environment_or_fails_loudly(
    command: str, comment: str, project: Path
) -> None:
    env = {**os.environ, "PATH": f"{project / 'bin'}{os.pathsep}{os.environ['PATH']}"}
    env.pop("SERVING_CONFIG", None)
    env.pop("CDKTF_CONTEXT_JSON", None)
    shutil.rmtree(project / "cdktf.out", ignore_errors=True)

    result = subprocess.run(
        ["bash", "-c", command],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )

    output = result.stdout + result.stderr
    if comment.startswith("fails"):
        assert result.returncode != 0, output
        reason = comment.removeprefix("fails:").strip()
        expected = {
            "no such stack": "Could not find stacks matching",
            "no environment chosen": "no environment chosen",
        }[reason]
        assert expected in output
        return
    assert result.returncode == 0, output
    chosen = re.match(r"SERVING_CONFIG=(\S+) ", command)
    assert chosen, "a command that succeeds names its environment"
    environment = yaml.safe_load((project / chosen.group(1)).read_text())["environment"]
    stacks = result.stdout.strip().splitlines()[-1].split(":", 1)[1].split()
    assert stacks
    for stack in stacks:
        assert f"-{environment}" in stack, (stack, environment)


def test_config_check_checks_the_named_file_even_with_serving_config_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from config.__main__ import main as config_cli

    example = yaml.safe_load((ROOT / "config" / "example.yaml").read_text())
    staging = tmp_path / "staging.yaml"
    staging.write_text(yaml.safe_dump({**example, "environment": "staging"}, sort_keys=False))
    monkeypatch.setenv("SERVING_CONFIG", str(ROOT / "config" / "example.yaml"))

    assert config_cli(["check", str(staging)]) == 0
    assert "valid (serving-staging," in capsys.readouterr().out


def test_every_configuration_the_docs_commands_name_exists() -> None:
    named = {
        (page.name, path)
        for page in COMMAND_PAGES
        for path in NAMED_CONFIG.findall(page.read_text())
    }
    assert {path for _, path in named} >= {STAGING, PRODUCTION}
    assert sorted((page, path) for page, path in named if not (ROOT / path).is_file()) == []


@pytest.mark.parametrize("path", [STAGING, PRODUCTION])
def test_environment_file_passes_the_config_check(
    path: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from config.__main__ import main as config_cli

    assert config_cli(["check", str(ROOT / path)]) == 0, capsys.readouterr().err
    environment = yaml.safe_load((ROOT / path).read_text())["environment"]
    assert f"valid (serving-{environment}," in capsys.readouterr().out


def test_staging_is_its_own_smaller_but_redundant_service() -> None:
    staging, production = (yaml.safe_load((ROOT / p).read_text()) for p in (STAGING, PRODUCTION))
    assert staging["environment"] != production["environment"]
    assert staging["domain"]["record_name"] != production["domain"]["record_name"]
    assert staging["state"] != production["state"]  # its own state and lock
    assert staging["endpoint"]["min_instance_count"] >= 2
    assert staging["endpoint"]["max_instance_count"] <= production["endpoint"]["max_instance_count"]
