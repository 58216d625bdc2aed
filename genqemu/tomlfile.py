"""Reading TOML files into plain dicts, with errors that name line and column."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import tomli  # the standard library's tomllib, about 3x faster

from genqemu.errors import ConfigError, GenqemuError


def read_toml(path: Path | str) -> dict[str, Any]:
    """Parse the TOML file at `path`; any failure is a GenqemuError."""
    name = str(path)
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        if Path(path).is_symlink():
            target = str(Path(path).readlink())
            raise GenqemuError(
                f"{name}: is a symlink to {target!r}, which does not exist"
            ) from None
        raise GenqemuError(f"{name}: no such file") from None
    except IsADirectoryError:
        raise GenqemuError(f"{name}: is a directory, not a TOML file") from None
    except PermissionError:
        raise GenqemuError(f"{name}: permission denied") from None
    except OSError as error:
        raise GenqemuError(f"{name}: cannot read: {error.strerror}") from None
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
