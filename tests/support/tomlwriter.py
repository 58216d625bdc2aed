"""A minimal TOML writer for tests: every table inline, every key quoted."""

from __future__ import annotations

import datetime
import re
from typing import Any

_ESCAPE = re.compile(r'["\\\x00-\x1f\x7f]')


def string(text: str) -> str:
    """A TOML basic string holding exactly `text`."""
    return '"' + _ESCAPE.sub(lambda m: f"\\u{ord(m.group()):04x}", text) + '"'


def value(item: Any) -> str:
    if isinstance(item, bool):
        return "true" if item else "false"
    if isinstance(item, (int, float)):
        return repr(item)
    if isinstance(item, str):
        return string(item)
    if isinstance(item, (datetime.date, datetime.time)):
        return item.isoformat()
    if isinstance(item, list):
        return "[" + ", ".join(value(i) for i in item) + "]"
    if isinstance(item, dict):
        return "{" + ", ".join(f"{string(k)} = {value(v)}" for k, v in item.items()) + "}"
    raise TypeError(f"no TOML for {type(item).__name__}")


def dumps(table: dict[str, Any]) -> str:
    """A TOML document whose top-level keys are those of `table`, in order."""
    return "".join(f"{string(key)} = {value(item)}\n" for key, item in table.items())
