"""Mappers for guest devices: a -device and the backend only it uses become a [[device]].

A property becomes the config key of the same name in snake_case (the rule
every device model follows; tests/test_import.py checks it against each
template's spellings). Properties the model has no key for are left out:
if genqemu's template writes them anyway (mq=on on a multi-queue NIC) the
device still verifies, otherwise verification sends it to extra_args.
"""

from __future__ import annotations

import re
from typing import Any

from genqemu.importer.agents import AGENT_KINDS, agent_chardev_keys, port_kind
from genqemu.importer.canon import GENERATED, PCI_ADDR, Piece, size_bytes
from genqemu.importer.claims import Claim, Pool, Target, convert, given_id, to_int
from genqemu.importer.netdevs import SOCKET_NETDEVS, socket_netdev
from genqemu.importer.sound import audiodev_keys, hda_codec
from genqemu.importer.syntax import to_bool
from genqemu.qemu_facts import CACHE_MODES
from genqemu.values import format_size

# backend_prefix of a kind -> (its -device property, the backend's option, its id key)
_BACKENDS = {
    "drive-": ("drive", "blockdev", "node-name"),
    "netdev-": ("netdev", "netdev", "id"),
    "fsdev-": ("fsdev", "fsdev", "id"),
    "rng-": ("rng", "object", "id"),
    "char-": ("chardev", "chardev", "id"),
    "chr-": ("chardev", "chardev", "id"),
    "mem-": ("memdev", "object", "id"),
    "audio-": ("audiodev", "audiodev", "id"),
}
_FD = re.compile(r"<(rw|r|w):([^>]*)>")
# Controllers with one bus of their own, ID.0, which their ports name (bus=ID.0);
# QEMU puts a port on the first such bus it finds when -device names none.
_CONTROLLERS = frozenset({"virtio-serial", "virtio-scsi"})
# The SPICE agent's port: a virtserialport that its port name tells apart.


def driver_kind(driver: str, target: Target) -> tuple[str, str | None] | None:
    """The device kind and transport of a QEMU driver name on this arch."""
    from genqemu.devices import DEVICE

    profile = target.profile
    for kind, transports in profile.devices.items():
        model = DEVICE.models.get(kind)
        if model is None or kind == "serial":  # -serial, not a -device
            continue
        if not model.virtio:
            if driver == profile.drivers.get(kind, kind):
                return kind, None
            continue
        for transport in transports:
            if driver == kind + profile.transports[transport].suffix:
                return kind, transport
    from genqemu.importer.ata import ata_kind
    from genqemu.importer.usb import usb_cdrom_kind

    found = ata_kind(driver, target) or usb_cdrom_kind(driver, target)
    return (found, None) if found is not None else None


def device_claims(pool: Pool, target: Target, names: dict[int, str]) -> list[Claim]:
    """Every -device (with its backend) and -serial a device kind can hold; `names`
    are the ids chosen for the chardevs QEMU names itself (-serial stdio)."""
    claims = []
    for piece in pool.free("device"):
        if id(piece) in pool.taken:  # a usb-cdrom's scsi-cd, taken with its usb-bot
            continue
        claim = _device(pool, piece, target)
        if claim is not None:
            claims.append(pool.take(claim))
    for piece in pool.free("serial"):
        chardev = piece.get("chardev")
        chardev = given_id(chardev) or (names.get(piece.origin) if chardev else None)
        if chardev is not None:
            table = {"kind": "serial", "chardev": chardev}
            claims.append(pool.take(Claim("device", table, [piece])))
    return claims


