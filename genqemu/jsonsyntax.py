"""QEMU's JSON syntax for -device, -object, -netdev and -blockdev (`--syntax json`).

JSON values are typed: a boolean is `true`, a number is a number. The
templates stay the one place that spells options: for JSON they are rendered
once more with typed helpers, where every value a template passes through
esc, prop and the filters becomes a token carrying its JSON value. This module
provides those helpers and turns a line of tokens into one JSON object.
"""

from __future__ import annotations

import json
from typing import Any

# Control characters never occur in validated values, so they can delimit tokens.
_START, _END = "\x01", "\x02"

# The options that take JSON, and the key of their implied first item.
JSON_OPTIONS: dict[str, str | None] = {
    "-device": "driver",
    "-object": "qom-type",
    "-netdev": "type",
    "-blockdev": None,
}
# The first QEMU to accept JSON for all four is in qemu_facts.SINCE.


def esc(value: object) -> str:
    """A value as a token holding its JSON form."""
    return _START + json.dumps(value) + _END


def prop(name: str, value: object) -> str:
    """`,name=<token>` for a set value; nothing for None."""
    return "" if value is None else f",{name}={esc(value)}"


def props(values: dict[str, object]) -> str:
    return "".join(prop(name, value) for name, value in values.items())


def strings(name: str, values: list[str]) -> str:
    """A repeated string property: QAPI's list of String objects."""
    return prop(name, [{"str": value} for value in values]) if values else ""


def size(value: int | None) -> int | None:
    """Sizes are byte counts in JSON."""
    return value


def hexadecimal(value: int | None, width: int = 0) -> int | None:
    """Numbers are numbers in JSON, whatever base the command line would use."""
    return value


def _split(text: str) -> list[str]:
    """Split at the commas between items, never inside a token."""
    items: list[str] = []
    current: list[str] = []
    inside = False
    for char in text:
        if char == _START:
            inside = True
        elif char == _END:
            inside = False
        elif char == "," and not inside:
            items.append("".join(current))
            current = []
            continue
        current.append(char)
    items.append("".join(current))
    return items


def _value(text: str) -> Any:
    """One token is its JSON value; tokens mixed with literal text are a string."""
    if text.startswith(_START) and text.endswith(_END) and text.count(_START) == 1:
        return json.loads(text[1:-1])
    parts = text.split(_START)
    out = parts[0]
    for part in parts[1:]:
        token, _, rest = part.partition(_END)
        decoded = json.loads(token)
        out += decoded if isinstance(decoded, str) else json.dumps(decoded)
        out += rest
    return out


def to_json(option: str, typed: str) -> str:
    """The JSON object of one option from its typed rendering."""
    implied = JSON_OPTIONS[option]
    document: dict[str, Any] = {}
    for index, item in enumerate(_split(typed)):
        name, equals, value = item.partition("=")
        if index == 0 and implied is not None and (not equals or _START in name):
            name, value = implied, item
        target = document
        *parents, leaf = name.split(".")  # file.filename -> {"file": {"filename": ...}}
        for parent in parents:
            target = target.setdefault(parent, {})
        target[leaf] = _value(value)
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False)
