"""The QEMU guest agent's port: one device instead of a chardev and a port.

qemu-ga in the guest opens the virtio-serial port named
org.qemu.guest_agent.0; the host talks to it on a unix socket QEMU listens
on. The port sits on a virtio-serial controller of the config, as a
virtserialport does.
"""

from __future__ import annotations

from genqemu.checks import PATH, Ref
from genqemu.devices.base import Device, backend_id_key
from genqemu.schema import key


class GuestAgent(Device):
    """The guest agent's channel: a unix socket on the host, a named port in the guest."""

    kind = "guest-agent"
    id_prefix = "qga"
    backend_prefix = "char-"
    backend_id: str = backend_id_key("socket chardev", "char-")
    socket: str = key(
        PATH,
        doc="unix socket QEMU listens on (without waiting for a client), e.g. "
        "/run/vm/qga.sock; connect to it to talk to qemu-ga",
    )
    bus: str = key(
        Ref("virtio-serial", single_default=True),
        default=None,
        doc="virtio-serial controller id; default: the only one",
    )
