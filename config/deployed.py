"""A configuration as it was deployed: checked against the schema only, not today's rules.

The base branch's file in a pull request was accepted by the rules of its day. A rule added
since (a combination, a limit) must not block the pull request that fixes it, so the old side of
`python -m config check NEW --since OLD` is checked for structure and types only (the JSON Schema
`python -m config schema` prints) and built without the model's validators.
"""

from __future__ import annotations

import functools
import json
import types
import typing
from pathlib import Path
from typing import Any

import jsonschema
from pydantic import BaseModel

from config.loader import ConfigError, _bounded, _display, read_document
from config.models import ServiceConfig
from config.reference import json_schema


@functools.cache
def _validator() -> jsonschema.protocols.Validator:
    schema = json.loads(json_schema())
    cls = jsonschema.validators.validator_for(schema)
    validator: jsonschema.protocols.Validator = cls(schema)
    return validator


def load_deployed_config(path: Path) -> ServiceConfig:
    """`path` checked against the configuration's JSON Schema only; `ConfigError` otherwise."""
    document = read_document(path)
    errors = sorted(_validator().iter_errors(document), key=lambda e: list(map(str, e.path)))
    if errors:
        problems = [f"{_dotted(e.absolute_path) or '(top level)'}: {e.message}" for e in errors]
        raise ConfigError(_display(path), _bounded(problems))
    return _construct(ServiceConfig, document)  # type: ignore[return-value]


def _dotted(path: Any) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _construct(model: type[BaseModel], data: dict[str, Any]) -> BaseModel:
    """`model` from schema-valid `data` without its validators; nested models built likewise,
    defaults filled in by `model_construct`."""
    values = {}
    for name, field in model.model_fields.items():
        key = field.alias or name
        if key in data:
            values[name] = _value(field.annotation, data[key], field.discriminator)
    return model.model_construct(**values)


def _value(annotation: Any, value: Any, discriminator: Any = None) -> Any:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        inner, *extras = typing.get_args(annotation)
        found = next((getattr(e, "discriminator", None) for e in extras), None)
        return _value(inner, value, discriminator or found)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return _construct(annotation, value) if isinstance(value, dict) else value
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(annotation) if a is not type(None)]
        if value is None:
            return None
        models = [a for a in options if isinstance(a, type) and issubclass(a, BaseModel)]
        if isinstance(value, dict) and models:
            if isinstance(discriminator, str):
                for candidate in models:
                    tag = candidate.model_fields[discriminator].annotation
                    if value.get(discriminator) in typing.get_args(tag):
                        return _construct(candidate, value)
            return _construct(models[0], value)
        return value
    if origin is list and isinstance(value, list):
        (item,) = typing.get_args(annotation) or (Any,)
        return [_value(item, v) for v in value]
    if origin is dict and isinstance(value, dict):
        _, item = typing.get_args(annotation) or (Any, Any)
        return {k: _value(item, v) for k, v in value.items()}
    return value
