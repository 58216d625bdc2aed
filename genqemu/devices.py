"""Guest devices (`[[device]]`): one class per `kind`, named after QEMU's driver.

A class declares its keys and, as class variables, what resolution needs:
whether its driver name takes the transport suffix (`virtio`), the prefix of
its automatic ids and of the id of its host backend. Its template is
templates/<kind>.j2 unless it names another.
"""

from __future__ import annotations

from typing import Any, ClassVar

from genqemu.checks import ID, NAME, PATH, Ref
from genqemu.netdevs import NETDEV, Netdev
from genqemu.schema import Boolean, Integer, Model, Problems, Tagged, Text, key

DEVNO = Text(
    pattern=r"[0-9a-fA-F]{1,2}\.[0-3]\.[0-9a-fA-F]{1,4}\Z",
    hint="a CCW device number is CSSID.SSID.DEVNO in hex, e.g. 'fe.0.0001'",
)
MAC = Text(
    pattern=r"[0-9a-fA-F][02468aceACE](:[0-9a-fA-F]{2}){5}\Z",
    hint="write six hex octets like '52:54:00:12:34:56'; the first must be even (unicast)",
)


class Device(Model):
    """A guest device; subclasses set `kind` and declare their keys."""

    kind: ClassVar[str] = ""
    id_prefix: ClassVar[str] = "dev"
    backend_prefix: ClassVar[str] = ""  # derived id of the host-side backend
    virtio: ClassVar[bool] = False  # driver = kind + the transport's suffix
    template: ClassVar[str] = ""

    id: str = key(ID, default=None, doc="device id; default: the kind's prefix and a number")

    # Filled in by resolve.
    driver: str
    transport: str | None
    transport_rule: str
    devno: str | None
    backend_id: str

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.kind and not cls.template:
            cls.template = f"{cls.kind}.j2"


DEVICE: Tagged[Device] = Tagged("kind", Device)


class VirtioDevice(Device):
    """A virtio device: its driver is `kind` plus the transport suffix."""

    virtio = True
    transport: str | None = key(
        Text(choices=("pci", "ccw", "mmio")),
        default=None,
        doc="virtio transport; default: the machine's (see the arch profile)",
    )
    devno: str | None = key(
        DEVNO,
        default=None,
        transports=("ccw",),
        doc="CCW device number; default: the next free fe.0.NNNN",
    )
    iommu_platform: bool | None = key(
        Boolean(), default=None, doc="use the platform IOMMU; default: the top-level knob"
    )
    romfile: str | None = key(
        PATH, default=None, transports=("pci",), doc="option ROM file; an empty string disables it"
    )
    disable_modern: bool | None = key(
        Boolean(), default=None, transports=("pci",), doc="offer only the legacy virtio interface"
    )
    disable_legacy: bool | None = key(
        Boolean(), default=None, transports=("pci",), doc="offer only the modern virtio interface"
    )


_FORMATS = ("raw", "qcow2", "qed", "vmdk", "vdi", "vhdx", "vpc", "luks")
_CACHE = ("writeback", "none", "writethrough", "directsync", "unsafe")


class BlockDevice(Device):
    """The host side of a disk: a `-blockdev` node on an image file."""

    id_prefix = "disk"
    backend_prefix = "drive-"
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

    def validate(self, problems: Problems) -> None:
        if self.aio == "native" and self.cache not in ("none", "directsync"):
            problems.add(
                f"{self.toml_path}.aio",
                '\'native\' needs cache = "none" or "directsync" (O_DIRECT): set cache',
            )


class VirtioBlk(VirtioDevice, BlockDevice):
    """A virtio disk."""

    kind = "virtio-blk"
    iothread: str | None = key(Ref("iothread"), default=None, doc="iothread to run in")
    num_queues: int | None = key(
        Integer(min=1, max=1024), default=None, doc="number of request queues"
    )


class VirtioScsi(VirtioDevice):
    """A virtio SCSI controller; `scsi-hd` disks attach to it."""

    kind = "virtio-scsi"
    id_prefix = "scsi"
    iothread: str | None = key(Ref("iothread"), default=None, doc="iothread to run in")
    num_queues: int | None = key(
        Integer(min=1, max=1024), default=None, doc="number of request queues"
    )


