"""The JSON Schema of a genqemu config, derived from the models.

Editors that read JSON Schema for TOML (taplo, Even Better TOML) complete and
check keys with it; `genqemu schema` prints it. It says what the models say
about each key (type, choices, bounds, pattern, required, docs); rules
between keys and references between entries are checked by genqemu itself.
"""

from __future__ import annotations

import re
from typing import Any

from genqemu.schema import REQUIRED, Check, Model, Table, Tagged
from genqemu.values import Boolean, Integer, ListOf, MapOf, Scalar, Size, Text

SCHEMA_ID = "https://genqemu.invalid/config.schema.json"
_SIZE_PATTERN = r"^[0-9]+[KMGTPEkmgtpe]?$"


def _pattern(regex: re.Pattern[str]) -> str:
    """A Python pattern anchored for JSON Schema (ECMA-262): \\Z becomes $."""
    text = regex.pattern.replace("\\Z", "$")
    return text if text.startswith("^") else "^" + text


def check_schema(check: Check[Any]) -> dict[str, Any]:
    """The schema of one value."""
    if isinstance(check, Tagged):
        return {
            "oneOf": [
                model_schema(model, tag=(check.tag, name)) for name, model in check.models.items()
            ]
        }
    if isinstance(check, Table):
        return model_schema(check.model)
    if isinstance(check, ListOf):
        return {
            "type": "array",
            "items": check_schema(check.item),
            **({"minItems": check.min_len} if check.min_len else {}),
        }
    if isinstance(check, MapOf):
        return {
            "type": "object",
            "propertyNames": {"pattern": _pattern(check.key_pattern)},
            "additionalProperties": check_schema(check.value),
        }
    if isinstance(check, Boolean):
        return {"type": "boolean"}
    if isinstance(check, Size):
        return {
            "oneOf": [
                {"type": "integer", "minimum": check.min},
                {"type": "string", "pattern": _SIZE_PATTERN},
            ]
        }
    if isinstance(check, Integer):
        bounds = {"minimum": check.min, "maximum": check.max}
        return {"type": "integer", **{k: v for k, v in bounds.items() if v is not None}}
    if isinstance(check, Scalar):
        return {"type": ["string", "integer", "boolean"]}
    if isinstance(check, Text):
        schema: dict[str, Any] = {"type": "string"}
        if check.choices:
            schema["enum"] = list(check.choices)
        if check.pattern is not None:
            schema["pattern"] = _pattern(check.pattern)
        if check.max_len is not None:
            schema["maxLength"] = check.max_len
        return schema
    return {"type": ["string", "integer"]}  # UserOrId and other small unions


def model_schema(model: type[Model], tag: tuple[str, str] | None = None) -> dict[str, Any]:
    """The schema of a table; `tag` pins the discriminating key (kind = "virtio-blk")."""
    properties: dict[str, Any] = {}
    required: list[str] = []
    if tag is not None:
        properties[tag[0]] = {"const": tag[1]}
        required.append(tag[0])
    for name, field in model.fields.items():
        properties[name] = {"description": field.doc, **check_schema(field.check)}
        if field.default is REQUIRED:
            required.append(name)
    schema: dict[str, Any] = {
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
    }
    if model.__doc__:
        schema["description"] = " ".join(model.__doc__.split())
    if required:
        schema["required"] = required
    return schema


def config_schema() -> dict[str, Any]:
    """The whole config's schema (draft 2020-12)."""
    from genqemu.config import Config

    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "genqemu VM description",
        **model_schema(Config),
    }
