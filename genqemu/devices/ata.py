"""ATA disks, CD-ROMs and the AHCI controller they can sit on.

An ATA disk (`ide-hd`) and a CD-ROM (`cdrom`) attach to the machine's
built-in ATA controller where it has one (q35's AHCI, pc's IDE: the profile's
`ata_bus`), else to an `ahci` controller of the config; a CD-ROM may sit on a
virtio-scsi controller instead, which is how arches without ATA get one.
genqemu/ata.py picks the controller and allocates the port and unit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from genqemu.checks import PATH, Ref
from genqemu.devices.base import PciDevice
from genqemu.devices.storage import BlockDevice
from genqemu.qemu_facts import AHCI_PORTS
from genqemu.schema import Problems, key
from genqemu.values import Boolean, Integer

if TYPE_CHECKING:
    from genqemu.config import Config


class Ahci(PciDevice):
    """A SATA controller (ICH9 AHCI) with six ports, for ATA disks and CD-ROMs."""

    kind = "ahci"
    id_prefix = "ahci"
    # What genqemu/ata.py allocates on it: ports, and devices per port.
    ata_ports: ClassVar[int] = AHCI_PORTS
    ata_units: ClassVar[int] = 1


class AtaAttached(BlockDevice):
    """Where an ATA device sits: a controller, a port on it and, on IDE, a unit.
    Its QEMU driver depends on the bus (genqemu/ata.py sets it)."""

    ata_driver: ClassVar[str] = ""
    scsi_driver: ClassVar[str] = ""  # on a SCSI controller; "" where it cannot go there

    controller: str | None = key(
        Ref("ahci"),
        default=None,
        doc="id of the ahci controller; default: the machine's built-in ATA controller "
        "(q35's AHCI, pc's IDE), else the only ahci",
    )
    port: int | None = key(
        Integer(min=0),
        default=None,
        doc="port on the controller (AHCI: 0-5; IDE: channel 0-1); default: the first free",
    )
    unit: int | None = key(
        Integer(min=0, max=1),
        default=None,
        doc="device on the port, on IDE only (0 master, 1 slave); default: the first free",
    )


class IdeHd(AtaAttached):
    """A hard disk on an ATA port: SATA on AHCI, parallel ATA on IDE (QEMU's ide-hd
    is both, so the kind is its name). The guest sees an sd disk through libata."""

    kind = "ide-hd"
    ata_driver = "ide-hd"

    def validate(self, problems: Problems) -> None:
        super().validate(problems)
        if self.read_only:  # QEMU 7.2: "Block node is read-only"
            problems.add(
                f"{self.toml_path}.read_only",
                "an ATA disk cannot be read-only (QEMU refuses it): use kind = 'cdrom' "
                "for a read-only image, or a virtio-blk or scsi-hd disk",
            )


class Cdrom(AtaAttached):
    """A read-only CD-ROM/DVD drive, with a medium or an empty tray: ide-cd on an
    ATA port, or scsi-cd on a SCSI controller (virtio-scsi, spapr-vscsi)."""

    kind = "cdrom"
    id_prefix = "cd"
    ata_driver = "ide-cd"
    scsi_driver = "scsi-cd"
    # A CD-ROM without a medium has no -blockdev: the file is optional here.
    file: str | None = key(  # type: ignore[assignment]
        PATH, default=None, doc="ISO image in the drive; default: none (an empty tray)"
    )
    read_only: bool | None = key(
        Boolean(), default=True, doc="always true: the guest cannot write a CD-ROM"
    )
    controller: str | None = key(
        Ref("ahci", "virtio-scsi", "spapr-vscsi"),
        default=None,
        doc="id of the ahci, virtio-scsi or spapr-vscsi controller; default: the machine's "
        "built-in ATA controller (q35's AHCI, pc's IDE), else the only such controller",
    )

    def validate(self, problems: Problems) -> None:
        super().validate(problems)
        if self.read_only is False:
            problems.add(
                f"{self.toml_path}.read_only",
                "a CD-ROM is read-only: remove read_only, or use a disk kind "
                "(virtio-blk, scsi-hd, ide-hd) for a writable image",
            )

    def check_config(self, config: Config, problems: Problems) -> None:
        if self.file is None:
            for name in ("cache", "aio", "discard", "share_rw", "backend_id", "backing"):
                if getattr(self, name) not in (None, (), []):
                    problems.add(
                        f"{self.toml_path}.{name}",
                        f"applies to the medium, and the tray is empty: set file, or remove {name}",
                    )