class ScsiHd(BlockDevice):
    """A SCSI disk on a virtio-scsi controller."""

    kind = "scsi-hd"
    bus: str = key(
        Ref("virtio-scsi", single_default=True),
        default=None,
        doc="virtio-scsi controller id; default: the only one",
    )
    scsi_id: int | None = key(Integer(min=0, max=255), default=None, doc="SCSI target id")
    lun: int | None = key(Integer(min=0, max=16383), default=None, doc="logical unit number")


class VirtioNet(VirtioDevice):
    """A virtio network card and its host backend (`-netdev`)."""

    kind = "virtio-net"
    id_prefix = "net"
    backend_prefix = "netdev-"
    netdev: Netdev = key(NETDEV, doc='host backend: a table with type = "user" or "tap"')
    mac: str | None = key(MAC, default=None, doc="MAC address; default: QEMU picks one")
    bootindex: int | None = key(Integer(min=0), default=None, doc="boot order")


class Virtio9p(VirtioDevice):
    """A host directory shared over 9p (`-fsdev local` + `virtio-9p`)."""

    kind = "virtio-9p"
    id_prefix = "fs"
    backend_prefix = "fsdev-"
    path: str = key(PATH, doc="host directory to share")
    mount_tag: str = key(
        Text(pattern=r".", hint="cannot be empty", max_len=31),
        doc="tag the guest mounts, e.g. mount -t 9p TAG /mnt",
    )
    security_model: str = key(
        Text(choices=("mapped-xattr", "mapped-file", "passthrough", "none")),
        doc="how guest file ownership is stored: mapped-xattr, mapped-file, "
        "passthrough (needs root) or none",
    )
    readonly: bool | None = key(Boolean(), default=None, doc="export read-only")
    multidevs: str | None = key(
        Text(choices=("remap", "forbid", "warn")),
        default=None,
        doc="what to do with several host file systems under path",
    )


class VirtioSerial(VirtioDevice):
    """A virtio-serial controller; virtconsole and virtserialport attach to it."""

    kind = "virtio-serial"
    id_prefix = "vser"
    max_ports: int | None = key(
        Integer(min=1, max=511), default=None, doc="number of ports (QEMU's default: 31)"
    )


class SerialPort(Device):
    """A port on a virtio-serial controller, backed by a chardev."""

    template = "virtio-serial-port.j2"
    chardev: str = key(Ref("chardev"), doc="id of the chardev it carries")
    bus: str = key(
        Ref("virtio-serial", single_default=True),
        default=None,
        doc="virtio-serial controller id; default: the only one",
    )
    name: str | None = key(
        NAME, default=None, doc="port name the guest sees (/dev/virtio-ports/NAME)"
    )


class Virtconsole(SerialPort):
    """A console port (hvc0, hvc1, ... in the guest)."""

    kind = "virtconsole"
    id_prefix = "console"


class Virtserialport(SerialPort):
    """A plain data port."""

    kind = "virtserialport"
    id_prefix = "port"


class Serial(Device):
    """The machine's own serial console (`-serial chardev:ID`): ttyS0 on x86,
    ttyAMA0 on arm64, hvc0 on pseries, ttysclp0 on s390x."""

    kind = "serial"
    id_prefix = "serial"
    chardev: str = key(Ref("chardev"), doc="id of the chardev it carries")


class VirtioRng(VirtioDevice):
    """A hardware random number generator for the guest."""

    kind = "virtio-rng"
    id_prefix = "rng"
    backend_prefix = "rng-"
    filename: str | None = key(
        PATH,
        default=None,
        doc="host entropy source (rng-random); default: QEMU's built-in generator (rng-builtin)",
    )
    max_bytes: int | None = key(
        Integer(min=1), default=None, doc="bytes the guest may read per period"
    )
    period: int | None = key(Integer(min=1), default=None, doc="period in milliseconds")


class VirtioBalloon(VirtioDevice):
    """A memory balloon."""

    kind = "virtio-balloon"
    id_prefix = "balloon"
    deflate_on_oom: bool | None = key(
        Boolean(), default=None, doc="give memory back when the guest runs out"
    )
    free_page_reporting: bool | None = key(
        Boolean(), default=None, doc="tell the host which pages are free"
    )


class VhostVsock(VirtioDevice):
    """A virtio socket to the host (needs /dev/vhost-vsock where QEMU runs)."""

    kind = "vhost-vsock"
    id_prefix = "vsock"
    guest_cid: int = key(
        Integer(min=3, max=2**32 - 2, hint="0-2 are reserved and 4294967295 is VMADDR_CID_ANY"),
        doc="the guest's context id, 3 to 4294967294, unique on the host",
    )
