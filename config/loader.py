"""Read a configuration file (YAML or TOML) into a `ServiceConfig`, or explain every problem.

A `ConfigError` lists every problem at once, each as `<file>: <field path>: <what is wrong>;
<what would be valid>`, so a user fixes a file in one round trip. Callers print it and exit
non-zero; they never show a traceback.
"""

from __future__ import annotations

import codecs
import difflib
import errno
import os
import re
import stat
import tomllib
import types
import typing
from collections.abc import Hashable
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from config import yaml_safety
from config.models import ServiceConfig

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = PROJECT_ROOT / "config" / "example.yaml"
CONFIG_ENV_VAR = "SERVING_CONFIG"
SUFFIXES = (".yaml", ".yml", ".toml")
# The example is about 2 KB; anything near a megabyte is not a configuration.
MAX_FILE_BYTES = 1024 * 1024
MAX_PROBLEMS = 50
_PLAIN_KEY = re.compile(r"^[A-Za-z0-9_-]{1,60}$")
MAX_LINE = 400


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
        footer = "  (the configuration reference is in docs/configuration.md)"
        return "\n".join([header, *lines, footer])


class _UniqueKeyLoader(yaml.SafeLoader):  # type: ignore[misc]  # PyYAML ships no types
    """A YAML loader that rejects a key given twice (PyYAML silently keeps the last one)."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> Any:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if not isinstance(key, Hashable):
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"a key must be a plain value, not a {type(key).__name__}",
                key_node.start_mark,
            )
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
    _construct_mapping,
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
    except (ValueError, OSError, RuntimeError):  # RuntimeError: a symbolic link loop
        return str(path)


def _read_bytes(path: Path, shown: str) -> bytes:
    """The file's bytes, or one line saying why it cannot be a configuration file."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise ConfigError(
            shown,
            [
                f"file not found; point {CONFIG_ENV_VAR} at a configuration file, e.g. "
                "config/example.yaml"
            ],
        ) from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            reason = "a symbolic link loop: the link points back to itself"
        else:
            reason = exc.strerror or str(exc)
        raise ConfigError(shown, [f"cannot read the file ({reason})"]) from None
    if stat.S_ISDIR(info.st_mode):
        raise ConfigError(
            shown, ["cannot read the file (it is a directory); point at a .yaml or .toml file"]
        )
    if not stat.S_ISREG(info.st_mode):
        # Devices (/dev/zero), pipes and sockets never end or block: never open them.
        raise ConfigError(
            shown,
            ["cannot read the file (not a regular file, e.g. a device or pipe); use a file"],
        )
    if info.st_size > MAX_FILE_BYTES:
        raise ConfigError(shown, [_too_big(info.st_size)])
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise ConfigError(shown, [f"cannot read the file ({exc.strerror or exc})"]) from None
    if len(data) > MAX_FILE_BYTES:
        raise ConfigError(shown, [_too_big(len(data))])
    return data


def _too_big(size: int) -> str:
    return (
        f"the file is {size:,} bytes; a configuration is at most {MAX_FILE_BYTES:,} "
        "(the example is about 2,000)"
    )


def _decode(data: bytes, suffix: str, shown: str) -> str:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_LE)) or (
        b"\x00" in data[:200]
    ):
        raise ConfigError(
            shown, ["the file is UTF-16 or UTF-32 text; save it as UTF-8 (without byte-order mark)"]
        )
    if data.startswith(codecs.BOM_UTF8):
        if suffix == ".toml":
            raise ConfigError(
                shown,
                [
                    "the file starts with a byte-order mark, which TOML does not allow; save it "
                    "as UTF-8 without BOM"
                ],
            )
        data = data[len(codecs.BOM_UTF8) :]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            shown,
            [
                f"the file is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset "
                f"{exc.start}); save it as UTF-8"
            ],
        ) from None


def read_document(path: Path) -> dict[str, Any]:
    return _read(path)[0]


def _read(path: Path) -> tuple[dict[str, Any], dict[str, str]]:
    """The document, and where YAML 1.1 turned an unquoted yes/no/on/off into a boolean."""
    shown = _display(path)
    if path.suffix not in SUFFIXES:
        raise ConfigError(
            shown, [f"unsupported file type '{_short(path.suffix)}'; use .yaml or .toml"]
        )
    text = _decode(_read_bytes(path, shown), path.suffix, shown)
    traps: dict[str, str] = {}
    if path.suffix == ".toml":
        document: Any = _load_toml(text, shown)
    else:
        document, traps = _load_yaml(text, shown)
    if document is None or document == {}:
        raise ConfigError(shown, ["the file is empty; start from a copy of config/example.yaml"])
    if not isinstance(document, dict):
        raise ConfigError(
            shown,
            [f"the top level must be a mapping of settings, not a {type(document).__name__}"],
        )
    problems = yaml_safety.number_problems(document)
    if problems:
        raise ConfigError(shown, _bounded(problems))
    return document, traps


def _load_yaml(text: str, shown: str) -> tuple[Any, dict[str, str]]:
    try:
        return yaml_safety.load(text, _UniqueKeyLoader)
    except yaml_safety.YamlProblem as exc:
        raise ConfigError(shown, _bounded(exc.problems)) from None
    except yaml.YAMLError as exc:
        raise ConfigError(shown, [f"not valid YAML: {_short(_one_line(exc), 300)}"]) from None
    except ValueError as exc:  # e.g. an integer of more than 4,300 digits
        raise ConfigError(shown, [f"not valid YAML: {_short(_one_line(exc), 200)}"]) from None
    except RecursionError:
        raise ConfigError(shown, [yaml_safety.too_deep()]) from None


