"""USB: host controllers on PCI, and the devices on their ports.

A USB device names its controller (or a usb-hub) in `bus`, the way scsi-hd
names its virtio-scsi; left out, it goes on the only controller, spilling
onto that controller's hubs when its own ports are taken, and onto a hub
genqemu adds when those are taken too (genqemu/usb_hubs.py). genqemu/usb.py
gives each device its port (`bus=ID.0,port=N`, `N.M` behind a hub), so the
order QEMU realizes them in cannot move one. A controller's port count is a
QEMU fact (genqemu/qemu_facts.py USB_PORTS), the same on every arch.
"""

from __future__ import annotations

from genqemu.checks import PATH, Ref
from genqemu.devices.base import Device, PciDevice
from genqemu.devices.storage import BlockDevice
from genqemu.schema import Problems, key
from genqemu.values import Boolean, Integer

# Controllers first: the USB kinds a device's `bus` may name.
CONTROLLERS = (
    "qemu-xhci",
    "nec-usb-xhci",
    "ich9-usb-ehci1",
    "ich9-usb-uhci1",
    "piix3-usb-uhci",
    "pci-ohci",
)
HUB = "usb-hub"

# lsusb's "ID 046d:c52b": a TOML hex integer, vendorid = 0x046d.
_USB_ID = Integer(min=0, max=0xFFFF, hint="a 16-bit id, in TOML as hex: 0x046d")


class UsbController(PciDevice):
    """A USB host controller; its one bus is ID.0 (ports: qemu_facts.USB_PORTS)."""

    id_prefix = "usb"
    template = "usb-controller.j2"


class QemuXhci(UsbController):
    """QEMU's own xHCI (USB 3) controller, the one to use unless the guest needs another."""

    kind = "qemu-xhci"


class NecUsbXhci(UsbController):
    """The NEC uPD720200 xHCI, for guests without a driver for QEMU's (old Windows)."""

    kind = "nec-usb-xhci"


class Ich9UsbEhci1(UsbController):
    """The ICH9 EHCI (USB 2) controller."""

    kind = "ich9-usb-ehci1"


class Ich9UsbUhci1(UsbController):
    """The ICH9 UHCI (USB 1.1) controller, on its own (not as an EHCI companion)."""

    kind = "ich9-usb-uhci1"


class Piix3UsbUhci(UsbController):
    """The PIIX3 UHCI (USB 1.1) controller of the i440fx PC."""

    kind = "piix3-usb-uhci"


class PciOhci(UsbController):
    """An OHCI (USB 1.1) controller on PCI, for guests that have only that driver."""

    kind = "pci-ohci"


class UsbDevice(Device):
    """A device on a USB port: of a controller, or of a usb-hub on one."""

    template = "usb-device.j2"
    bus: str | None = key(
        Ref(*CONTROLLERS, HUB),
        default=None,
        doc="id of the USB controller or usb-hub it is plugged into; default: the only "
        "controller (then its hubs, when its ports are taken); when every port is taken, "
        "genqemu adds a usb-hub (genqemu explain says where)",
    )
    port: int | None = key(
        Integer(min=1),
        default=None,
        doc="port on that controller or hub, from 1 (xHCI 1-4, EHCI 1-6, UHCI 1-2, OHCI 1-3, "
        "usb-hub 1-8); default: the first free",
    )


class UsbTablet(UsbDevice):
    """A USB tablet: absolute pointing, so the guest's pointer follows the host's."""

    kind = "usb-tablet"
    id_prefix = "tablet"


class UsbKbd(UsbDevice):
    """A USB keyboard."""

    kind = "usb-kbd"
    id_prefix = "kbd"


class UsbMouse(UsbDevice):
    """A USB mouse (relative pointing: the display must grab the host's pointer)."""

    kind = "usb-mouse"
    id_prefix = "mouse"


class UsbHub(UsbDevice):
    """A USB 1.1 hub with eight ports: more devices than the controller has ports.
    A high-speed device behind it runs at full speed."""

    kind = HUB
    id_prefix = "hub"


class UsbStorage(UsbDevice, BlockDevice):
    """A USB mass-storage disk (the guest's usb-storage driver: an sd disk)."""

    kind = "usb-storage"
    template = "usb-storage.j2"
    id_prefix = "usbdisk"
    removable: bool | None = key(
        Boolean(), default=None, doc="report removable media (a USB stick rather than a disk)"
    )


class UsbCdrom(UsbDevice, BlockDevice):
    """A USB CD-ROM drive with an ISO in it: QEMU's usb-storage has no CD-ROM
    media on a -blockdev, so it is a usb-bot (the bulk-only transport) with a
    scsi-cd on its SCSI bus; the guest sees an sr device on USB."""

    kind = "usb-cdrom"
    template = "usb-cdrom.j2"
    id_prefix = "usbcd"
    bot_driver = "usb-bot"  # the record's driver: what QEMU lists under the id
    file: str = key(PATH, doc="ISO image in the drive")
    read_only: bool | None = key(
        Boolean(), default=True, doc="always true: the guest cannot write a CD-ROM"
    )

    def validate(self, problems: Problems) -> None:
        super().validate(problems)
        if self.read_only is False:
            problems.add(
                f"{self.toml_path}.read_only",
                "a CD-ROM is read-only: remove read_only, or use usb-storage for a writable image",
            )


class UsbHost(UsbDevice):
    """A host USB device passed through, found by vendor and product id or by its
    bus and address on the host (which change when it is plugged in again)."""

    kind = "usb-host"
    template = "usb-host.j2"
    id_prefix = "usbhost"
    vendorid: int | None = key(_USB_ID, default=None, doc="vendor id (0x046d), with productid")
    productid: int | None = key(_USB_ID, default=None, doc="product id (0xc52b), with vendorid")
    hostbus: int | None = key(Integer(min=1), default=None, doc="host bus number, with hostaddr")
    hostaddr: int | None = key(
        Integer(min=1), default=None, doc="device address on that host bus, with hostbus"
    )

    def validate(self, problems: Problems) -> None:
        super().validate(problems)
        pairs = (("vendorid", "productid"), ("hostbus", "hostaddr"))
        for first, second in pairs:
            have = [getattr(self, first) is not None, getattr(self, second) is not None]
            if any(have) and not all(have):
                missing = second if have[0] else first
                problems.add(
                    f"{self.toml_path}.{missing}",
                    f"{first} and {second} go together: set {missing} too",
                )
        if all(getattr(self, k) is None for pair in pairs for k in pair):
            problems.add(
                self.toml_path,
                "usb-host needs the device to pass through: set vendorid and productid "
                "(lsusb's ID 046d:c52b: 0x046d and 0xc52b), or hostbus and hostaddr "
                "(lsusb's Bus and Device)",
            )


class UsbRedir(UsbDevice):
    """A USB device redirected over a chardev by a usbredir client (SPICE's
    remote-viewer, usbredirect)."""

    kind = "usb-redir"
    template = "usb-redir.j2"
    id_prefix = "redir"
    chardev: str = key(Ref("chardev"), doc="id of the chardev the usbredir protocol runs on")
