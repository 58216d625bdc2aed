"""virtio-input: a keyboard, a mouse or an absolute pointer without USB.

The usual choice on arm64 and s390x, whose boards have no PS/2 and, on
s390x, no USB at all. Each is a plain virtio device: its driver is the kind
plus the transport suffix (virtio-tablet-ccw, virtio-keyboard-pci).
"""

from __future__ import annotations

from genqemu.devices.base import VirtioDevice


class VirtioInput(VirtioDevice):
    """The three share one template: they have no keys beyond the transport's."""

    template = "virtio-input.j2"


class VirtioKeyboard(VirtioInput):
    """A keyboard (the guest's "QEMU Virtio Keyboard")."""

    kind = "virtio-keyboard"
    id_prefix = "kbd"


class VirtioMouse(VirtioInput):
    """A relative pointer (the guest's "QEMU Virtio Mouse")."""

    kind = "virtio-mouse"
    id_prefix = "mouse"


class VirtioTablet(VirtioInput):
    """An absolute pointer: the guest's cursor follows the host's without grabbing it."""

    kind = "virtio-tablet"
    id_prefix = "tablet"
