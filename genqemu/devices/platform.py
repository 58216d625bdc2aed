"""Devices that exist on one architecture only: s390x passthrough, pseries TPM."""

from __future__ import annotations

from genqemu.checks import PATH
from genqemu.devices.base import DEVNO, Device
from genqemu.schema import key


class VfioCcw(Device):
    """A host channel I/O device passed through with VFIO (s390x)."""

    kind = "vfio-ccw"
    id_prefix = "hostccw"
    sysfsdev: str = key(PATH, doc="sysfs path of the mediated device")
    devno: str | None = key(
        DEVNO, default=None, doc="CCW device number; default: the next free fe.0.NNNN"
    )


class VfioAp(Device):
    """A host crypto adapter passed through with VFIO (s390x)."""

    kind = "vfio-ap"
    id_prefix = "hostap"
    sysfsdev: str = key(PATH, doc="sysfs path of the mediated device")


class SpaprTpmProxy(Device):
    """Passes the host TPM to a pseries guest (used with pef-guest)."""

    kind = "spapr-tpm-proxy"
    id_prefix = "tpm"
    host_path: str = key(PATH, doc="host TPM device, e.g. /dev/tpmrm0")
