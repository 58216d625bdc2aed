"""The one escaping rule of QEMU option strings, and its property helper."""

from __future__ import annotations


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
