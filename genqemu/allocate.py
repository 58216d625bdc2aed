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
    from genqemu.config import Config
    from genqemu.devices import Device
    from genqemu.profiles import Profile

FIRST_FD = 3  # after stdin, stdout and stderr


def allocate_devnos(devices: list[Device], profile: Profile, problems: Problems) -> None:
    """Give CCW device numbers: check the ones set, then fill in the rest."""
    used: dict[str, str] = {}
    pending: list[tuple[Device, str]] = []
    for device in devices:
        spec = profile.transports.get(device.__dict__.get("transport") or "")
        if spec is None or spec.devno is None:
            continue
        if device.devno is None:
            pending.append((device, spec.devno))
            continue
        css, ssid, unit = device.devno.split(".")
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


def allocate_chassis(devices: list[Device], problems: Problems) -> None:
    """Unique chassis numbers for root ports and PCI bridges; (chassis, slot) pairs
    of root ports must differ, or QEMU refuses the second port."""
    pairs: dict[tuple[int, int], str] = {}
    taken: set[int] = set()
    pending: list[Device] = []
    for device in devices:
        key = _chassis_key(device)
        if key is None:
            continue
        chassis = device.__dict__[key]
        if chassis is None:
            pending.append(device)
            continue
        taken.add(chassis)
        pair = (chassis, device.__dict__.get("slot") or 0)
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
        device.__dict__[_chassis_key(device) or ""] = number
        taken.add(number)


def _chassis_key(device: Device) -> str | None:
    for key in ("chassis", "chassis_nr"):
        if key in type(device).fields:
            return key
    return None


def allocate_fds(config: Config) -> list[InheritedFd]:
    """Number the files QEMU inherits from 3 on, in argv order (devices, then
    the incoming migration); each device learns its numbers by role."""
    fds: list[InheritedFd] = []
    owners: list[Device | None] = [*config.device, None]
    for owner in owners:
        source = owner if owner is not None else config.incoming
        if source is None:
            continue
        numbers: dict[str, list[int]] = {}
        for role, path, mode in source.inherited_files():
            number = FIRST_FD + len(fds)
            fds.append(InheritedFd(number, path, mode))
            numbers.setdefault(role, []).append(number)
        source.__dict__["fds"] = numbers
    return fds
