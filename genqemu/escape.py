"""The one escaping rule of QEMU option strings, and its property helper."""

from __future__ import annotations

from typing import overload


def esc(value: object) -> str:
    """A value inside a `key=value,...` QEMU option: a literal comma is doubled.

    Newlines and other control characters never get here: validation rejects
    them, because no QEMU option or shell line can carry them.
    """
    return str(value).replace(",", ",,")


def prop(name: str, value: object) -> str:
    """`,name=value` for a set value (booleans as on/off); nothing for None."""
    if value is None:
        return ""
    if value is True:
        return f",{name}=on"
    if value is False:
        return f",{name}=off"
    return f",{name}={esc(value)}"


def props(values: dict[str, object]) -> str:
    """`prop` for every item of a table of free-form properties, in order."""
    return "".join(prop(name, value) for name, value in values.items())


def strings(name: str, values: list[str]) -> str:
    """A property given once per value: `,hostfwd=A,hostfwd=B`."""
    return "".join(prop(name, value) for value in values)


def size(value: int | None) -> str | None:
    """A byte count in QEMU's shortest spelling (2G, 1536M); None stays None."""
    from genqemu.values import format_size

    return None if value is None else format_size(value)


def hexadecimal(value: int | None, width: int = 0) -> str | None:
    """An integer as 0x hex, zero-padded to `width` digits; None stays None."""
    return None if value is None else f"0x{value:0{width}x}"


@overload
def onoff(value: bool) -> str: ...
@overload
def onoff(value: bool | None) -> str | None: ...
def onoff(value: bool | None) -> str | None:
    """A boolean as QEMU's words on and off (OnOffAuto properties take only these)."""
    return None if value is None else ("on" if value else "off")
