"""Read YAML without the ways YAML hurts: alias bombs, deep nesting, YAML 1.1's number and
boolean traps, integers no AWS API takes.

PyYAML shares an aliased node instead of copying it, so a "billion laughs" file loads quickly;
what hangs is everything after (validation walks, error messages render every copy). The
expanded size is therefore counted on the node graph before anything is built from it.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from config.aws_limits import INT32_MAX

# The example nests 4 deep and has about 100 values.
MAX_DEPTH = 32
MAX_ALIASES = 100
MAX_EXPANDED_NODES = 50_000

# YAML 1.1 (PyYAML) reads these plain scalars as booleans; only true/false are meant as such.
_BOOLEAN_WORDS = re.compile(r"^(yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF|y|Y|n|N)$")
_INT_TAG = "tag:yaml.org,2002:int"
_FLOAT_TAG = "tag:yaml.org,2002:float"
_BOOL_TAG = "tag:yaml.org,2002:bool"


class YamlProblem(Exception):
    """Problems found while reading; the loader turns them into a `ConfigError`."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def too_deep() -> str:
    return f"the file nests more than {MAX_DEPTH} levels deep; a configuration needs about 4"


def load(text: str, loader_class: type[yaml.SafeLoader]) -> tuple[Any, dict[str, str]]:
    """The document, and the paths where an unquoted yes/no/on/off became a boolean.

    Raises `YamlProblem` (bounded, one line per problem) or `yaml.YAMLError`.
    """
    _check_events(text)
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, {}
        traps: dict[str, str] = {}
        problems: list[str] = []
        _Walk(traps, problems).size(node, "")
        if problems:
            raise YamlProblem(problems)
        document = loader.construct_document(node)
    finally:
        loader.dispose()
    return document, traps


def _check_events(text: str) -> None:
    """Nesting depth and alias count from the event stream, which PyYAML parses without recursion
    (its composer recurses: a deep file would otherwise end in a RecursionError)."""
    depth = aliases = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise YamlProblem([too_deep()])
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
        elif isinstance(event, yaml.AliasEvent):
            aliases += 1
            if aliases > MAX_ALIASES:
                raise YamlProblem(
                    [
                        f"more than {MAX_ALIASES} aliases (*name); a configuration needs few or "
                        "none: write the values out"
                    ]
                )


class _Walk:
    def __init__(self, traps: dict[str, str], problems: list[str]) -> None:
        self.traps = traps
        self.problems = problems
        self.sizes: dict[int, int] = {}
        self.open: set[int] = set()

    def size(self, node: yaml.Node, path: str) -> int:
        """Nodes under `node` with every alias expanded (each node's size is counted once)."""
        key = id(node)
        if key in self.sizes:
            size = self.sizes[key]
        elif key in self.open:
            self.problems.append(
                f"{path or '(top level)'}: an alias refers to a value that contains it; "
                "write the value out"
            )
            raise YamlProblem(self.problems)
        else:
            self.open.add(key)
            size = 1 + self._children(node, path)
            self.open.discard(key)
            self.sizes[key] = size
            if isinstance(node, yaml.ScalarNode):
                self._traps(node, path)
        if size > MAX_EXPANDED_NODES:
            self.problems.append(
                f"{path or '(top level)'}: aliases expand to more than {MAX_EXPANDED_NODES:,} "
                "values (an alias bomb?); write the values out"
            )
            raise YamlProblem(self.problems)
        return size

    def _children(self, node: yaml.Node, path: str) -> int:
        if isinstance(node, yaml.SequenceNode):
            return sum(self.size(item, f"{path}[{i}]") for i, item in enumerate(node.value))
        if isinstance(node, yaml.MappingNode):
            total = 0
            for key_node, value_node in node.value:
                name = _key_text(key_node)
                child = (
                    f"{path}{name}" if name.startswith("[") else f"{path}.{name}" if path else name
                )
                if isinstance(key_node, yaml.ScalarNode):
                    self._traps(key_node, child)
                total += self.size(key_node, child) + self.size(value_node, child)
            return total
        return 0

    def _traps(self, node: yaml.ScalarNode, path: str) -> None:
        if node.style is not None:
            return  # quoted: read as written
        shown = path or "(top level)"
        if node.tag in (_INT_TAG, _FLOAT_TAG) and ":" in node.value:
            self.problems.append(
                f"{shown}: `{node.value[:40]}` is read by YAML 1.1 as a base-60 number "
                f"({_sexagesimal(node.value)}); quote it ('{node.value[:40]}') if you mean text, "
                "or write the number you mean"
            )
        elif node.tag == _BOOL_TAG and _BOOLEAN_WORDS.match(node.value):
            self.traps[path] = node.value


def _key_text(node: yaml.Node) -> str:
    if not isinstance(node, yaml.ScalarNode):
        return "(key)"
    if node.style is None and node.tag == _BOOL_TAG:
        # pydantic reports a boolean key as an index: `tags[1] (key)` for `on:`.
        return "[1]" if node.value.lower() in ("yes", "y", "on", "true") else "[0]"
    return str(node.value)[:60]


def _sexagesimal(text: str) -> str:
    sign = -1 if text.startswith("-") else 1
    digits = text.lstrip("+-").replace("_", "")
    whole, _, fraction = digits.partition(".")
    value = 0.0
    for part in whole.split(":"):
        value = value * 60 + int(part or 0)
    if fraction:
        value += float(f"0.{fraction}")
    return f"{sign * value:g}"


def depth(document: Any) -> int:
    """Nesting depth of a loaded document, counted without recursion."""
    deepest = 0
    stack = [(document, 1)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, dict | list):
            deepest = max(deepest, level)
            if level > MAX_DEPTH:
                return level
            children = node.values() if isinstance(node, dict) else node
            stack += [(child, level + 1) for child in children]
    return deepest


def number_problems(document: Any) -> list[str]:
    """Integers beyond the 32-bit range every AWS API's integers have."""
    problems: list[str] = []
    stack: list[tuple[str, Any]] = [("", document)]
    while stack and len(problems) < 10:
        path, node = stack.pop()
        if isinstance(node, dict):
            stack += [(f"{path}.{k}" if path else str(k), v) for k, v in node.items()]
        elif isinstance(node, list):
            stack += [(f"{path}[{i}]", v) for i, v in enumerate(node)]
        elif isinstance(node, int) and not isinstance(node, bool) and abs(node) > INT32_MAX:
            text = str(node)
            shown = text if len(text) <= 20 else f"a {len(text)}-digit number"
            problems.append(
                f"{path}: {shown} is beyond the 32-bit integers AWS APIs take (at most "
                f"{INT32_MAX:,}); use a smaller number"
            )
    return sorted(problems)
