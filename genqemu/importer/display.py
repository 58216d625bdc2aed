"""Mapper for `-display TYPE,...`: the [display] table.

`-display none` is genqemu's default (no table). A command line without
-display gets `-display none` too, with a note: QEMU itself would open a
window there (or VNC on localhost:0 when it has none). -vnc and -spice stay
in extra_args, beside the -display none genqemu writes.
"""

from __future__ import annotations

from typing import Any

from genqemu.importer.claims import Claim, Pool
from genqemu.importer.syntax import to_bool

# Options after which QEMU opens no window of its own.
_NO_WINDOW = ("nographic", "vnc", "spice")


def display_claims(pool: Pool) -> list[Claim]:
    """The one -display as [display], or the note that genqemu adds -display none."""
    from genqemu.display import DISPLAY, NoDisplay, Spice, Vnc
    from genqemu.values import Boolean

    pieces = pool.free("display")
    if not pieces:
        if any(pool.free(option) for option in _NO_WINDOW):
            return []
        note = (
            "the command line names no display, where QEMU opens a window (or VNC on "
            "localhost:0); genqemu writes -display none: add [display] for a screen"
        )
        return [Claim("display", None, notes=[note])]
    if len(pieces) > 1:
        return []
    (name, kind), *rest = pieces[0].props or [("", "")]
    model = DISPLAY.models.get(kind)
    if name != "type" or model is None or issubclass(model, Vnc | Spice):
        return []
    table: dict[str, Any] = {"type": kind}
    for prop, value in rest:
        field = model.fields.get(prop.replace("-", "_"))
        if field is None or field.name in table:
            return []
        table[field.name] = to_bool(value) if isinstance(field.check, Boolean) else value
    typed = None if model is NoDisplay and not rest else table
    return [pool.take(Claim("display", typed, list(pieces)))]
