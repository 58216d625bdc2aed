"""Guest devices (`[[device]]`): one class per `kind`, named after QEMU's driver.

Importing this package defines every kind; `DEVICE` checks a device table.
"""

from genqemu.devices import (
    agent,
    ata,
    console,
    expander,
    graphics,
    input,
    memdev,
    memory,
    misc,
    network,
    nvme,
    platform,
    sound,
    spiceagent,
    storage,
    topology,
    usb,
    vscsi,
    vsound,
    watchdog,
)
from genqemu.devices.base import DEVICE, Device, PciDevice, VirtioDevice

__all__ = [
    "DEVICE",
    "Device",
    "PciDevice",
    "VirtioDevice",
    "agent",
    "ata",
    "console",
    "expander",
    "graphics",
    "input",
    "memdev",
    "memory",
    "misc",
    "network",
    "nvme",
    "platform",
    "sound",
    "spiceagent",
    "storage",
    "topology",
    "usb",
    "vscsi",
    "vsound",
    "watchdog",
]
