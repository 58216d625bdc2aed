"""Numbers genqemu hands out: CCW device numbers, PCI chassis numbers, fds.

Each allocator first takes the numbers the config set (a clash is an error),
then gives the rest the lowest free ones, in config order. All are linear in
the number of devices.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from genqemu.launch import InheritedFd
from genqemu.schema import Problems

if TYPE_CHECKING:
    from collections.abc import Sequence

    from genqemu.config import Qmp
    from genqemu.devices import Device
    from genqemu.process import Incoming
    from genqemu.profiles import Profile
    from genqemu.records import Placed

FIRST_FD = 3  # after stdin, stdout and stderr


def allocate_devnos(devices: list[Placed], profile: Profile, problems: Problems) -> None:
    """Give CCW device numbers: check the ones set, then fill in the rest."""
    used: dict[str, str] = {}
    pending: list[tuple[Placed, str]] = []
    for device in devices:
        spec = profile.transports.get(device.transport or "")
        if spec is None or spec.devno is None:
            continue
        chosen: str | None = getattr(device.config, "devno", None)
        if chosen is None:
            pending.append((device, spec.devno))
            continue
        css, ssid, unit = chosen.split(".")
        device.devno = devno = f"{int(css, 16):x}.{ssid}.{int(unit, 16):04x}"
        first = used.setdefault(devno, device.toml_path)
        if first != device.toml_path:
            problems.add(
                f"{device.toml_path}.devno",
                f"{devno} is already used by {first}: pick another or leave it out",
            )
    number = 0
    for device, pattern in pending:
        number += 1
        while pattern.format(number) in used:
            number += 1
        if number > 0xFFFF:
            problems.add(
                device.toml_path,
                "no free CCW device number is left (65535 are in use): set devno in "
                "another subchannel set, e.g. fe.1.0001",
            )
            return
        device.devno = pattern.format(number)
        used[device.devno] = device.toml_path


def allocate_chassis(devices: list[Placed], problems: Problems) -> None:
    """Unique chassis numbers for root ports and PCI bridges; (chassis, slot) pairs
    of root ports must differ, or QEMU refuses the second port."""
    pairs: dict[tuple[int, int], str] = {}
    taken: set[int] = set()
    pending: list[Placed] = []
    for device in devices:
        key = device.config.chassis_key
        if not key:
            continue
        chassis: int | None = getattr(device.config, key)
        if chassis is None:
            pending.append(device)
            continue
        device.chassis = chassis
        taken.add(chassis)
        pair = (chassis, getattr(device.config, "slot", None) or 0)
        first = pairs.setdefault(pair, device.toml_path)
        if first != device.toml_path:
            problems.add(
                f"{device.toml_path}.{key}",
                f"chassis {pair[0]} slot {pair[1]} is "
                f"already used by {first}: change chassis or slot, or leave them out",
            )
    number = 0
    for device in pending:
        number += 1
        while number in taken:
            number += 1
        if number > 255:
            problems.add(device.toml_path, "no free chassis number is left (1-255)")
            return
        device.chassis = number
        taken.add(number)


def check_passed_fds(qmps: Sequence[Qmp], fds: Sequence[InheritedFd], problems: Problems) -> None:
    """A descriptor the caller passes (a QMP socket) may not be one the script
    opens a file on, nor be passed twice."""
    opened = {fd.number for fd in fds}
    seen: dict[int, str] = {}
    for qmp in qmps:
        if qmp.fd is None:
            continue
        first = seen.setdefault(qmp.fd, qmp.toml_path)
        if first != qmp.toml_path:
            problems.add(f"{qmp.toml_path}.fd", f"{qmp.fd} is already passed for {first}")
        elif qmp.fd in opened:
            low, high = min(opened), max(opened)
            taken = f"descriptor {low}" if low == high else f"descriptors {low} to {high}"
            problems.add(
                f"{qmp.toml_path}.fd",
                f"the script opens a file QEMU inherits on {taken}: pass the socket on "
                f"{high + 1} or above",
            )


def allocate_fds(
    devices: list[Placed], incoming: Incoming | None
) -> tuple[list[InheritedFd], dict[str, list[int]]]:
    """Number the files QEMU inherits from 3 on, in argv order (devices, then
    the incoming migration); each device's record gets its numbers by role, and
    so does the incoming stream (the second value)."""
    fds: list[InheritedFd] = []

    def number(source: Device | Incoming) -> dict[str, list[int]]:
        numbers: dict[str, list[int]] = {}
        for role, path, mode in source.inherited_files():
            fds.append(InheritedFd(FIRST_FD + len(fds), path, mode))
            numbers.setdefault(role, []).append(fds[-1].number)
        return numbers

    for device in devices:
        device.fds = number(device.config)
    incoming_fds = number(incoming) if incoming is not None else {}
    return fds, incoming_fds