def _device(pool: Pool, piece: Piece, target: Target) -> Claim | None:
    from genqemu.devices import DEVICE

    found = driver_kind(piece.get("driver") or "", target)
    if found is None or found[0] not in DEVICE.models:
        return None
    kind, transport = found
    kind = port_kind(kind, pool, piece, target)
    model = DEVICE.models[kind]
    table: dict[str, Any] = {"kind": kind}
    claim = Claim("device", table, [piece])
    usable = [t for t in target.machine.transports if t in target.profile.devices[kind]]
    if model.virtio and transport != (usable[0] if usable else None):
        table["transport"] = transport
    backend = _BACKENDS.get(model.backend_prefix)
    for name, value in piece.props:
        if name == "driver" or (backend and name == backend[0]) or name == "write-cache":
            continue
        if name == "id":
            if given_id(value):
                table["id"] = value
            continue
        if name in ("bus", "port") and _usb(model):  # where a USB device is plugged in
            from genqemu.importer.usb import usb_bus_keys

            keys = usb_bus_keys(piece, pool)
            if keys is None:
                return None
            table.update(keys)
            continue
        if name == "bus" and "controller" in model.fields:  # an ATA disk or CD-ROM
            from genqemu.importer.ata import ata_bus_keys

            scsi = piece.get("driver") == getattr(model, "scsi_driver", None)
            keys = ata_bus_keys(value, target, scsi)
            if keys is None:
                return None
            table.update(keys)
            continue
        field = model.fields.get(name.replace("-", "_"))
        if field is None or field.name in ("kind", "transport", "backend_id"):
            continue
        table[field.name] = _device_value(field.name, field.check, value)
    claim.pinned = "addr" in table or "devno" in table
    bus = model.fields.get("bus")
    controller = getattr(bus.check, "targets", ("",))[0] if bus is not None else ""
    if "bus" not in table and controller in _CONTROLLERS and _only_one(pool, target, controller):
        claim.optional = frozenset({"bus"})  # QEMU puts it on the only such bus too
    if "codec" in model.fields:  # an HDA controller: its codec holds the backend
        codec = hda_codec(pool, table, piece)
        if codec is None:
            return None
        claim.pieces.append(codec)
        piece = codec
    from genqemu.devices.usb import UsbCdrom

    if model is UsbCdrom:  # the scsi-cd on its bus holds the drive
        from genqemu.importer.usb import usb_cdrom_drive

        drive = usb_cdrom_drive(pool, piece)
        if drive is None:
            return None
        claim.pieces.append(drive)
        piece = drive
        for name, value in drive.props:
            field = model.fields.get(name.replace("-", "_"))
            if field is not None and name not in ("bus", "drive", "id", "file"):
                table[field.name] = _device_value(field.name, field.check, value)
    file = model.fields.get("file")
    empty = backend is not None and piece.get(backend[0]) is None and file and not file.required
    if backend is not None and not empty and not _backend(pool, piece, backend, claim):
        return None  # (an empty CD-ROM tray has no backend to take)
    return claim


def _usb(model: Any) -> bool:
    from genqemu.devices.usb import UsbDevice

    return isinstance(model, type) and issubclass(model, UsbDevice)


def _only_one(pool: Pool, target: Target, kind: str) -> bool:
    """Whether the command line has exactly one device of `kind` (on any transport)."""
    drivers = [p.get("driver") or "" for p in pool.pieces if p.option == "device"]
    return sum(1 for d in drivers if (driver_kind(d, target) or ("",))[0] == kind) == 1


def _device_value(key: str, check: Any, value: str) -> Any:
    opened = _FD.fullmatch(value)
    if opened and opened.group(1) == "rw":  # a file the script opens for QEMU
        return opened.group(2)
    targets = getattr(check, "targets", ())
    if key == "bus" and set(targets) & _CONTROLLERS:
        return value[:-2] if value.endswith(".0") else value
    if key == "addr" and not targets:
        match = PCI_ADDR.match(value)
        if match and isinstance(to_int(value), str):
            fn = f".{int(match.group(2), 16)}" if match.group(2) is not None else ""
            return f"0x{int(match.group(1), 16):x}{fn}"
    return convert(check, value)


