"""pseries' own SCSI controller, on its VIO bus (Linux: ibmvscsi)."""

from __future__ import annotations

from genqemu.devices.base import Device


class SpaprVscsi(Device):
    """A PAPR virtual SCSI controller; scsi-hd disks and CD-ROMs attach to it
    as to a virtio-scsi, on its one bus ID.0."""

    kind = "spapr-vscsi"
    id_prefix = "vscsi"
