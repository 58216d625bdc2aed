"""What QEMU reads from each option, in the long form genqemu writes.

`expand` turns every option into pieces: `-drive if=virtio,...` is a
-blockdev node and a -device, `-qmp unix:P,server,nowait` a socket -chardev
and a -mon, `-enable-kvm` and `-M q35` parts of the one -machine QEMU
assembles, and so on, each as QEMU 7.2 creates it. Ids QEMU makes up for
these (serial0, compat_monitor0, virtio0, ...) are written `*`: the input
did not give them, so genqemu may choose its own. Inherited file
descriptors are replaced by the files they are open on.

`key` then gives a piece's canonical form: properties sorted, booleans
on/off, integers in decimal, sizes in bytes, PCI addresses as slot.function.
Two command lines start the same VM when their pieces' keys are equal as
multisets (and their devices are created in the same order; see order.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from genqemu.escape import onoff
from genqemu.importer.syntax import Option, Props, parse_qemuopts, to_bool, value_of
from genqemu.qemu_facts import CACHE_MODES, MONITOR_MODES

GENERATED = "*"
_INTEGER = re.compile(r"[+-]?(0[xX][0-9a-fA-F]+|[1-9][0-9]*|0)\Z")
# A PCI address as QEMU reads it: slot[.function], in hex with or without 0x.
PCI_ADDR = re.compile(r"(?:0x)?([0-9a-fA-F]{1,2})(?:\.(?:0x)?([0-7]))?\Z")
_SIZE = re.compile(r"([0-9]+(?:\.[0-9]+)?)\s*([bBkKmMgGtTpPeE]?)\Z")
_UNITS = "bkmgtpe"
# Properties whose value is a size, per option (-m counts in MiB without a suffix).
SIZE_KEYS = {
    "m": {"size", "maxmem"},
    "object": {"size", "align"},
    "device": {"label-size", "io-reserve", "mem-reserve", "pref32-reserve", "pref64-reserve"},
}
# Properties that hold an id or name one.
ID_KEYS = frozenset(
    {
        "id", "node-name", "drive", "netdev", "chardev", "fsdev", "rng", "memdev", "bus",
        "iothread", "memory-backend", "confidential-guest-support", "tpmdev", "audiodev",
    }
)  # fmt: skip
_DRIVE_KEYS = frozenset({"file", "format", "if", "id", "cache", "aio", "discard", "readonly"})
_CHARDEV_PREFIXES = {"file": "file", "pipe": "pipe", "unix": "socket"}
# QEMU's -device aliases (qdev-monitor.c) for the virtio kinds genqemu has: each
# takes the arch's virtio suffix (Context.virtio_suffix), like -drive if=virtio.
VIRTIO_ALIASES = frozenset(
    {"virtio-9p", "virtio-balloon", "virtio-blk", "virtio-net", "virtio-rng", "virtio-scsi",
     "virtio-serial"}
)  # fmt: skip


@dataclass
class Piece:
    """One thing QEMU creates from the command line: an option in its long form."""

    option: str
    props: Props
    origin: int  # index of the option it comes from (-1: several, see origins)
    origins: tuple[int, ...] = ()
    extra: dict[str, str] = field(default_factory=dict)  # what a referencing device inherits

    def get(self, key: str) -> str | None:
        return value_of(self.props, key)


@dataclass
class Context:
    """What expansion needs to know about the target: the legacy virtio suffix, open fds."""

    virtio_suffix: str  # of -drive if=virtio, -nic model=virtio and the -device aliases
    fds: dict[int, tuple[str, str]] = field(default_factory=dict)
    cards: dict[str, str] = field(default_factory=dict)  # -audio's kinds here -> driver
    only_audio: int | None = None  # the one -audio (QEMU refuses a second): typed


def expand(options: list[Option], context: Context) -> list[Piece]:
    """Every piece of the command line, in option order; -machine parts merged into one."""
    pieces: list[Piece] = []
    machine: list[Option] = []
    for option in options:
        if option.name in ("machine", "M", "enable-kvm") or _simple_accel(option):
            machine.append(option)
            continue
        pieces += _expand_one(option, context)
    if machine:
        merged = Piece("machine", machine_props(machine), machine[0].index)
        merged.origins = tuple(option.index for option in machine)
        pieces.insert(0, merged)
    _inherit_write_cache(pieces)
    return pieces


def _simple_accel(option: Option) -> bool:
    return option.name == "accel" and [k for k, _ in option.props] == ["accel"]


def machine_props(options: list[Option]) -> Props:
    """The one -machine QEMU assembles from -machine, -M, -enable-kvm and plain -accel."""
    merged: dict[str, str] = {}
    accels: list[str] = []
    for option in options:
        if option.name == "enable-kvm":
            accels.append("kvm")
        elif option.name == "accel":
            accels.append(option.props[0][1])
        else:
            for name, value in option.props:
                if name == "accel":
                    accels += value.split(":")
                else:
                    merged[name] = value
    if accels:
        merged["accel"] = ":".join(accels)
    return list(merged.items())


def _expand_one(option: Option, context: Context) -> list[Piece]:
    name, props, origin = option.name, option.props, option.index
    arg = option.arg or ""
    if name == "drive":
        return _drive(option, context)
    if name == "virtfs" and option.get("mount_tag"):
        fsdev = [(k, v) for k, v in props if k not in ("mount_tag", "id")]
        ident = option.get("id") or GENERATED
        return [
            Piece("fsdev", [("id", ident), *fsdev], origin),
            Piece(
                "device",
                [
                    ("driver", "virtio-9p-pci"),
                    ("fsdev", ident),
                    ("mount_tag", option.get("mount_tag") or ""),
                ],
                origin,
            ),
        ]
    if name == "nic" and option.get("model"):
        model = option.get("model") or ""
        driver = "virtio-net" + context.virtio_suffix if model == "virtio" else model
        ident = option.get("id") or GENERATED
        netdev = [(k, v) for k, v in props if k not in ("model", "mac", "id")]
        device = [("driver", driver), ("netdev", ident)]
        if option.get("mac"):
            device.append(("mac", option.get("mac") or ""))
        return [Piece("netdev", [*netdev, ("id", ident)], origin), Piece("device", device, origin)]
    if name == "serial":
        return _serial(arg, origin)
    if name == "audio":
        from genqemu.importer.sound import audio_pieces

        if option.index != context.only_audio:
            return [Piece("audio", parse_qemuopts(arg, "driver"), origin)]
        return audio_pieces(option, context.cards)
    if name == "qmp" and arg.startswith("unix:"):
        chardev = _compat_chardev(arg)
        if chardev is not None:
            return [
                Piece("chardev", chardev, origin),
                Piece("mon", [("chardev", GENERATED), ("mode", "control")], origin),
            ]
    if name == "mon" and option.get("mode") is None:  # QEMU's default: the human monitor
        return [Piece(name, [*props, ("mode", MONITOR_MODES["hmp"])], origin)]
    if name == "global" and "=" in arg and "." in arg.split("=", 1)[0] and "driver=" not in arg:
        target, _, value = arg.partition("=")
        driver, _, prop = target.partition(".")
        return [Piece("global", [("driver", driver), ("property", prop), ("value", value)], origin)]
    if name == "M":
        name = "machine"
    if name == "device" and option.get("driver") in VIRTIO_ALIASES:
        props = [(k, v + context.virtio_suffix if k == "driver" else v) for k, v in props]
    return [Piece(name, _with_fd_paths(name, props, context), origin)]


def _drive(option: Option, context: Context) -> list[Piece]:
    """`-drive if=none|virtio` with a plain image file: a -blockdev node (and a device)."""
    keys = {k for k, _ in option.props}
    interface = option.get("if")
    image = option.get("file") or ""
    protocol = ":" in image and "/" not in image.split(":")[0]  # nbd:..., json:{...}
    if interface == "pflash" and image and not protocol and "file.driver" not in keys:
        # A plain file is what genqemu's file.driver=file,file.filename= says.
        props = [(k, v) for k, v in option.props if k != "file"]
        return [
            Piece(
                "drive", [*props, ("file.driver", "file"), ("file.filename", image)], option.index
            )
        ]
    if not (keys <= _DRIVE_KEYS | {"media"}) or interface not in ("none", "virtio"):
        return [Piece("drive", option.props, option.index)]
    if option.get("media") not in (None, "disk") or not option.get("format") or protocol:
        return [Piece("drive", option.props, option.index)]
    ident = option.get("id") or GENERATED
    node: Props = [
        ("driver", option.get("format") or ""),
        ("node-name", ident),
        ("file.driver", "file"),
        ("file.filename", image),
    ]
    extra: dict[str, str] = {}
    for key, target in (("aio", "file.aio"), ("readonly", "read-only"), ("discard", "discard")):
        value = option.get(key)
        if value is not None:
            node.append((target, value))
    cache = option.get("cache")
    if cache is not None:
        mode = CACHE_MODES.get(cache)
        if mode is None:
            return [Piece("drive", option.props, option.index)]
        node += [("cache.direct", onoff(mode.direct)), ("cache.no-flush", onoff(mode.no_flush))]
        extra["write-cache"] = onoff(mode.write_cache)
    pieces = [Piece("blockdev", node, option.index, extra=extra)]
    if interface == "virtio":
        device: Props = [("driver", "virtio-blk" + context.virtio_suffix), ("drive", ident)]
        device += list(extra.items())
        pieces.append(Piece("device", device, option.index))
    return pieces


def _inherit_write_cache(pieces: list[Piece]) -> None:
    """A device on a `-drive cache=...` takes that drive's write cache setting."""
    nodes = {p.get("node-name"): p for p in pieces if p.option == "blockdev" and p.extra}
    for piece in pieces:
        node = nodes.get(piece.get("drive")) if piece.option == "device" else None
        if node is not None and node.get("node-name") != GENERATED:
            for key, value in node.extra.items():
                if piece.get(key) is None:
                    piece.props.append((key, value))