def _backend(pool: Pool, device: Piece, spec: tuple[str, str, str], claim: Claim) -> bool:
    """Take the backend only this device uses into the claim; False if it cannot be typed."""
    prop, option, id_key = spec
    ident = device.get(prop)
    table = claim.value
    if ident is None:
        return prop == "rng"  # QEMU makes its own rng-builtin backend
    if ident == GENERATED:
        backend = next((p for p in pool.siblings(device) if p.option == option), None)
    else:
        backend = pool.find(option, ident, id_key)
        own = sum(1 for _, value in backend.props if value == ident) - 1 if backend else 0
        if pool.refs[ident] - own != 1:
            return False
    if backend is None or id(backend) in pool.taken:
        return False
    keys = _BACKEND_MAPPERS[option](backend, device, pool, claim)
    if keys is None:
        return False
    table.update(keys)
    if given_id(ident):
        table["backend_id"] = ident
    claim.pieces.append(backend)
    return True


def _blockdev(node: Piece, device: Piece, pool: Pool, claim: Claim) -> dict[str, Any] | None:
    values = dict(node.props)
    if len(values) != len(node.props) or values.pop("file.driver", None) != "file":
        return None
    keys: dict[str, Any] = {"file": values.pop("file.filename", None)}
    fmt = values.pop("driver", None)
    values.pop("node-name", None)
    if keys["file"] is None or fmt is None:
        return None
    if fmt != "raw":
        keys["format"] = fmt
    if "backing" in values:
        chain = _backing_chain(values.pop("backing"), pool, claim)
        if chain is None:
            return None
        keys["backing"] = chain
    for prop, key in (("file.aio", "aio"), ("discard", "discard")):
        if prop in values:
            keys[key] = values.pop(prop)
    if "read-only" in values:
        keys["read_only"] = to_bool(values.pop("read-only"))
    if "cache.direct" in values or "cache.no-flush" in values:
        spelled = tuple(
            to_bool(value)
            for value in (
                values.pop("cache.direct", ""),
                values.pop("cache.no-flush", ""),
                device.get("write-cache") or "",
            )
        )
        mode = next((m for m, modes in CACHE_MODES.items() if modes == spelled), None)
        if mode is None:
            return None
        keys["cache"] = mode
    return None if values else keys


def _backing_chain(node: str, pool: Pool, claim: Claim) -> list[dict[str, str]] | None:
    """A disk's backing chain from `node` down, as the blockdev macro writes it: each
    image a read-only format node over a read-only file node; None if it is not."""
    chain: list[dict[str, str]] = []
    while node:
        image = pool.find("blockdev", node, "node-name")
        if image is None or len(dict(image.props)) != len(image.props):
            return None
        values = dict(image.props)
        below = values.pop("backing", "")
        file = pool.find("blockdev", values.get("file", ""), "node-name")
        if file is None or set(values) != {"driver", "node-name", "file", "read-only"}:
            return None
        props = dict(file.props)
        if set(props) != {"driver", "node-name", "filename", "read-only"} or props["driver"] != (
            "file"
        ):
            return None
        if not (to_bool(values["read-only"]) and to_bool(props["read-only"])):
            return None
        chain.append({"file": props["filename"], "format": values["driver"]})
        claim.pieces += [image, file]
        node = below
    return chain


def _netdev(netdev: Piece, device: Piece, pool: Pool, claim: Claim) -> dict[str, Any] | None:
    values = [(k, v) for k, v in netdev.props if k != "id"]
    kind = dict(values).pop("type", "")
    rest = [(k, v) for k, v in values if k != "type"]
    table: dict[str, Any] = {"type": kind}
    if kind == "user":
        for name, value in rest:
            name = re.sub(r"^hostfwd\.\d+\.str$", "hostfwd", name)
            if name == "hostfwd":
                table.setdefault("hostfwd", []).append(value)
            elif name in ("net", "host", "dns", "hostname"):
                table[name] = value
            elif name == "restrict":
                table[name] = to_bool(value)
            else:
                return None
    elif kind == "tap":
        return _tap(dict(rest), table, claim) if len(dict(rest)) == len(rest) else None
    elif kind == "vhost-user":
        found = dict(rest)
        chardev = pool.find("chardev", found.pop("chardev", ""))
        if chardev is None or chardev.get("id") != netdev.get("id") or set(found) - {"queues"}:
            return None
        props = dict(chardev.props)
        if set(props) != {"backend", "id", "path"} or props["backend"] != "socket":
            return None
        table["socket"] = props["path"]
        if "queues" in found:
            table["queues"] = to_int(found["queues"])
        claim.pieces.append(chardev)
    elif kind in SOCKET_NETDEVS:
        typed = socket_netdev(kind, rest)
        return None if typed is None else {"netdev": typed}
    else:
        return None
    return {"netdev": table}


