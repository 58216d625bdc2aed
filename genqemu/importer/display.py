"""Mapper for `-display TYPE,...`: the [display] table.

`-display none` is genqemu's default (no table). A command line without
-display gets `-display none` too, with a note: QEMU itself would open a
window there (or VNC on localhost:0 when it has none). One -vnc or -spice
without a password becomes [display] type = "vnc" or "spice" (a password
names a secret object, which stays in extra_args with its option).
"""

from __future__ import annotations

from typing import Any

from genqemu.importer.claims import Claim, Pool
from genqemu.importer.syntax import to_bool

# Options after which QEMU opens no window of its own.
_NO_WINDOW = ("nographic", "vnc", "spice")


def display_claims(pool: Pool) -> list[Claim]:
    """The one -display as [display], or the note that genqemu adds -display none;
    then a -vnc or -spice server."""
    shown = _display(pool)
    if not any(claim.value for claim in shown):
        shown += _server(pool)
    return shown


def _display(pool: Pool) -> list[Claim]:
    from genqemu.config import DISPLAY
    from genqemu.display import NoDisplay, Spice, Vnc
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


def _server(pool: Pool) -> list[Claim]:
    """One -vnc or one -spice (not both: [display] has one type) as its table."""
    vnc, spice = pool.free("vnc"), pool.free("spice")
    if len(vnc) + len(spice) != 1:
        return []
    piece = (vnc or spice)[0]
    table = _vnc(piece.props) if vnc else _spice(piece.props)
    return [pool.take(Claim("display", table, [piece]))] if table else []


def _vnc(props: list[tuple[str, str]]) -> dict[str, Any] | None:
    (name, target), *rest = props or [("", "")]
    table: dict[str, Any] = {"type": "vnc"}
    host, _, number = target.rpartition(":")
    if target.startswith("unix:"):
        table["unix"] = target.removeprefix("unix:")
    elif name == "vnc" and host and number.isdigit():
        table["addr"], table["display"] = host, int(number)  # an IPv6 one in brackets
    else:
        return None  # ':0' listens on every address, where genqemu's default is 127.0.0.1
    for prop, value in rest:
        if prop != "websocket" or not value.isdigit():
            return None
        table["websocket"] = int(value)
    return table


def _spice(props: list[tuple[str, str]]) -> dict[str, Any] | None:
    values = dict(props)
    if len(values) != len(props) or to_bool(values.pop("disable-ticketing", "off")) is not True:
        return None  # a password names a secret object: left as written
    table: dict[str, Any] = {"type": "spice"}
    if to_bool(values.pop("unix", "off")) is True:
        if "addr" not in values:
            return None
        table["unix"] = values.pop("addr")
    for prop, value in values.items():
        if prop in ("port", "tls-port") and value.isdigit():
            table[prop.replace("-", "_")] = int(value)
        elif prop in ("addr", "x509-dir", "rendernode"):
            table[prop.replace("-", "_")] = value
        elif prop == "gl" and isinstance(to_bool(value), bool):
            table["gl"] = to_bool(value)
        else:
            return None
    return table
