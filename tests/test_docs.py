"""The README stays short and points into docs/; every link in them resolves; generated blocks
are the generators' output."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from config.diagram import BEGIN, END, diagram_block, mermaid
from config.loader import load_config
from tests.test_hostile_configs import ACCEPTED, FILES, REFUSED, SPECIAL

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))
README_MAX_LINES = 400
LINK = re.compile(r"\]\(([^)\s]+)\)")
CODE = re.compile(r"```.*?```|`[^`\n]*`", re.DOTALL)
SHIPPED_CONFIGS = [ROOT / "config" / "example.yaml", *sorted((ROOT / "config").glob("*/*.yaml"))]


def github_anchor(heading: str) -> str:
    """GitHub's anchor for a Markdown heading: lowercase, punctuation dropped, spaces to `-`."""
    text = heading.strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    return {
        github_anchor(line.lstrip("#"))
        for line in path.read_text().splitlines()
        if line.startswith("#")
    }


def test_readme_is_at_most_400_lines() -> None:
    lines = README.read_text().splitlines()
    assert len(lines) <= README_MAX_LINES, f"README.md has {len(lines)} lines"


def test_readme_links_every_docs_page() -> None:
    text = README.read_text()
    missing = [doc.name for doc in DOCS if f"(docs/{doc.name}" not in text]
    assert not missing, f"README.md does not link {missing}"


@pytest.mark.parametrize("page", [README, *DOCS], ids=lambda p: p.name)
def test_relative_links_and_anchors_resolve(page: Path) -> None:
    broken = []
    for target in LINK.findall(CODE.sub("", page.read_text())):
        if target.startswith(("http://", "https://", "mailto:")):
            continue
        file_part, _, anchor = target.partition("#")
        linked = (page.parent / file_part).resolve() if file_part else page
        if not linked.exists() or (
            anchor and linked.suffix == ".md" and anchor not in anchors(linked)
        ):
            broken.append(target)
    assert not broken, f"{page.name}: broken links {broken}"


def test_architecture_diagram_is_the_examples() -> None:
    text = (ROOT / "docs" / "ARCHITECTURE.md").read_text()
    start, end = text.index(BEGIN), text.index(END) + len(END)
    example = load_config(ROOT / "config" / "example.yaml")
    assert text[start:end] == diagram_block(example), (
        "docs/ARCHITECTURE.md's diagram is stale: paste `pipenv run python -m config diagram "
        "config/example.yaml` between its markers"
    )


@pytest.mark.parametrize("path", SHIPPED_CONFIGS, ids=lambda p: p.name)
def test_diagram_draws_every_stack_and_variant(path: Path) -> None:
    config = load_config(path)
    picture = mermaid(config)
    for region in config.stack_regions:
        assert f'["stack {config.stack_name(region)}' in picture
        assert f"latency record {region}, health-checked" in picture
    for variant in config.serving_variants:
        assert f"variant {variant.name}<br/>" in picture


@pytest.mark.slow
def test_diagram_command_prints_it() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "config", "diagram", "config/example.yaml"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == mermaid(load_config(ROOT / "config" / "example.yaml"))


def test_the_docs_count_what_the_hostile_tables_hold() -> None:
    text = " ".join((ROOT / "docs" / "testing.md").read_text().split())
    special = len(SPECIAL) + 1  # and /dev/zero itself
    total = len(REFUSED) + len(FILES) + special + len(ACCEPTED)
    for claim in (
        f"`tests/test_hostile_configs.py`): {total} cases",
        f"{len(REFUSED)} values beyond an AWS limit",
        f"{len(FILES)} hostile files",
        f"{special} special files",
        f"{len(ACCEPTED)} legal but unusual values",
    ):
        assert claim in text, claim
