"""Read a configuration file (YAML or TOML) into a `ServiceConfig`, or explain every problem.

A `ConfigError` lists every problem at once, each as `<file>: <field path>: <what is wrong>;
<what would be valid>`, so a user fixes a file in one round trip. Callers print it and exit
non-zero; they never show a traceback.
"""

from __future__ import annotations

import difflib
import os
import tomllib
import types
import typing
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from config.models import ServiceConfig

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = PROJECT_ROOT / "config" / "example.yaml"
CONFIG_ENV_VAR = "SERVING_CONFIG"
SUFFIXES = (".yaml", ".yml", ".toml")


class ConfigError(Exception):
    """One or more problems with a configuration file, ready to show to a user."""

    def __init__(self, path: Path | str, problems: list[str]) -> None:
        self.path = str(path)
        self.problems = problems
        super().__init__(str(self))

    def __str__(self) -> str:
        count = len(self.problems)
        header = (
            f"error: {self.path}: {count} problem{'s' if count != 1 else ''} in the configuration"
        )
        lines = [f"  {self.path}: {p}" for p in self.problems]
        footer = "  (the configuration reference is in README.md, section 'Configuration')"
        return "\n".join([header, *lines, footer])


class _UniqueKeyLoader(yaml.SafeLoader):
    """A YAML loader that rejects a key given twice (PyYAML silently keeps the last one)."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> Any:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)  # type: ignore[no-untyped-call]
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"key '{key}' appears twice (first on line {seen[key] + 1}); keep one",
                key_node.start_mark,
            )
        seen[key] = key_node.start_mark.line
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _construct_mapping,  # type: ignore[arg-type]
)


def resolve_config_path(context_value: str | None = None) -> Path:
    """The file to read: `$SERVING_CONFIG`, else cdktf context `config`, else the example."""
    chosen = os.environ.get(CONFIG_ENV_VAR) or context_value
    if not chosen:
        return DEFAULT_CONFIG
    path = Path(chosen)
    return path if path.is_absolute() else Path.cwd() / path


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def read_document(path: Path) -> dict[str, Any]:
    shown = _display(path)
    if path.suffix not in SUFFIXES:
        raise ConfigError(shown, [f"unsupported file type '{path.suffix}'; use .yaml or .toml"])
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            shown,
            [
                f"file not found; point {CONFIG_ENV_VAR} at a configuration file, e.g. "
                "config/example.yaml"
            ],
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ConfigError(shown, [f"cannot read the file ({reason})"]) from None
    try:
        if path.suffix == ".toml":
            document: Any = tomllib.loads(text)
        else:
            document = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - safe loader subclass
    except (yaml.YAMLError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(
            shown, [f"not valid {path.suffix[1:].upper()}: {_one_line(exc)}"]
        ) from None
    if document is None or document == {}:
        raise ConfigError(shown, ["the file is empty; start from a copy of config/example.yaml"])
    if not isinstance(document, dict):
        raise ConfigError(
            shown,
            [f"the top level must be a mapping of settings, not a {type(document).__name__}"],
        )
    return document


def load_config(path: Path | None = None) -> ServiceConfig:
    """Parse and validate a configuration file; raise `ConfigError` listing every problem."""
    path = path or resolve_config_path()
    document = read_document(path)
    try:
        return ServiceConfig.model_validate(document)
    except ValidationError as exc:
        raise ConfigError(_display(path), describe_errors(exc)) from None


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())


def describe_errors(exc: ValidationError) -> list[str]:
    problems = []
    for error in exc.errors(include_url=False):
        loc, parent = _resolve(tuple(error["loc"]))
        problems.append(f"{_path(loc)}: {_message(error, loc, parent)}")
    return problems


def _path(loc: tuple[Any, ...]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "(top level)"


def _message(error: Any, loc: tuple[Any, ...], parent: type[BaseModel] | None) -> str:
    kind = error["type"]
    given = error.get("input")
    field = (
        parent.model_fields.get(loc[-1])
        if parent is not None and loc and isinstance(loc[-1], str)
        else None
    )
    if kind == "missing":
        hint = f" ({field.description})" if field is not None and field.description else ""
        return f"required field is missing; add it{hint}"
    if kind == "extra_forbidden":
        valid = sorted(parent.model_fields) if parent is not None else []
        close = difflib.get_close_matches(str(loc[-1]), valid, n=1)
        guess = f"did you mean '{close[0]}'? " if close else ""
        return f"unknown field; {guess}valid fields here: {', '.join(valid)}"
    if kind == "value_error":
        return str(error["msg"]).removeprefix("Value error, ")
    if kind == "string_pattern_mismatch":
        hint = f"; {field.description}" if field is not None and field.description else ""
        return f"{given!r} has the wrong format{hint}"
    if kind == "literal_error":
        return f"{given!r} is not allowed; {error['msg'].lower()}"
    if kind == "union_tag_invalid":
        ctx = error.get("ctx", {})
        return f"{ctx.get('tag')!r} is not a backend; set `backend` to one of {ctx.get('expected_tags')}"
    if kind == "union_tag_not_found":
        return "`backend` is missing; add `backend: s3` (S3 state) or `backend: cloud` (Terraform Cloud)"
    return f"{error['msg'].lower()} (got {given!r})"


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is not None:
        found: list[type[BaseModel]] = []
        for arg in typing.get_args(annotation):
            found += _models_in(arg)
        return found
    return []


def _tag_of(model: type[BaseModel]) -> str | None:
    field = model.model_fields.get("backend")
    if field is not None and typing.get_origin(field.annotation) is typing.Literal:
        return str(typing.get_args(field.annotation)[0])
    return None


def _resolve(loc: tuple[Any, ...]) -> tuple[tuple[Any, ...], type[BaseModel] | None]:
    """Drop discriminator tags from a location, and find the model holding its last field.

    pydantic reports a field of a tagged union as `state.s3.bucket`; users wrote `state.bucket`.
    """
    clean: list[Any] = []
    model: type[BaseModel] | None = ServiceConfig
    parent: type[BaseModel] | None = ServiceConfig
    index = 0
    while index < len(loc):
        part = loc[index]
        clean.append(part)
        parent = model
        if isinstance(part, int) or model is None:
            index += 1
            continue
        field = model.model_fields.get(part)
        members = _models_in(field.annotation) if field is not None else []
        if len(members) > 1 and index + 1 < len(loc):
            chosen = [m for m in members if _tag_of(m) == loc[index + 1]]
            if chosen:
                model = chosen[0]
                index += 2
                continue
        model = members[0] if members else None
        index += 1
    return tuple(clean), parent
