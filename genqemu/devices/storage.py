"""Disks and storage controllers."""

from __future__ import annotations

from genqemu.checks import PATH, Ref
from genqemu.devices.backing import Backing, check_chain
from genqemu.devices.base import Device, VhostUserDevice, VirtioDevice, backend_id_key
from genqemu.qemu_facts import CACHE_MODES
from genqemu.schema import Problems, Table, key
from genqemu.values import Boolean, Integer, ListOf, Text

_FORMATS = ("raw", "qcow2", "qed", "vmdk", "vdi", "vhdx", "vpc", "luks")
_CACHE = tuple(CACHE_MODES)
_QUEUES = Integer(min=1, max=1024)
# virtio-scsi adds a control and an event queue to its request queues and QEMU
# 7.2 wants them under 1024 in all: "must be a positive integer less than 1022".
_SCSI_QUEUES = Integer(
    min=1, max=1021, hint="with its control and event queues QEMU takes fewer than 1024"
)


class BlockDevice(Device):
    """The host side of a disk: a `-blockdev` node on an image file."""

    id_prefix = "disk"
    backend_prefix = "drive-"
    backend_id: str = backend_id_key("-blockdev node (node-name)", "drive-")
    file: str = key(PATH, doc="disk image on the host")
    format: str = key(Text(choices=_FORMATS), default="raw", doc="image format")
    read_only: bool | None = key(Boolean(), default=None, doc="guest cannot write")
    cache: str | None = key(
        Text(choices=_CACHE),
        default=None,
        doc="cache mode, as -drive cache= (QEMU's default: writeback)",
    )
    aio: str | None = key(
        Text(choices=("threads", "native", "io_uring")),
        default=None,
        doc="host I/O engine; native needs cache none or directsync",
    )
    discard: str | None = key(
        Text(choices=("ignore", "unmap")),
        default=None,
        doc="pass guest discard requests to the image",
    )
    serial: str | None = key(Text(max_len=20), default=None, doc="serial number the guest sees")
    bootindex: int | None = key(Integer(min=0), default=None, doc="boot order")
    share_rw: bool | None = key(
        Boolean(), default=None, doc="let other QEMUs open the image for writing too"
    )
    backing: tuple[Backing, ...] = key(
        ListOf(Table(Backing), min_len=1),
        default=[],
        doc="backing chain of a qcow2 or qed overlay, nearest image first, e.g. "
        '[{ file = "base.img", format = "raw" }]; default: the image header\'s',
    )

    def validate(self, problems: Problems) -> None:
        super().validate(problems)
        node = self.backend_id or (f"{self.backend_prefix}{self.id}" if self.id else None)
        check_chain(self.toml_path, self.format, self.backing, node, problems)
        if self.format == "luks":  # QEMU 7.2: "Parameter 'key-secret' is required for cipher"
            problems.add(
                f"{self.toml_path}.format",
                "QEMU opens a LUKS image only with its key-secret, which genqemu cannot "
                "pass: give the -object secret and the disk in extra_args, as QEMU writes them",
            )
        if self.aio == "native" and not (self.cache and CACHE_MODES[self.cache].direct):
            problems.add(
                f"{self.toml_path}.aio",
                '\'native\' needs cache = "none" or "directsync" (O_DIRECT): set cache',
            )


class VirtioBlk(VirtioDevice, BlockDevice):
    """A virtio disk."""

    kind = "virtio-blk"
    iothread: str | None = key(Ref("iothread"), default=None, doc="iothread to run in")
    num_queues: int | None = key(_QUEUES, default=None, doc="number of request queues")
    config_wce: bool | None = key(
        Boolean(),
        default=None,
        doc="let the guest switch the write cache (false: it cannot; govmm's config-wce=off)",
    )


class VirtioScsi(VirtioDevice):
    """A virtio SCSI controller; `scsi-hd` disks attach to it."""

    kind = "virtio-scsi"
    id_prefix = "scsi"
    iothread: str | None = key(Ref("iothread"), default=None, doc="iothread to run in")
    num_queues: int | None = key(_SCSI_QUEUES, default=None, doc="number of request queues")


class ScsiHd(BlockDevice):
    """A SCSI disk on a virtio-scsi (or pseries' spapr-vscsi) controller."""

    kind = "scsi-hd"
    bus: str = key(
        Ref("virtio-scsi", "spapr-vscsi", single_default=True),
        default=None,
        doc="virtio-scsi or spapr-vscsi controller id; default: the only one",
    )
    scsi_id: int | None = key(Integer(min=0, max=255), default=None, doc="SCSI target id")
    lun: int | None = key(Integer(min=0, max=16383), default=None, doc="logical unit number")


class VhostUserBlk(VhostUserDevice):
    """A disk served by a vhost-user-blk backend (e.g. qemu-storage-daemon, SPDK)."""

    kind = "vhost-user-blk"
    id_prefix = "vublk"
    num_queues: int | None = key(_QUEUES, default=None, doc="number of request queues")
    bootindex: int | None = key(Integer(min=0), default=None, doc="boot order")


class VhostUserScsi(VhostUserDevice):
    """A SCSI controller served by a vhost-user-scsi backend."""

    kind = "vhost-user-scsi"
    id_prefix = "vuscsi"
    num_queues: int | None = key(_SCSI_QUEUES, default=None, doc="number of request queues")
    bootindex: int | None = key(Integer(min=0), default=None, doc="boot order")
