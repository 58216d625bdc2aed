"""virtio-sound: a virtio sound card (QEMU 8.2), with its own audio backend as
the other cards have (genqemu/devices/sound.py)."""

from __future__ import annotations

from genqemu.devices.base import VirtioDevice
from genqemu.devices.sound import SoundCard
from genqemu.schema import key
from genqemu.values import Integer


class VirtioSound(VirtioDevice, SoundCard):
    """A virtio sound card (virtio id 25; QEMU 8.2): its PCM streams, one audio backend."""

    kind = "virtio-sound"
    id_prefix = "sound"
    template = "virtio-sound.j2"
    # QEMU 10.0 takes 1 to 10 streams ("Invalid number of streams: 11"); its
    # default is 2, one out, one in. Its `jacks` is left out: QEMU 10.0 answers
    # the guest's jack query "not supported", and Linux 6.12's virtio_snd then
    # fails its probe (error -95), so a guest with jacks has no sound card.
    streams: int | None = key(
        Integer(min=1, max=10), default=None, doc="PCM streams the guest sees, 1-10; QEMU's: 2"
    )
