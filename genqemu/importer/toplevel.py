"""Mappers for the machine-wide options: -machine, -cpu, -smp, flags, small tables.

Each looks at the pieces no earlier mapper took and proposes claims for the
ones a config key can hold; everything else is left for extra_args.
"""

from __future__ import annotations

from typing import Any

from genqemu.errors import GenqemuError
from genqemu.importer.canon import Piece
from genqemu.importer.claims import Claim, Pool, Target, scalar, to_int
from genqemu.importer.syntax import to_bool
from genqemu.profiles import MachineProfile, Profile
from genqemu.schema import Problems

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
    _qemu_values(options, accel, target)
    table["options"] = options
    claim.value = table
    return pool.take(claim)


def _qemu_values(options: dict[str, Any], accel: str | None, target: Target) -> None:
    """Write out QEMU's own value of each machine option genqemu's profile would add
    under the accelerators (those it emits for this chain, Profile.accel_options),
    where the command line names none: the same VM. Where
    QEMU's value is not known (a versioned machine type), the verifier refuses."""
    profile, machine = target.profile, target.machine
    if profile.machines.get(target.machine_type or "") is not machine:
        return
    emitted, _ = profile.accel_options(accel)
    for _, added in emitted:
        for option in added:
            if option not in options and option in machine.qemu_options:
                options[option] = machine.qemu_options[option]


def machine_type(pieces: list[Piece], profile: Profile) -> tuple[str | None, MachineProfile]:
    """The machine the command line runs (QEMU's default when it names none)."""
    named = next((p.get("type") for p in pieces if p.option == "machine"), None)
    chosen = named or profile.qemu_default_machine
    machine = profile.machine(chosen or profile.default_machine)
    if machine is None:
        known = ", ".join(profile.machines)
        which = f"machine {chosen!r}" if named else f"QEMU's default machine {chosen!r}"
        raise GenqemuError(
            f"{which} is not one genqemu knows on {profile.arch} ({known}), "
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
        qemu_cpu = target.profile.qemu_default_cpu  # a fact about the default machine
        default = target.profile.machines[target.profile.default_machine]
        if target.profile.default_cpu and qemu_cpu and target.machine is default:
            return [
                Claim(
                    "cpu",
                    {"model": qemu_cpu},
                    notes=[
                        f"the command line names no CPU: QEMU's default on "
                        f"{target.profile.default_machine} is {qemu_cpu}, written as cpu.model "
                        f"(genqemu's default would be {target.profile.default_cpu})"
                    ],
                )
            ]
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