def _serial(arg: str, origin: int) -> list[Piece]:
    if arg.startswith("chardev:"):
        return [Piece("serial", [("chardev", arg[len("chardev:") :])], origin)]
    if arg in ("stdio", "pty", "null"):
        chardev: Props | None = [("backend", arg), ("id", GENERATED)]
    else:
        chardev = _compat_chardev(arg)
    if chardev is None:
        return [Piece("serial", [("", arg)], origin)]
    return [Piece("chardev", chardev, origin), Piece("serial", [("chardev", GENERATED)], origin)]


def _compat_chardev(arg: str) -> Props | None:
    """QEMU's legacy chardev spelling (`unix:PATH,server,nowait`, `file:PATH`) as -chardev."""
    prefix, _, rest = arg.partition(":")
    backend = _CHARDEV_PREFIXES.get(prefix)
    if backend is None or not rest:
        return None
    path, _, flags = rest.partition(",")
    props: Props = [("backend", backend), ("id", GENERATED), ("path", path)]
    if flags:
        if backend != "socket":
            return None
        for name, value in parse_qemuopts(flags):
            if name not in ("server", "wait"):
                return None
            props.append((name, value))
    return props


def _with_fd_paths(option: str, props: Props, context: Context) -> Props:
    """fd numbers (fds=3:4, vhostfd=8, -incoming fd:9) replaced by the files open on them."""
    if not context.fds:
        return props
    out: Props = []
    for name, value in props:
        if (option, name) in (("netdev", "fds"), ("netdev", "vhostfds"), ("device", "vhostfd")):
            value = ":".join(_fd_path(number, context) for number in value.split(":"))
        elif option == "incoming" and value.startswith("fd:"):
            value = "fd:" + _fd_path(value[3:], context)
        out.append((name, value))
    return out