def _load_toml(text: str, shown: str) -> Any:
    try:
        document = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, ValueError) as exc:
        raise ConfigError(shown, [f"not valid TOML: {_short(_one_line(exc), 300)}"]) from None
    except RecursionError:
        raise ConfigError(shown, [yaml_safety.too_deep()]) from None
    if yaml_safety.depth(document) > yaml_safety.MAX_DEPTH:
        raise ConfigError(shown, [yaml_safety.too_deep()])
    return document


def load_config(path: Path | None = None) -> ServiceConfig:
    """Parse and validate a configuration file; raise `ConfigError` listing every problem."""
    path = path or resolve_config_path()
    document, traps = _read(path)
    try:
        return ServiceConfig.model_validate(document)
    except ValidationError as exc:
        problems = describe_errors(exc)
        problems = [_with_trap_hint(p, traps) for p in problems]
        raise ConfigError(_display(path), _bounded(problems)) from None
    except RecursionError:
        raise ConfigError(_display(path), [yaml_safety.too_deep()]) from None


def _with_trap_hint(problem: str, traps: dict[str, str]) -> str:
    field = problem.split(": ", 1)[0]
    for path, word in traps.items():
        if field == path or field.startswith((path + ".", path + "[", path + " ")):
            return (
                f"{problem} (YAML 1.1 reads unquoted `{word}` as a boolean: write '{word}' in "
                "quotes if you mean the word)"
            )
    return problem


def _bounded(problems: list[str]) -> list[str]:
    """At most MAX_PROBLEMS lines, none longer than MAX_LINE: never print an unbounded value."""
    shown = [_printable(_short_message(p, MAX_LINE)) for p in problems[:MAX_PROBLEMS]]
    if len(problems) > MAX_PROBLEMS:
        shown.append(f"… and {len(problems) - MAX_PROBLEMS} more problems")
    return shown


def _printable(text: str) -> str:
    """Control characters escaped: a value never moves the cursor or recolours the terminal."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _short(text: str, limit: int = 80) -> str:
    """`text`, or its head and tail around a note of what was cut (a message's fix is last)."""
    if len(text) <= limit:
        return text
    head, tail = limit * 3 // 5, limit // 3
    return f"{text[:head]}… ({len(text) - head - tail:,} characters cut) …{text[-tail:]}"


def _short_message(text: str, limit: int) -> str:
    """A problem line within `limit`, keeping its numbers (a limit, a count, a duration): long
    tokens (a pasted value) are shortened first, then digit-free words from the middle, and
    only then characters."""
    if len(text) <= limit:
        return text
    words = [_short(word, 40) for word in text.split(" ")]
    # The field path leads and the fix ends a message: words are dropped between them.
    first = next((i for i, w in enumerate(words) if w.endswith(":")), 0) + 1
    fix = next((i for i, w in enumerate(reversed(words)) if w.endswith(";")), -1)
    last = max(first, len(words) - fix - 1)
    dropped: set[int] = set()
    for index in range(last - 1, first - 1, -1):
        if len(_joined(words, dropped)) <= limit:
            break
        if not any(c.isdigit() for c in words[index]):
            dropped.add(index)
    return _short(_joined(words, dropped), limit)


def _joined(words: list[str], dropped: set[int]) -> str:
    kept: list[str] = []
    for index, word in enumerate(words):
        if index not in dropped:
            kept.append(word)
        elif not kept or kept[-1] != "…":
            kept.append("…")
    return " ".join(kept)


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())


def describe_errors(exc: ValidationError) -> list[str]:
    problems = []
    for error in exc.errors(include_url=False, include_input=True):
        if error["type"] in (
            "aws_limits",
            "serving_combination",
            "no_region",
            "authentication_required",
        ):
            ctx = error.get("ctx", {})
            problems += [f"{path}: {message}" for path, message in ctx.get("problems", [])]
            continue
        loc, parent = _resolve(tuple(error["loc"]))
        problems.append(f"{_path(loc)}: {_message(error, loc, parent)}")
    return problems


def _path(loc: tuple[Any, ...]) -> str:
    text = ""
    for part in loc:
        if part == "[key]":  # pydantic's marker for a map's key
            text += " (key)"
        elif isinstance(part, int) and not isinstance(part, bool):
            text += f"[{part}]"
        elif isinstance(part, str) and _PLAIN_KEY.match(part):
            text += f".{part}" if text else part
        else:  # a key the user wrote that is not a plain name: shown quoted
            text += f"[{_short(repr(part), 40)}]"
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
        return f"{_short(repr(given))} has the wrong format{hint}"
    if kind == "literal_error":
        return f"{_short(repr(given))} is not allowed; {_sentence_case(error['msg'])}"
    if kind == "union_tag_invalid":
        ctx = error.get("ctx", {})
        return f"{_short(repr(ctx.get('tag')))} is not a backend; set `backend` to one of {ctx.get('expected_tags')}"
    if kind == "union_tag_not_found":
        return "`backend` is missing; add `backend: s3` (S3 state) or `backend: cloud` (Terraform Cloud)"
    return f"{_sentence_case(error['msg'])} (got {_short(repr(given))})"


def _sentence_case(message: str) -> str:
    """pydantic's "Input should be 'RS256', …" as a clause: only its first letter lowered, so
    the values it quotes keep their case (`RS256`, `EdDSA`, as the file must spell them)."""
    return message[:1].lower() + message[1:]


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
