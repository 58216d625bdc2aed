"""Guest devices (`[[device]]`): one class per `kind`, named after QEMU's driver.

`DEVICE` checks a device table. A kind's module is imported when a config
names the kind (kinds.py is the index, written by catalog.py), so that a run
pays only for the kinds it uses; `DEVICE.models` imports them all.
"""

import sys

from genqemu.devices.base import DEVICE, Device, PciDevice, VirtioDevice

__all__ = ["DEVICE", "Device", "PciDevice", "VirtioDevice", "in_use"]


def in_use(module: str) -> bool:
    """Whether a config may hold kinds of this module: a device of one exists only
    once its module is imported, so the steps for those kinds can skip otherwise."""
    return f"{__name__}.{module}" in sys.modules