def _fd_path(number: str, context: Context) -> str:
    if number.isdigit() and int(number) in context.fds:
        path, mode = context.fds[int(number)]
        return f"<{mode}:{path}>"
    return number


def canonical(piece: Piece, given: frozenset[str]) -> tuple[str, tuple[tuple[str, str], ...]]:
    """The canonical form of a piece; ids not in `given` (made up by QEMU or genqemu) are `*`."""
    props = [(name, _normal(piece.option, name, value, given)) for name, value in piece.props]
    return piece.option, tuple(sorted(props))


def _normal(option: str, name: str, value: str, given: frozenset[str]) -> str:
    if name in ID_KEYS:
        base, dot, rest = value.partition(".")
        if value not in given and base not in given:
            return GENERATED + dot + rest if dot and rest.isdigit() else GENERATED
        return value
    if name in SIZE_KEYS.get(option, ()):
        return size_bytes(value, "m" if option == "m" else "b") or value
    if option == "device" and name == "addr":
        match = PCI_ADDR.match(value)
        if match:
            return f"{int(match.group(1), 16)}.{int(match.group(2) or '0', 16)}"
    if option == "netdev" and re.fullmatch(r"(host|guest)fwd\.\d+\.str", name):
        return value
    flag = to_bool(value)
    if isinstance(flag, bool):
        return onoff(flag)
    if _INTEGER.match(value):
        return str(int(value, 0))
    return value


def size_bytes(value: str, default_unit: str = "b") -> str | None:
    """A QEMU size (`1G`, `1048576k`, `1024` MiB for -m) in bytes, or None."""
    match = _SIZE.match(value.strip())
    if not match:
        return None
    number, unit = match.groups()
    scale = 1 << (10 * _UNITS.index((unit or default_unit).lower()))
    return str(int(float(number) * scale)) if "." in number else str(int(number) * scale)
