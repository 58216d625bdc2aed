"""Point an example config at files that exist here, so real QEMU can start it.

Examples name host paths where their launch script will run (/var/lib/...).
For an acceptance run each path is replaced by a file made in a temporary
folder: a kernel QEMU will load for the arch, blank disk images, a shared
folder, socket and log paths. Devices that cannot start in a sandbox (a tap
netdev, vhost-vsock without /dev/vhost-vsock) are taken out and returned, so
the caller checks their properties against QEMU's help instead.
"""

from __future__ import annotations

import copy
import os
import struct
import subprocess
from pathlib import Path
from typing import Any

_MIB = 1 << 20


def fake_kernel(arch: str) -> bytes:
    """The smallest file each machine's kernel loader accepts."""
    if arch == "amd64":  # a bzImage header: one setup sector, boot protocol 2.15
        image = bytearray(8192)
        image[0x1F1] = 1
        image[0x202:0x206] = b"HdrS"
        image[0x206:0x208] = struct.pack("<H", 0x020F)
        image[0x211] = 0x01
        image[0x22C:0x230] = struct.pack("<I", 0x7FFFFFFF)
        return bytes(image)
    if arch == "ppc64le":  # pseries loads ELF only: one PT_LOAD segment
        code = bytes(64)
        header = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8)
        header += struct.pack("<HHIQQQIHHHHHH", 2, 21, 1, 0, 64, 0, 0, 64, 56, 1, 0, 0, 0)
        segment = struct.pack("<IIQQQQQQ", 1, 7, 120, 0, 0, len(code), len(code), 0x10000)
        return header + segment + code
    return bytes(8192)  # arm64 and s390x load a raw image


def _image(path: Path, image_format: str) -> str:
    if image_format == "raw":
        path.write_bytes(b"")
        os.truncate(path, 8 * _MIB)
    else:
        subprocess.run(
            ["qemu-img", "create", "-q", "-f", image_format, str(path), "8M"], check=True
        )
    return str(path)


def localize(
    raw: dict[str, Any], arch: str, folder: Path
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A copy of `raw` whose host paths live in `folder`, and the devices taken out."""
    config = copy.deepcopy(raw)
    kernel = config.get("kernel")
    if kernel:
        (folder / "kernel").write_bytes(fake_kernel(arch))
        kernel["path"] = str(folder / "kernel")
        if "initrd" in kernel:
            (folder / "initrd").write_bytes(bytes(4096))
            kernel["initrd"] = str(folder / "initrd")
    for key in ("pidfile", "logfile"):
        if key in config:
            config[key] = str(folder / key)
    for index, entry in enumerate(config.get("qmp", [])):
        entry["path"] = str(folder / f"qmp{index}.sock")
    for entry in config.get("chardev", []):
        if "path" in entry:
            entry["path"] = str(folder / f"chardev-{entry['id']}")
    kept, removed = [], []
    for index, device in enumerate(config.get("device", [])):
        if not _startable(device):
            removed.append(device)
            continue
        if "file" in device:
            device["file"] = _image(folder / f"disk{index}.img", device.get("format", "raw"))
        if device.get("kind") == "virtio-9p":
            share = folder / f"share{index}"
            share.mkdir()
            device["path"] = str(share)
        kept.append(device)
    config["device"] = kept
    return config, removed


def _startable(device: dict[str, Any]) -> bool:
    if device.get("kind") == "vhost-vsock":
        return os.access("/dev/vhost-vsock", os.R_OK | os.W_OK)
    netdev = device.get("netdev")
    return not (isinstance(netdev, dict) and netdev.get("type") == "tap")
