"""The QEMU version an imported config says it is for (its qemu_version).

A command line that builds what only newer QEMUs have (qemu_facts.SINCE: a
virtio-sound card, -audiodev pipewire) ran on such a QEMU, so the config it
imports to says so, rather than sending those options to extra_args.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from genqemu.config import Config


def needed_version(config: Config, target: str) -> str | None:
    """The newest version the config's devices and confidential object need, when
    QEMU `target` (the profile's) is older; else None."""
    from genqemu.qemu_facts import lacks, version

    spellings = [s for d in config.device for _, s in d.qemu_spellings()]
    if config.confidential is not None:
        spellings.append(config.confidential.type)
    needs = [n for s in spellings if (n := lacks(target, s))]
    return max(needs, key=version) if needs else None
