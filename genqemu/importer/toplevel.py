"""Mappers for the machine-wide options: -machine, -cpu, -m, flags, QMP, chardevs, ...

Each looks at the pieces no earlier mapper took and proposes claims for the
ones a config key can hold; everything else is left for extra_args.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from genqemu.errors import GenqemuError
from genqemu.importer.canon import GENERATED, ID_KEYS, Piece, size_bytes
from genqemu.importer.claims import Claim, given_id, scalar, to_bool, to_int
from genqemu.profiles import MachineProfile, Profile
from genqemu.schema import Problems, format_size

RAM_BACKEND = "ram0"  # the id resolve.py gives guest RAM's backend object
_FLAGS = {
    "no-user-config": "no_user_config",
    "nodefaults": "nodefaults",
    "nographic": "nographic",
    "no-reboot": "no_reboot",
    "no-shutdown": "no_shutdown",
    "daemonize": "daemonize",
    "S": "stopped",
}
_PLAIN = {"bios": "bios", "vga": "vga", "pidfile": "pidfile", "D": "logfile", "uuid": "uuid"}
_TABLES = {
    "overcommit": {"mem-lock", "cpu-pm"},
    "rtc": {"base", "clock", "driftfix"},
    "sandbox": {"enable", "obsolete", "elevateprivileges", "spawn", "resourcecontrol"},
}
_CONFIDENTIAL = {
    "sev-guest": {"cbitpos", "reduced-phys-bits", "policy", "kernel-hashes", "sev-device"},
    "s390-pv-guest": set(),
    "pef-guest": set(),
    "tdx-guest": {"debug"},
}
_CHARDEV_KEYS = {"path", "server", "wait", "append", "signal"}


@dataclass
class Target:
    """The arch profile and the machine the command line runs."""

    profile: Profile
    machine_type: str | None  # None: genqemu's default (QEMU has none here)
    machine: MachineProfile


class Pool:
    """The pieces of a command line, which mappers take one claim at a time."""

    def __init__(self, pieces: list[Piece]) -> None:
        self.pieces = pieces
        self.taken: set[int] = set()
        self.refs: Counter[str] = Counter()
        for piece in pieces:
            for name, value in piece.props:
                if name in ID_KEYS - {"id", "node-name"} and value != GENERATED:
                    self.refs[value.split(".")[0] if name == "bus" else value] += 1

    def free(self, option: str) -> list[Piece]:
        return [p for p in self.pieces if p.option == option and id(p) not in self.taken]

    def find(self, option: str, ident: str, key: str = "id") -> Piece | None:
        for piece in self.free(option):
            if piece.get(key) == ident:
                return piece
        return None

    def take(self, claim: Claim) -> Claim:
        self.taken.update(id(p) for p in claim.pieces)
        return claim

    def siblings(self, piece: Piece) -> list[Piece]:
        return [p for p in self.pieces if p.origin == piece.origin and p is not piece]


def machine_claim(pool: Pool, target: Target) -> Claim:
    """The one -machine; genqemu always writes one, so it is always typed."""
    from genqemu.config import Machine

    pieces = pool.free("machine")
    props = dict(pieces[0].props) if pieces else {}
    claim = Claim("machine", {}, pieces)
    table: dict[str, Any] = {}
    if target.machine_type is not None:
        table["type"] = target.machine_type
    elif "type" not in props:
        claim.notes.append(
            f"the command line names no machine, which QEMU refuses on {target.profile.arch}: "
            f"genqemu adds {target.profile.default_machine}"
        )
    accel = props.pop("accel", None)
    options = {name: scalar(value) for name, value in props.items() if name != "type"}
    if accel is not None:
        if Machine.fields["accel"].check(accel, "", Problems()) == accel:
            table["accel"] = accel
        else:
            options["accel"] = accel
    table["options"] = options
    claim.value = table
    return pool.take(claim)


def machine_type(pieces: list[Piece], profile: Profile) -> tuple[str | None, MachineProfile]:
    """The machine the command line runs (QEMU's default when it names none)."""
    named = next((p.get("type") for p in pieces if p.option == "machine"), None)
    chosen = named or profile.qemu_default_machine
    machine = profile.machine(chosen or profile.default_machine)
    if machine is None:
        known = ", ".join(profile.machines)
        raise GenqemuError(
            f"machine {chosen!r} is not one genqemu knows on {profile.arch} ({known}), "
            "so it cannot write this command line"
        )
    return chosen, machine


def simple_claims(pool: Pool, target: Target) -> list[Claim]:
    """Flags, single-value options and small tables."""
    claims: list[Claim] = []
    for option, key in _FLAGS.items():
        found = pool.free(option)[:1]  # a repeated flag: the others pass through
        if found:
            claims.append(pool.take(Claim(key, True, found)))
        elif key in ("no_user_config", "nodefaults"):
            claims.append(Claim(key, False))  # genqemu's default is to write them
    for option, key in _PLAIN.items():
        for piece in pool.free(option)[:1]:
            claims.append(pool.take(Claim(key, piece.props[0][1], [piece])))
    for piece in pool.free("name")[:1]:
        if [k for k, _ in piece.props] == ["guest"]:
            claims.append(pool.take(Claim("name", piece.props[0][1], [piece])))
    for option, keys in _TABLES.items():
        for piece in pool.free(option)[:1]:
            claim = _table_claim(option, piece, keys)
            if claim is not None:
                claims.append(pool.take(claim))
    claims += _kernel(pool) + _cpu(pool, target) + _smp(pool)
    claims += _globals(pool) + _fw_cfg(pool) + _incoming(pool) + _iothreads(pool)
    return claims


def _table_claim(option: str, piece: Piece, keys: set[str]) -> Claim | None:
    names = [name for name, _ in piece.props]
    if not set(names) <= keys or len(set(names)) != len(names):
        return None
    table: dict[str, Any] = {}
    for name, value in piece.props:
        if option == "overcommit" or name == "enable":
            table[name.replace("-", "_")] = to_bool(value)
        else:
            table[name] = value
    if table.get("enable") is True and len(table) > 1:
        del table["enable"]  # the default
    return Claim(option, table, [piece])


def _kernel(pool: Pool) -> list[Claim]:
    kernel = pool.free("kernel")[:1]
    if not kernel:
        return []
    table = {"path": kernel[0].props[0][1]}
    pieces = list(kernel)
    for option, key in (("initrd", "initrd"), ("append", "append")):
        for piece in pool.free(option)[:1]:
            table[key] = piece.props[0][1]
            pieces.append(piece)
    return [pool.take(Claim("kernel", table, pieces))]


def _cpu(pool: Pool, target: Target) -> list[Claim]:
    pieces = pool.free("cpu")[:1]  # QEMU takes the last -cpu; the others pass through after
    if not pieces:
        if target.profile.default_cpu:
            return [
                Claim(
                    "cpu",
                    None,
                    notes=[
                        f"the command line names no CPU; genqemu adds -cpu "
                        f"{target.profile.default_cpu} ({target.profile.arch}'s default)"
                    ],
                )
            ]
        return []
    piece = pieces[0]
    model = piece.props[0][1]
    features = {name: scalar(value) for name, value in piece.props[1:]}
    if len(features) != len(piece.props) - 1:
        return []
    table: dict[str, Any] = {}
    if model != target.profile.default_cpu:
        table["model"] = model
    if features:
        table["features"] = features
    return [pool.take(Claim("cpu", table or None, [piece]))]


def _smp(pool: Pool) -> list[Claim]:
    for piece in pool.free("smp")[:1]:
        values = dict(piece.props)
        keys = {"cpus", "sockets", "cores", "threads", "maxcpus"}
        if set(values) <= keys and "cpus" in values and len(values) == len(piece.props):
            table = {name: to_int(value) for name, value in values.items()}
            return [pool.take(Claim("smp", table, [piece]))]
    return []


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
    backend = pool.find("object", RAM_BACKEND)
    if backend is not None and pool.refs[RAM_BACKEND] == 1:
        _ram_backend(pool, target, claim, backend, size)
    return [pool.take(claim)]


def _ram_backend(pool: Pool, target: Target, claim: Claim, backend: Piece, size: str) -> None:
    values = dict(backend.props)
    kind = values.pop("qom-type", "")
    values.pop("id")
    if (
        kind not in ("memory-backend-file", "memory-backend-ram")
        or size_bytes(values.pop("size", "")) != size
    ):
        return
    if not set(values) <= {"mem-path", "share", "prealloc"}:
        return
    path = values.pop("mem-path", None)
    if (path is None) != (kind == "memory-backend-ram"):
        return
    if path == "/dev/hugepages":
        claim.value["hugepages"] = True
    elif path is not None:
        claim.value["mem_path"] = path
    for name, value in values.items():
        claim.value[name] = to_bool(value)
    via = target.machine.ram_backend or target.profile.ram_backend
    if via == "numa":
        numa = pool.find("numa", RAM_BACKEND, "memdev")
        if numa is None or sorted(numa.props) != [("memdev", RAM_BACKEND), ("type", "node")]:
            return
        claim.pieces.append(numa)
    else:
        machine = next((p for p in pool.pieces if p.option == "machine"), None)
        if machine is None or machine.get("memory-backend") != RAM_BACKEND:
            return
        claim.machine_keys["memory-backend"] = RAM_BACKEND
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
    if kind not in _CONFIDENTIAL or not set(values) <= _CONFIDENTIAL[kind]:
        return []
    table: dict[str, Any] = {"type": kind}
    if ident != "cgs0":
        table["id"] = ident
    for name, value in values.items():
        table[name.replace("-", "_")] = (
            to_bool(value)
            if name in ("kernel-hashes", "debug")
            else (value if name == "sev-device" else to_int(value))
        )
    claim = Claim("confidential", table, [piece])
    claim.machine_keys["confidential-guest-support"] = ident
    return [pool.take(claim)]


def pflash_claims(pool: Pool, confidential: Claim | None) -> list[Claim]:
    """-drive if=pflash,format=raw,unit=N,file=F for every unit from 0, none read-only
    (but SEV firmware, unit 0, which the confidential table holds)."""
    drives = [p for p in pool.free("drive") if p.get("if") == "pflash"]
    if not drives:
        return []
    units: dict[int, Piece] = {}
    for piece in drives:
        values = dict(piece.props)
        unit = to_int(values.get("unit", ""))
        if not isinstance(unit, int) or not set(values) <= {
            "if",
            "format",
            "unit",
            "file",
            "readonly",
        }:
            return []
        if values.get("format") != "raw" or "file" not in values or unit in units:
            return []
        units[unit] = piece
    if sorted(units) != list(range(len(units))):
        return []
    files = [dict(units[u].props) for u in sorted(units)]
    sev = confidential is not None and confidential.value["type"] == "sev-guest"
    if confidential is not None and sev and to_bool(files[0].get("readonly", "off")) is True:
        confidential.value["firmware"] = files.pop(0)["file"]
        confidential.pieces.append(units[0])
        pool.take(confidential)
    if any("readonly" in f for f in files):
        return []
    pieces = [units[u] for u in sorted(units)][len(units) - len(files) :]
    return [pool.take(Claim("pflash", [f["file"] for f in files], pieces))] if files else []


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
            table[name] = value if name == "path" else to_bool(value)
        claims.append(pool.take(Claim("chardev", table, [piece])))
    return claims


def _globals(pool: Pool) -> list[Claim]:
    claims = []
    for piece in pool.free("global"):
        values = dict(piece.props)
        if set(values) == {"driver", "property", "value"} and len(piece.props) == 3:
            table = {**values, "value": scalar(values["value"])}
            claims.append(pool.take(Claim("global", table, [piece])))
    return claims


def _fw_cfg(pool: Pool) -> list[Claim]:
    claims = []
    for piece in pool.free("fw_cfg"):
        values = dict(piece.props)
        named = "name" in values and {"file", "string"} & set(values)
        if len(values) == 2 == len(piece.props) and named:
            claims.append(pool.take(Claim("fw_cfg", values, [piece])))
    return claims


def _incoming(pool: Pool) -> list[Claim]:
    for piece in pool.free("incoming")[:1]:
        value = piece.props[0][1]
        if value == "defer":
            return [pool.take(Claim("incoming", {"type": "defer"}, [piece]))]
        if value.startswith("exec:"):
            table = {"type": "exec", "command": value[5:]}
            return [pool.take(Claim("incoming", table, [piece]))]
        if value.startswith("fd:<r:") and value.endswith(">"):
            table = {"type": "fd", "path": value[6:-1]}
            return [pool.take(Claim("incoming", table, [piece]))]
    return []


def _iothreads(pool: Pool) -> list[Claim]:
    claims = []
    for piece in pool.free("object"):
        values = dict(piece.props)
        if values.get("qom-type") != "iothread" or not set(values) <= {
            "qom-type",
            "id",
            "poll-max-ns",
        }:
            continue
        table: dict[str, Any] = {"id": values["id"]}
        if "poll-max-ns" in values:
            table["poll_max_ns"] = to_int(values["poll-max-ns"])
        claims.append(pool.take(Claim("iothread", table, [piece])))
    return claims
