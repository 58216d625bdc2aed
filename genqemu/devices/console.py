"""Serial ports and consoles."""

from __future__ import annotations

from genqemu.checks import NAME, Ref
from genqemu.devices.base import Device, VirtioDevice
from genqemu.schema import key
from genqemu.values import Integer


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
