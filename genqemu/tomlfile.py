"""Reading TOML files into plain dicts, with errors that name line and column;
and how genqemu spells a TOML value (import's output, the docs' defaults)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import tomli  # the standard library's tomllib, about 3x faster

from genqemu.errors import ConfigError, GenqemuError, unreadable


def read_toml(path: Path | str) -> dict[str, Any]:
    """Parse the TOML file at `path`; any failure is a GenqemuError."""
    name = str(path)
    try:
        data = Path(path).read_bytes()
    except PermissionError:
        raise GenqemuError(f"{name}: permission denied") from None
    except OSError as error:
        if isinstance(error, FileNotFoundError) and Path(path).is_symlink():
            target = str(Path(path).readlink())
            raise GenqemuError(
                f"{name}: is a symlink to {target!r}, which does not exist"
            ) from None
        raise unreadable(name, error, "a TOML file") from None
    return parse_toml(data, name)


def parse_toml(data: bytes, name: str) -> dict[str, Any]:
    """Parse TOML bytes read from `name`."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        row = data.count(b"\n", 0, error.start) + 1
        raise ConfigError(
            name, [("", f"line {row}: not UTF-8 text (byte {error.start})")]
        ) from None
    text = text.removeprefix("\ufeff")  # a byte order mark some editors write
    try:
        return tomli.loads(text)
    except tomli.TOMLDecodeError as error:
        where = f"line {error.lineno}, column {error.colno}: " if error.lineno else ""
        raise ConfigError(name, [("", f"{where}invalid TOML: {error.msg}")]) from None


class HexInt(int):
    """An integer TOML writes in hex (0x8086): one the input wrote that way."""


_BARE = r"[A-Za-z0-9_-]+"
_LITERAL = r"[^'\x00-\x1f\x7f]*"


def toml_key(name: str) -> str:
    """A key: bare where TOML allows, else a quoted string."""
    import json

    return name if re.fullmatch(_BARE, name) else json.dumps(name, ensure_ascii=False)


def toml_value(value: Any) -> str:
    """A value on one line: strings quoted, tables inline, HexInt in hex."""
    import json

    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, HexInt):
        return hex(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        if ('"' in value or "\\" in value) and re.fullmatch(_LITERAL, value):
            return f"'{value}'"  # a literal string: JSON arguments stay readable
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    if isinstance(value, Mapping):
        if not value:
            return "{}"
        return "{ " + ", ".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"cannot write {value!r} as TOML")  # pragma: no cover - our bug
