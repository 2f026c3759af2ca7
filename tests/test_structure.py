"""The project's shape, read from the source with `ast`: dependencies run one way, no cycles,
no function over 80 lines and no file over 700.

Every import counts, including those under `if TYPE_CHECKING:` and inside functions: a cycle
hidden there is still a cycle for the next reader.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = (
    "config",
    "constructs_lib",
    "stacks",
    "functions",
    "plan_safety",
    "emulator",
    "tools",
    "tests",
)
# What each top-level package may import from the project (besides itself).
ALLOWED = {
    # The change preview judges protected resources exactly as the plan verdict does: it reuses
    # plan_safety's list and matching (plan_safety is standard library only, a leaf).
    "config": {"plan_safety"},
    "constructs_lib": {"config"},
    "stacks": {"constructs_lib", "config"},
    "functions": set(),
    "plan_safety": set(),
    "operations": {"config"},
    "main": {"config", "stacks"},
    "emulator": {"config", "constructs_lib", "stacks", "operations"},
    "tools": {
        "config",
        "constructs_lib",
        "stacks",
        "plan_safety",
        "emulator",
        "functions",
        "operations",
    },
    # Tests exercise the tools too (a tool is code under test); tools never import tests.
    "tests": {
        "config",
        "constructs_lib",
        "stacks",
        "plan_safety",
        "emulator",
        "functions",
        "main",
        "operations",
        "tools",
    },
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def project_modules() -> dict[str, Path]:
    found = {"main": ROOT / "main.py"}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            found[_module_name(path)] = path
    return found


def _imported(module: str, path: Path) -> Iterator[tuple[str, int]]:
    """(project module, line) for every import in `path`, wherever it stands."""
    modules = project_modules()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # `from package import submodule` depends on the submodule itself.
            targets = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                for alias in node.names
            ]
        else:
            continue
        for target in targets:
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != module:
                yield target, node.lineno


@cache
def import_graph() -> dict[str, dict[str, int]]:
    return {module: dict(_imported(module, path)) for module, path in project_modules().items()}


def _top(module: str) -> str:
    return module.split(".")[0]


def test_the_scan_sees_the_project() -> None:
    graph = import_graph()
    assert "config.loader" in graph["main"]
    assert "constructs_lib" in graph["stacks"]


def test_packages_import_only_the_layers_below_them() -> None:
    wrong = [
        f"{project_modules()[module].relative_to(ROOT)}:{line} imports {target}"
        for module, targets in import_graph().items()
        for target, line in targets.items()
        if _top(target) != _top(module) and _top(target) not in ALLOWED[_top(module)]
    ]
    assert wrong == []


def _cycles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, {}):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_module_imports_itself_through_others() -> None:
    # A package's __init__ re-exporting its submodules is not a cycle by itself: leave out
    # edges into a package __init__ from its own submodules.
    graph = {
        module: {
            target: line for target, line in targets.items() if not module.startswith(f"{target}.")
        }
        for module, targets in import_graph().items()
    }
    assert _cycles(graph) == []


@pytest.mark.parametrize(
    ("graph", "expected"),
    [
        ({"a": {"b": 1}, "b": {"a": 1}}, [["a", "b"]]),
        ({"a": {"b": 1}, "b": {}}, []),
    ],
)
def test_the_cycle_finder_finds_cycles(
    graph: dict[str, dict[str, int]], expected: list[list[str]]
) -> None:
    assert _cycles(graph) == expected


MAX_FUNCTION_LINES = 80
MAX_FILE_LINES = 700


def _sources() -> list[Path]:
    return sorted(project_modules().values())


def test_no_function_is_longer_than_a_screen() -> None:
    too_long = {}
    for path in _sources():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                key = f"{path.relative_to(ROOT)}::{node.name}"
                if lines > MAX_FUNCTION_LINES:
                    too_long[key] = lines
    assert too_long == {}


def test_no_file_is_longer_than_700_lines() -> None:
    too_long = {}
    for path in _sources():
        key = str(path.relative_to(ROOT))
        lines = len(path.read_text().splitlines())
        if lines > MAX_FILE_LINES:
            too_long[key] = lines
    assert too_long == {}
