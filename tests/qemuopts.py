"""A reader of QEMU's `key=value,...` option syntax, following util/qemu-option.c.

Tests use it to read back what QEMU would read: `,,` is a literal comma, a
single comma ends a value, `=` inside a value is literal, a bare name is a
flag, and the first item may be an implied key (`-device DRIVER,...`).
"""

from __future__ import annotations


def _value(text: str, start: int) -> tuple[str, int]:
    """The value at `start` and the index after the comma that ends it."""
    out: list[str] = []
    index = start
    while index < len(text):
        char = text[index]
        if char == ",":
            if text.startswith(",", index + 1):
                out.append(",")
                index += 2
                continue
            return "".join(out), index + 1
        out.append(char)
        index += 1
    return "".join(out), index


def parse(text: str, implied: str | None = None) -> list[tuple[str, str | None]]:
    """Every (name, value) in order; a flag has value None."""
    items: list[tuple[str, str | None]] = []
    index = 0
    first = True
    while index < len(text):
        stop = index
        while stop < len(text) and text[stop] not in "=,":
            stop += 1
        if stop < len(text) and text[stop] == "=":
            name = text[index:stop]
            value, index = _value(text, stop + 1)
            items.append((name, value))
        elif first and implied:
            value, index = _value(text, index)
            items.append((implied, value))
        else:
            items.append((text[index:stop], None))
            index = stop + 1
        first = False
    return items


def parse_dict(text: str, implied: str | None = None) -> dict[str, str | None]:
    """`parse` as a dict; a repeated key (hostfwd) keeps its last value."""
    return dict(parse(text, implied))
