"""Guest devices (`[[device]]`): one class per `kind`, named after QEMU's driver.

Importing this package defines every kind; `DEVICE` checks a device table.
"""

from genqemu.devices import (
    ata,
    console,
    expander,
    memdev,
    memory,
    misc,
    network,
    nvme,
    platform,
    spiceagent,
    storage,
    topology,
    vscsi,
    watchdog,
)
from genqemu.devices.base import DEVICE, Device, PciDevice, VirtioDevice

__all__ = [
    "DEVICE",
    "Device",
    "PciDevice",
    "VirtioDevice",
    "ata",
    "console",
    "expander",
    "memdev",
    "memory",
    "misc",
    "network",
    "nvme",
    "platform",
    "spiceagent",
    "storage",
    "topology",
    "vscsi",
    "watchdog",
]
