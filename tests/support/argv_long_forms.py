"""QEMU's short forms in their long form, for tests/support/argv_equivalence.py:
-drive if=virtio|none as -blockdev and -device (cache= split between them),
-drive if=pflash,file=F, -virtfs, -nic, -device virtio-blk without its
transport, -audio, -serial/-qmp with a chardev spec, -mon without mode=, and
-global D.P=V. Written from QEMU's documentation and measurements, apart from
genqemu/importer."""

from __future__ import annotations

import re

from .argv_audio import AUDIO_CARDS, audio_long_form

# qdev-monitor.c: -device virtio-blk is virtio-blk-ccw on s390x, virtio-blk-pci elsewhere.
_ALIASES = {
    "virtio-9p", "virtio-balloon", "virtio-blk", "virtio-net", "virtio-rng", "virtio-scsi",
    "virtio-serial",
}  # fmt: skip
_CACHE = {
    "writeback": ("off", "off", "on"),
    "none": ("on", "off", "on"),
    "writethrough": ("off", "off", "off"),
    "directsync": ("on", "off", "off"),
    "unsafe": ("off", "on", "on"),
}


def long_form(
    name: str, props: list[tuple[str, str]], arg: str | None, virtio: str
) -> list[tuple[str, list[tuple[str, str]]]]:
    values = dict(props)
    if name == "drive" and values.get("if") in ("none", "virtio") and "format" in values:
        node = [
            ("driver", values["format"]), ("node-name", values.get("id", "?")),
            ("file.driver", "file"), ("file.filename", values["file"]),
        ]  # fmt: skip
        for key, target in (("aio", "file.aio"), ("readonly", "read-only"), ("discard", "discard")):
            if key in values:
                node.append((target, values[key]))
        if "cache" in values:
            direct, no_flush, write_cache = _CACHE[values["cache"]]
            node += [("cache.direct", direct), ("cache.no-flush", no_flush), ("~wc", write_cache)]
        out = [("blockdev", node)]
        if values["if"] == "virtio":
            device = [("driver", "virtio-blk" + virtio), ("drive", values.get("id", "?"))]
            out.append(("device", device))
        return out
    if name == "drive" and values.get("if") == "pflash" and "file" in values:
        # QEMU opens a file without a protocol prefix (path_has_protocol) with the
        # file driver: file=F is file.driver=file,file.filename=F.
        head = re.split(r"[:/]", values["file"], maxsplit=1)
        if len(head) == 1 or values["file"][len(head[0])] != ":":
            rest = [(k, v) for k, v in props if k != "file"]
            return [(name, [*rest, ("file.driver", "file"), ("file.filename", values["file"])])]
    if name == "virtfs":
        ident = values.get("id", "?")
        fsdev = [(k, v) for k, v in props if k not in ("mount_tag", "id")] + [("id", ident)]
        device = [("driver", "virtio-9p-pci"), ("fsdev", ident), ("mount_tag", values["mount_tag"])]
        return [("fsdev", fsdev), ("device", device)]
    if name == "nic" and "model" in values:
        model = values["model"]
        driver = "virtio-net" + virtio if model == "virtio" else model
        device = [("driver", driver), ("netdev", "?")] + [(k, v) for k, v in props if k == "mac"]
        netdev = [(k, v) for k, v in props if k not in ("model", "mac")] + [("id", "?")]
        return [("netdev", netdev), ("device", device)]
    if name == "device" and values.get("driver") in _ALIASES:
        return [(name, [(k, v + virtio if k == "driver" else v) for k, v in props])]
    if name == "audio" and values.get("model") in AUDIO_CARDS and "driver" in values:
        return audio_long_form(props, values)
    if name in ("serial", "qmp") and arg is not None:
        return _chardev_short_form(name, arg)
    if name == "mon" and "mode" not in values:  # QEMU's default: the human monitor
        return [(name, [*props, ("mode", "readline")])]
    if name == "global" and arg is not None and "driver=" not in arg:
        target, _, value = arg.partition("=")
        driver, _, prop = target.partition(".")
        return [("global", [("driver", driver), ("property", prop), ("value", value)])]
    return [(name, props)]


def _chardev_short_form(name: str, arg: str) -> list[tuple[str, list[tuple[str, str]]]]:
    if name == "serial" and arg.startswith("chardev:"):
        return [("serial", [("chardev", arg[8:])])]
    backend, _, rest = arg.partition(":")
    if name == "serial" and arg in ("stdio", "pty", "null"):
        chardev = [("backend", arg), ("id", "?")]
    elif backend in ("unix", "file", "pipe") and rest:
        path, *flags = rest.split(",")
        chardev = [("backend", "socket" if backend == "unix" else backend), ("id", "?")]
        chardev.append(("path", path))
        for flag in flags:
            key, _, value = flag.partition("=")
            chardev.append((key[2:], "off") if key.startswith("no") else (key, value or "on"))
    else:
        return [(name, [("", arg)])]
    if name == "serial":
        return [("chardev", chardev), ("serial", [("chardev", "?")])]
    return [("chardev", chardev), ("mon", [("chardev", "?"), ("mode", "control")])]


def cache_to_device(out: list[tuple[str, list[tuple[str, str]]]]) -> None:
    """A -drive's cache= write-cache half belongs to the device on it."""
    caches = {
        dict(props)["node-name"]: dict(props)["~wc"]
        for name, props in out
        if name == "blockdev" and "~wc" in dict(props)
    }
    for index, (name, props) in enumerate(out):
        if name == "blockdev":
            out[index] = (name, [(k, v) for k, v in props if k != "~wc"])
        elif (
            name == "device"
            and dict(props).get("drive") in caches
            and "write-cache" not in dict(props)
        ):
            props.append(("write-cache", caches[dict(props)["drive"]]))
