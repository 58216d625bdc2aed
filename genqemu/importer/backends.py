"""Mappers for what several options make together: guest RAM and its backend, the
confidential-guest object, QMP sockets, chardevs and the monitors on them
(flash: importer/flash.py)."""

from __future__ import annotations

from typing import Any

from genqemu.config import CONFIDENTIAL, HUGEPAGES
from genqemu.importer.canon import GENERATED, Piece, size_bytes
from genqemu.importer.claims import Claim, Pool, Target, convert, given_id, to_int
from genqemu.importer.syntax import to_bool
from genqemu.qemu_facts import CONFIDENTIAL_PROPERTIES, MONITOR_MODES
from genqemu.resolve import RAM_BACKEND_ID
from genqemu.values import format_size

_CHARDEV_KEYS = {"path", "server", "wait", "append", "signal", "mux", "name"}
_CHARDEV_TEXT = ("path", "name")  # the others are booleans


def memory_claims(pool: Pool, target: Target) -> list[Claim]:
    """-m, and guest RAM's backend object where genqemu would write the same one."""
    pieces = pool.free("m")[:1]
    if not pieces:
        return []
    values = dict(pieces[0].props)
    size = size_bytes(values.get("size", ""), "m")
    if size is None or not set(values) <= {"size", "slots", "maxmem"}:
        return []
    table: dict[str, Any] = {"size": format_size(int(size))}
    if "slots" in values:
        table["slots"] = to_int(values["slots"])
    if "maxmem" in values:
        maxmem = size_bytes(values["maxmem"])
        table["maxmem"] = format_size(int(maxmem)) if maxmem else values["maxmem"]
    claim = Claim("memory", table, list(pieces))
    backend = pool.find("object", RAM_BACKEND_ID)
    if backend is not None and pool.refs[RAM_BACKEND_ID] == 1:
        _ram_backend(pool, target, claim, backend, size)
    return [pool.take(claim)]


def _ram_backend(pool: Pool, target: Target, claim: Claim, backend: Piece, size: str) -> None:
    values = dict(backend.props)
    kind = values.pop("qom-type", "")
    values.pop("id")
    if (
        kind not in ("memory-backend-file", "memory-backend-ram", "memory-backend-memfd")
        or size_bytes(values.pop("size", "")) != size
    ):
        return
    if not set(values) <= {"mem-path", "share", "prealloc"}:
        return
    path = values.pop("mem-path", None)
    if (path is None) == (kind == "memory-backend-file"):
        return
    # Without a file, genqemu writes shared RAM as a memfd and the rest as ram.
    shared = to_bool(values.get("share", "off"))
    if path is None and shared != (kind == "memory-backend-memfd"):
        return
    if path == HUGEPAGES:
        claim.value["hugepages"] = True
    elif path is not None:
        claim.value["mem_path"] = path
    for name, value in values.items():
        claim.value[name] = to_bool(value)
    via = target.machine.ram_backend or target.profile.ram_backend
    if via == "numa":
        numa = pool.find("numa", RAM_BACKEND_ID, "memdev")
        if numa is None or sorted(numa.props) != [("memdev", RAM_BACKEND_ID), ("type", "node")]:
            return
        claim.pieces.append(numa)
    else:
        machine = next((p for p in pool.pieces if p.option == "machine"), None)
        if machine is None or machine.get("memory-backend") != RAM_BACKEND_ID:
            return
        claim.machine_keys["memory-backend"] = RAM_BACKEND_ID
    claim.pieces.append(backend)


def confidential_claims(pool: Pool) -> list[Claim]:
    """A confidential-guest object the machine names in confidential-guest-support."""
    machine = next(iter(p for p in pool.pieces if p.option == "machine"), None)
    ident = machine.get("confidential-guest-support") if machine else None
    piece = pool.find("object", ident) if ident else None
    if piece is None or ident is None or pool.refs[ident] != 1:
        return []
    values = dict(piece.props)
    kind = values.pop("qom-type", "")
    values.pop("id")
    if kind not in CONFIDENTIAL_PROPERTIES or not set(values) <= set(CONFIDENTIAL_PROPERTIES[kind]):
        return []
    model = CONFIDENTIAL.models[kind]
    table: dict[str, Any] = {"type": kind}
    if ident != model.fields["id"].default:
        table["id"] = ident
    for name, value in values.items():
        field = model.fields[name.replace("-", "_")]
        table[field.name] = convert(field.check, value)
    claim = Claim("confidential", table, [piece])
    claim.machine_keys["confidential-guest-support"] = ident
    return [pool.take(claim)]


def qmp_claims(pool: Pool) -> list[Claim]:
    """A -mon in control mode on a unix socket chardev that nothing else uses."""
    claims: list[Claim] = []
    for mon in pool.free("mon"):
        values = dict(mon.props)
        ident = values.get("chardev", "")
        if set(values) != {"chardev", "mode"} or values["mode"] != "control":
            continue
        chardev = pool.find("chardev", ident)
        if chardev is None or (ident != GENERATED and pool.refs[ident] != 1):
            continue
        props = dict(chardev.props)
        if props.get("backend") != "socket" or set(props) != {
            "backend",
            "id",
            "path",
            "server",
            "wait",
        }:
            continue
        server, wait = to_bool(props["server"]), to_bool(props["wait"])
        if server is not True or not isinstance(wait, bool):
            continue
        table: dict[str, Any] = {"path": props["path"]}
        if given_id(ident):
            table["id"] = ident
        if wait:
            table["wait"] = True
        claims.append(pool.take(Claim("qmp", table, [chardev, mon])))
    return claims


def chardev_claims(pool: Pool, names: dict[int, str]) -> list[Claim]:
    """Every remaining -chardev whose backend and keys the model has."""
    from genqemu.chardevs import CHARDEV

    claims: list[Claim] = []
    for piece in pool.free("chardev"):
        values = dict(piece.props)
        backend = values.pop("backend", "")
        ident = values.pop("id", "")
        model = CHARDEV.models.get(backend)
        if model is None or not set(values) <= _CHARDEV_KEYS or len(values) + 2 != len(piece.props):
            continue
        if not set(values) <= set(model.fields):
            continue
        table: dict[str, Any] = {
            "id": given_id(ident) or names.get(piece.origin, ""),
            "backend": backend,
        }
        for name, value in values.items():
            table[name] = value if name in _CHARDEV_TEXT else to_bool(value)
        claims.append(pool.take(Claim("chardev", table, [piece])))
    return claims


def monitor_claims(pool: Pool, chardevs: list[Claim]) -> list[Claim]:
    """Every remaining -mon on a chardev typed as a [[chardev]], in a mode genqemu
    names (QEMU's default mode is readline: HMP)."""
    typed = {c.value["id"] for c in chardevs}
    modes = {spelling: name for name, spelling in MONITOR_MODES.items()}
    claims: list[Claim] = []
    for mon in pool.free("mon"):
        values = dict(mon.props)
        mode = modes.get(values.get("mode", MONITOR_MODES["hmp"]))
        if mode is None or not set(values) <= {"chardev", "mode"}:
            continue
        ident = given_id(values.get("chardev"))
        if ident is None or ident not in typed:
            continue
        claims.append(pool.take(Claim("monitor", {"chardev": ident, "mode": mode}, [mon])))
    return claims