def _tap(values: dict[str, str], table: dict[str, Any], claim: Claim) -> dict[str, Any] | None:
    if "fds" in values:
        queues = _FD.findall(values.pop("fds"))
        paths = {path for _, path in queues}
        if len(paths) != 1 or any(mode != "rw" for mode, _ in queues):
            return None
        table.update(type="macvtap", device=paths.pop())
        if len(queues) > 1:
            table["queues"] = len(queues)
        if "vhostfds" in values:
            vhost = {path for _, path in _FD.findall(values.pop("vhostfds"))}
            if len(vhost) != 1 or values.pop("vhost", "on") != "on":
                return None
            table["vhost_device"] = vhost.pop()
    else:
        for name in ("script", "downscript"):
            if name not in values:
                claim.notes.append(
                    f"tap {values.get('ifname', '')}: QEMU ran its default {name} "
                    f"(/etc/qemu-if{'up' if name == 'script' else 'down'}); genqemu writes "
                    f"{name}=no: set netdev.{name} if the VM needs it"
                )
            elif values[name] != "no":
                table[name] = values[name]
            values.pop(name, None)
        if "ifname" in values:
            table["ifname"] = values.pop("ifname")
        if "queues" in values:
            table["queues"] = to_int(values.pop("queues"))
    if "vhost" in values:
        table["vhost"] = to_bool(values.pop("vhost"))
    return None if values else {"netdev": table}


def _fsdev(fsdev: Piece, device: Piece, pool: Pool, claim: Claim) -> dict[str, Any] | None:
    values = dict(fsdev.props)
    values.pop("id", None)
    keys: dict[str, Any] = {}
    driver = values.pop("fsdriver", "")
    if driver != "local":
        keys["fsdriver"] = driver
    for name, value in values.items():
        if name not in ("path", "security_model", "socket", "readonly", "multidevs"):
            return None
        keys[name] = to_bool(value) if name == "readonly" else value
    return keys


def _object(obj: Piece, device: Piece, pool: Pool, claim: Claim) -> dict[str, Any] | None:
    values = dict(obj.props)
    kind = values.pop("qom-type", "")
    values.pop("id", None)
    if kind == "rng-builtin" and not values:
        return {}
    if kind == "rng-random" and set(values) == {"filename"}:
        return {"filename": values["filename"]}
    if kind == "memory-backend-file" and {"mem-path", "size"} <= set(values):
        size = size_bytes(values.pop("size"))
        keys: dict[str, Any] = {"file": values.pop("mem-path"), "size": format_size(int(size or 0))}
        for name, value in values.items():
            if name not in ("share", "readonly", "pmem"):
                return None
            keys[name] = to_bool(value)
        return keys if size else None
    if kind == "memory-backend-ram" and set(values) == {"size"}:
        size = size_bytes(values["size"])
        return {"size": format_size(int(size))} if size else None
    return None


def _chardev(chardev: Piece, device: Piece, pool: Pool, claim: Claim) -> dict[str, Any] | None:
    values = dict(chardev.props)
    if claim.value["kind"] in AGENT_KINDS:
        return agent_chardev_keys(claim.value["kind"], values)
    if set(values) != {"backend", "id", "path"} or values["backend"] != "socket":
        return None
    return {"socket": values["path"]}


_BACKEND_MAPPERS = {
    "blockdev": _blockdev,
    "netdev": _netdev,
    "fsdev": _fsdev,
    "object": _object,
    "chardev": _chardev,
    "audiodev": audiodev_keys,
}
