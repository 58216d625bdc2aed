"""Point an example config at files that exist here, so real QEMU can start it.

Examples name host paths where their launch script will run (/var/lib/...).
For an acceptance run each path is replaced by a file made in a temporary
folder: a kernel QEMU will load for the arch, blank disk and flash images, a
shared folder, socket and log paths, a migration stream that never ends.
What cannot start in a sandbox is taken out and returned, so the caller
checks its properties against QEMU's own lists instead: host devices and
backends that are not here (tap, macvtap and bridge interfaces, vhost-user backends,
VFIO devices, a host TPM, /dev/vhost-vsock) and confidential-guest objects,
which need KVM on matching hardware.
"""

from __future__ import annotations

import copy
import os
import re
import struct
import subprocess
from pathlib import Path
from typing import Any

from genqemu.schema import Problems
from genqemu.values import Size

from .iso import iso_image

_MIB = 1 << 20
# Flash images: virt maps each as 64 MiB; x86 allows 8 MiB of flash in all.
_PFLASH_SIZE = {"arm64": 64 * _MIB}
NEEDS_HOST = {  # device kinds that need a host device or a backend process
    "vfio-pci",
    "vfio-ccw",
    "vfio-ap",
    "usb-host",
    "spapr-tpm-proxy",
    "vhost-user-blk",
    "vhost-user-scsi",
    "vhost-user-fs",
}
# bridge needs qemu-bridge-helper, a host bridge and /etc/qemu/bridge.conf.
_HOST_NETDEVS = {"tap", "macvtap", "ipvtap", "vhost-user", "bridge"}


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


def _sparse(path: Path, size: int) -> str:
    path.write_bytes(b"")
    os.truncate(path, size)
    return str(path)


def _image(path: Path, image_format: str) -> str:
    if image_format == "raw":
        return _sparse(path, 8 * _MIB)
    subprocess.run(["qemu-img", "create", "-q", "-f", image_format, str(path), "8M"], check=True)
    return str(path)


def _size(value: object) -> int:
    size = Size()(value, "", Problems())
    assert isinstance(size, int)
    return size


def _startable(device: dict[str, Any]) -> bool:
    kind = device.get("kind")
    if kind in NEEDS_HOST or device.get("fsdriver") == "proxy":
        return False
    if kind == "vhost-vsock":
        return "vhostfd" not in device and os.access("/dev/vhost-vsock", os.R_OK | os.W_OK)
    netdev = device.get("netdev")
    return not (isinstance(netdev, dict) and netdev.get("type") in _HOST_NETDEVS)


def localize(
    raw: dict[str, Any], arch: str, folder: Path
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A copy of `raw` whose host paths live in `folder`, and what was taken out."""
    config = copy.deepcopy(raw)
    removed: list[dict[str, Any]] = []
    config.setdefault("machine", {})["accel"] = "tcg"  # KVM may be absent, or another arch
    kernel = config.get("kernel")
    if kernel:
        (folder / "kernel").write_bytes(fake_kernel(arch))
        kernel["path"] = str(folder / "kernel")
        if "initrd" in kernel:
            (folder / "initrd").write_bytes(bytes(4096))
            kernel["initrd"] = str(folder / "initrd")
    flash_size = _PFLASH_SIZE.get(arch, 4 * _MIB)
    config["pflash"] = [
        _sparse(folder / f"flash{i}.fd", flash_size) for i, _ in enumerate(config.get("pflash", []))
    ]
    firmware = config.get("firmware")
    if firmware is not None and firmware.get("type") != "bios":
        # This VM's variable store: created from the firmware's template by the
        # launch (genqemu.run.copy_templates), as the script would.
        firmware["vars"] = str(folder / "vars.fd")
        for key in ("code", "vars_template"):
            if key in firmware:
                firmware[key] = _sparse(folder / f"{key}.fd", flash_size)
    for key in ("pidfile", "logfile"):
        if key in config:
            config[key] = str(folder / key)
    memory = config.get("memory", {})
    if memory.get("mem_path") or memory.get("hugepages"):
        memory["mem_path"] = str(folder)
    for index, entry in enumerate(config.get("qmp", [])):
        entry["path"] = str(folder / f"qmp{index}.sock")
    for entry in config.get("chardev", []):
        if "path" in entry:
            entry["path"] = str(folder / f"chardev-{entry['id']}")
    for index, entry in enumerate(config.get("fw_cfg", [])):
        if "file" in entry:
            (folder / f"fw_cfg{index}").write_text("genqemu\n")
            entry["file"] = str(folder / f"fw_cfg{index}")
    incoming = config.get("incoming", {})
    if incoming.get("type") == "exec":
        incoming["command"] = "sleep 60"  # a stream that never ends
    elif incoming.get("type") == "fd":
        os.mkfifo(folder / "migration")
        incoming["path"] = str(folder / "migration")
    if "confidential" in config:
        removed.append(config.pop("confidential"))
    tpm = config.get("tpm", {})
    if tpm.get("backend") == "emulator" and "state" in tpm:
        # swtpm, started on this state folder by the launch (genqemu.prestart).
        tpm["state"] = str(folder / "tpm")
        tpm.pop("socket", None)
    elif tpm:  # a host TPM, or a swtpm the user runs: not here
        removed.append(config.pop("tpm"))
    display = config.get("display", {})
    if "unix" in display:
        display["unix"] = str(folder / "display.sock")
    if "password_file" in display:
        (folder / "display-password").write_text("genqemu")
        display["password_file"] = str(folder / "display-password")
    kept = []
    for index, device in enumerate(config.get("device", [])):
        if not _startable(device):
            removed.append(device)
            continue
        if device.get("kind") in ("nvdimm", "virtio-pmem"):
            device["file"] = _sparse(folder / f"nvdimm{index}", _size(device["size"]))
        elif device.get("kind") == "loader":
            (folder / f"blob{index}").write_bytes(bytes(64))
            device["file"] = str(folder / f"blob{index}")
        elif device.get("kind") in ("cdrom", "usb-cdrom") and "file" in device:
            (folder / f"cd{index}.iso").write_bytes(iso_image(f"GENQEMU_CD{index}"))
            device["file"] = str(folder / f"cd{index}.iso")
        elif "file" in device:
            device["file"] = _image(folder / f"disk{index}.img", device.get("format", "raw"))
        netdev = device.get("netdev", {})
        if "hostfwd" in netdev:  # port 0: any free one, so parallel runs do not clash
            netdev["hostfwd"] = [
                re.sub(r":\d+-", ":0-", rule, count=1) for rule in netdev["hostfwd"]
            ]
        for name in ("path", "local_path", "remote_path"):  # stream and dgram sockets
            if name in netdev:
                netdev[name] = str(folder / f"net{index}-{name}.sock")
        if "listen" in netdev:  # port 0 too, as hostfwd above
            netdev["listen"] = "127.0.0.1:0"
        if "socket" in device:  # a socket QEMU listens on (the guest agent's)
            device["socket"] = str(folder / f"socket{index}.sock")
        if device.get("kind") == "virtio-9p":
            share = folder / f"share{index}"
            share.mkdir()
            device["path"] = str(share)
        kept.append(device)
    config["device"] = kept
    return config, removed
