"""What a booted guest should see, and what it says it sees.

GUEST_VIEW maps each device kind to the lines the guest's init prints for one
device of that kind (tests/boot_init.sh), with the instance names left out
(vda, eth0, virtio3), and to the kernel modules the guest needs for it. A new
device kind is one entry; a kind without an entry fails the boot test.

The virtio device ids are the virtio specification's (5.x "Device Types"):
net 1, block 2, console 3, entropy 4, balloon 5, SCSI 8, 9P 9, vsock 19.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

BEGIN = "=== genqemu guest view ==="
END = "=== end of guest view ==="

# The console each arch's kernel is told to use, and the guest's view of
# the machine's serial ports when the VM has `count` of them (-serial).
CONSOLE = {"amd64": "ttyS0", "arm64": "ttyAMA0", "ppc64le": "hvc0", "s390x": "ttysclp0"}
SERIAL_PORTS: dict[str, Callable[[int], list[str]]] = {
    # ISA 16550A UARTs, one per -serial.
    "amd64": lambda count: ["tty ttyS"] * count,
    # The virt board has one PL011 whether or not a -serial feeds it.
    "arm64": lambda count: ["tty ttyAMA"],
    # spapr-vty devices, one per -serial; Linux drives them with hvc_vio.
    "ppc64le": lambda count: ["hvc"] * count,
    # The SCLP ASCII console (sclpconsole), then the line-mode one (sclplmconsole).
    "s390x": lambda count: ["tty ttysclp", "tty sclp_line"][:count],
}

# Guest modules every VM gets: the virtio transports that are modules in
# Debian's kernels (virtio-ccw is built into the s390x kernel).
BASE_MODULES = ("virtio_pci", "virtio_mmio")

# The sysfs bus of a virtio device's parent, per genqemu transport.
GUEST_BUS = {"pci": "pci", "ccw": "ccw", "mmio": "platform"}


@dataclass(frozen=True)
class View:
    """One device kind in the guest: its lines and the modules that make them."""

    lines: Callable[[Any], list[str]]
    modules: tuple[str, ...] = ()


def virtio(device: Any, device_id: int, driver: str) -> str:
    """A virtio device bound to `driver`, on its transport's bus (at its devno on CCW)."""
    line = f"virtio id={device_id} driver={driver} bus={GUEST_BUS[device.transport]}"
    if device.transport == "ccw":
        _, ssid, number = device.devno.split(".")
        line += f" at=0.{int(ssid, 16):x}.{number}"
    return line


def _ro(device: Any) -> int:
    return int(bool(device.read_only))


GUEST_VIEW: dict[str, View] = {
    "virtio-blk": View(
        lambda d: [
            virtio(d, 2, "virtio_blk"),
            f"block bus=virtio ro={_ro(d)} serial={d.serial or ''} readable=yes",
        ],
        ("virtio_blk",),
    ),
    "virtio-net": View(
        lambda d: [virtio(d, 1, "virtio_net"), f"net mac={d.mac or '*'} driver=virtio_net"],
        ("virtio_net",),
    ),
    "virtio-scsi": View(lambda d: [virtio(d, 8, "virtio_scsi")], ("virtio_scsi",)),
    "scsi-hd": View(lambda d: [f"block bus=scsi ro={_ro(d)} readable=yes"], ("sd_mod",)),
    "virtio-9p": View(
        lambda d: [virtio(d, 9, "9pnet_virtio"), f"9p {d.mount_tag} mounted=yes"],
        ("9pnet_virtio", "9p"),
    ),
    "virtio-serial": View(lambda d: [virtio(d, 3, "virtio_console")], ("virtio_console",)),
    # A console port is an hvc tty; Linux gives it no virtio-ports entry.
    "virtconsole": View(lambda d: ["hvc"]),
    "virtserialport": View(lambda d: [f"port name={d.name or ''}"]),
    # Counted with the machine's serial ports (SERIAL_PORTS), which the test adds.
    "serial": View(lambda d: []),
    "virtio-rng": View(lambda d: [virtio(d, 4, "virtio_rng"), "rng virtio_rng"], ("virtio_rng",)),
    "virtio-balloon": View(lambda d: [virtio(d, 5, "virtio_balloon")], ("virtio_balloon",)),
    "vhost-vsock": View(
        lambda d: [virtio(d, 19, "vmw_vsock_virtio_transport")], ("vmw_vsock_virtio_transport",)
    ),
}


class UnknownKind(Exception):
    """A device kind the boot test has no expected guest view for."""


def guest_modules() -> list[str]:
    """Every module the initramfs loads: the transports, then each kind's."""
    modules = list(BASE_MODULES)
    for view in GUEST_VIEW.values():
        modules += [m for m in view.modules if m not in modules]
    return modules


def expected_view(devices: Sequence[Any], arch: str, serial_ports: int) -> list[str]:
    """The guest's lines for these devices, sorted; `*` in a line matches anything."""
    lines = [f"console {CONSOLE[arch]}", *SERIAL_PORTS[arch](serial_ports)]
    for device in devices:
        view = GUEST_VIEW.get(device.kind)
        if view is None:
            raise UnknownKind(
                f"no guest view for device kind {device.kind!r}: add it to GUEST_VIEW in "
                "tests/boot_view.py (the lines the guest prints for it, and its modules)"
            )
        lines += view.lines(device)
    return sorted(lines)


def guest_block(console: str) -> list[str]:
    """The lines between the markers, as printed; ValueError if the block is incomplete."""
    lines = console.replace("\r", "").splitlines()
    try:
        start = lines.index(BEGIN)
        end = lines.index(END, start)
    except ValueError:
        raise ValueError("the guest did not print a complete view") from None
    return lines[start + 1 : end]


def normalize(line: str) -> str:
    """A guest line without its instance name: `block vda bus=virtio` -> `block bus=virtio`."""
    kind, _, rest = line.partition(" ")
    name, _, details = rest.partition(" ")
    if kind in ("virtio", "block", "net", "port"):
        if kind == "virtio" and " bus=ccw " not in f" {details} ":
            details = re.sub(r" at=\S*", "", details)
        return f"{kind} {details}".rstrip()
    if kind == "hvc":
        return "hvc"
    if kind in ("tty", "rng"):
        return f"{kind} {re.sub(r'[.]?[0-9]+$', '', name)}"
    return line


def guest_view(block: Sequence[str]) -> list[str]:
    """The guest's device lines, normalized and sorted (the `kernel` line left out)."""
    return sorted(normalize(line) for line in block if not line.startswith("kernel "))


def unmatched(expected: Sequence[str], seen: Sequence[str]) -> tuple[list[str], list[str]]:
    """(expected lines the guest lacks, guest lines nobody expected); `*` is a wildcard.

    Exact lines pair up first, so a wildcard never takes a line an exact one needs.
    """
    missing = []
    left = list(seen)
    patterns = []
    for line in expected:
        if "*" in line:
            patterns.append(line)
        elif line in left:
            left.remove(line)
        else:
            missing.append(line)
    for pattern in patterns:
        match = next((line for line in left if fnmatch.fnmatchcase(line, pattern)), None)
        if match is None:
            missing.append(pattern)
        else:
            left.remove(match)
    return missing, left
