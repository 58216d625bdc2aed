"""Network cards: virtio-net, and the emulated cards a guest without virtio
drivers can use (e1000e, e1000, rtl8139, pseries' spapr-vlan)."""

from __future__ import annotations

from genqemu.devices.base import Device, PciDevice, VirtioDevice, backend_id_key
from genqemu.netdevs import NETDEV, MacvtapNetdev, Netdev, TapNetdev, VhostUserNetdev
from genqemu.schema import Problems, key
from genqemu.values import Integer, Text

MAC = Text(
    pattern=r"[0-9a-fA-F][02468aceACE](:[0-9a-fA-F]{2}){5}\Z",
    hint="write six hex octets like '52:54:00:12:34:56'; the first must be even (unicast)",
)


class NetworkCard(Device):
    """What every network card takes: its host backend, its MAC, its boot order."""

    id_prefix = "net"
    backend_prefix = "netdev-"
    backend_id: str = backend_id_key("-netdev (and, for vhost-user, its chardev)", "netdev-")
    netdev: Netdev = key(
        NETDEV,
        doc='host backend: a table with type = "user", "tap", "macvtap", "ipvtap", "bridge", '
        '"socket", "stream", "dgram" or "vhost-user" (virtio-net only)',
    )
    mac: str | None = key(MAC, default=None, doc="MAC address; default: QEMU picks one")
    bootindex: int | None = key(Integer(min=0), default=None, doc="boot order")

    def inherited_files(self) -> list[tuple[str, str, str]]:
        return self.netdev.inherited_files()


class VirtioNet(NetworkCard, VirtioDevice):
    """A virtio network card and its host backend (`-netdev`)."""

    kind = "virtio-net"

    @property
    def needs_shared_memory(self) -> bool:
        return isinstance(self.netdev, VhostUserNetdev)


class EmulatedCard(NetworkCard):
    """A card QEMU emulates in full: one queue, no virtio data path. The
    backend keys that only feed virtio-net are refused, not silently useless."""

    def validate(self, problems: Problems) -> None:
        super().validate(problems)
        netdev = self.netdev
        where = f"{self.toml_path}.netdev"
        if isinstance(netdev, VhostUserNetdev):
            # QEMU 7.2 starts it (its frontend check misses -device options)
            # and the card's packets go nowhere.
            problems.add(
                f"{where}.type",
                f"vhost-user serves virtio-net only, not {self.kind}: use kind = "
                '"virtio-net", or another netdev type',
            )
            return
        if netdev.queue_count > 1:
            problems.add(
                f"{where}.queues",
                f"{self.kind} has one queue pair: remove queues (multi-queue needs virtio-net)",
            )
        if isinstance(netdev, TapNetdev | MacvtapNetdev):
            for name in ("vhost", "vhost_device"):
                if getattr(netdev, name, None):
                    problems.add(
                        f"{where}.{name}",
                        f"vhost-net moves virtio-net's data path into the kernel; {self.kind} "
                        "has none: remove it (or use virtio-net)",
                    )


class PciCard(EmulatedCard, PciDevice):
    """An emulated PCI network card."""

    template = "pci-nic.j2"
    romfile: str | None = key(
        Text(),
        default=None,
        per_transport=True,
        doc="option ROM file (iPXE's efi-KIND.rom by default); an empty string disables it",
    )


class E1000e(PciCard):
    """The Intel 82574L PCI Express card, which most guests without virtio
    drivers can drive (Linux: e1000e)."""

    kind = "e1000e"


class E1000(PciCard):
    """The Intel 82540EM PCI card, for older guests (Linux: e1000)."""

    kind = "e1000"


class Rtl8139(PciCard):
    """The Realtek RTL8139C+ PCI card, for old guests (Linux: 8139cp)."""

    kind = "rtl8139"


class SpaprVlan(EmulatedCard):
    """pseries' own virtual Ethernet on the VIO bus (Linux: ibmveth); the
    machine gives it its bus address (reg)."""

    kind = "spapr-vlan"
