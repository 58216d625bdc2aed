"""The agents' virtserialports on a command line: the QEMU guest agent's
(`guest-agent`) and SPICE's (`spice-agent`), told from other ports by their
names, and their chardevs, which the agent kinds render themselves."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from genqemu.importer.syntax import to_bool
from genqemu.qemu_facts import GUEST_AGENT_PORT, SPICE_AGENT

if TYPE_CHECKING:
    from genqemu.importer.canon import Piece
    from genqemu.importer.claims import Pool, Target

AGENT_KINDS = ("guest-agent", "spice-agent")


def port_kind(kind: str, pool: Pool, piece: Piece, target: Target) -> str:
    """The agent kind a virtserialport is, else `kind` as it was."""
    if kind == "virtserialport" and _agent_port(pool, piece):
        return "guest-agent"
    if piece.get("name") == SPICE_AGENT["port"] and "spice-agent" in target.profile.devices:
        return "spice-agent"  # a virtserialport by its driver; the agent's by its name
    return kind


def agent_chardev_keys(kind: str, values: dict[str, str]) -> dict[str, Any] | None:
    """The keys an agent's chardev gives its device, or None where genqemu
    would write it otherwise."""
    if kind == "spice-agent":  # SPICE's own channel: nothing to type
        own = {"backend": SPICE_AGENT["backend"], "name": SPICE_AGENT["channel"]}
        return {} if values == {**own, "id": values.get("id")} else None
    values = {k: v for k, v in values.items() if k not in ("server", "wait")}
    if set(values) != {"backend", "id", "path"} or values["backend"] != "socket":
        return None  # (_agent_port checked server=on,wait=off)
    return {"socket": values["path"]}


def _agent_port(pool: Pool, piece: Piece) -> bool:
    """Whether a virtserialport is the guest agent's as genqemu writes it: its
    name, on a unix socket chardev QEMU listens on without waiting, named after
    the port (char-ID). Another spelling stays a [[chardev]] and a virtserialport,
    typed too, in the order it was written."""
    ident = piece.get("chardev") or ""
    chardev = pool.find("chardev", ident)
    if piece.get("name") != GUEST_AGENT_PORT or chardev is None:
        return False
    if ident != f"char-{piece.get('id')}":
        return False
    values = dict(chardev.props)
    listening = (
        to_bool(values.pop("server", "")) is True and to_bool(values.pop("wait", "")) is False
    )
    return listening and set(values) == {"backend", "id", "path"} and values["backend"] == "socket"
