"""Network cards."""

from __future__ import annotations

from genqemu.devices.base import VirtioDevice, backend_id_key
from genqemu.netdevs import NETDEV, Netdev, VhostUserNetdev
from genqemu.schema import key
from genqemu.values import Integer, Text

MAC = Text(
    pattern=r"[0-9a-fA-F][02468aceACE](:[0-9a-fA-F]{2}){5}\Z",
    hint="write six hex octets like '52:54:00:12:34:56'; the first must be even (unicast)",
)


class VirtioNet(VirtioDevice):
    """A virtio network card and its host backend (`-netdev`)."""

    kind = "virtio-net"
    id_prefix = "net"
    backend_prefix = "netdev-"
    backend_id: str = backend_id_key("-netdev (and, for vhost-user, its chardev)", "netdev-")
    netdev: Netdev = key(
        NETDEV,
        doc='host backend: a table with type = "user", "tap", "macvtap", "ipvtap", "vhost-user", '
        '"bridge", "socket", "stream" or "dgram"',
    )
    mac: str | None = key(MAC, default=None, doc="MAC address; default: QEMU picks one")
    bootindex: int | None = key(Integer(min=0), default=None, doc="boot order")

    @property
    def needs_shared_memory(self) -> bool:
        return isinstance(self.netdev, VhostUserNetdev)

    def inherited_files(self) -> list[tuple[str, str, str]]:
        return self.netdev.inherited_files()
