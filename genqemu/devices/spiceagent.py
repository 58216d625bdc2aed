"""The SPICE agent channel: copy and paste, screen resizing, for a SPICE display."""

from __future__ import annotations

from typing import TYPE_CHECKING

from genqemu.checks import Ref
from genqemu.devices.base import Device, backend_id_key
from genqemu.schema import key

if TYPE_CHECKING:
    from genqemu.config import Config
    from genqemu.schema import Problems


class SpiceAgent(Device):
    """The port spice-vdagent talks on (`virtserialport` named com.redhat.spice.0)
    on a virtio-serial controller, carried by SPICE's own `spicevmc` chardev."""

    kind = "spice-agent"
    template = "spice-agent.j2"
    id_prefix = "vdagent"
    backend_prefix = "chr-"
    backend_id: str = backend_id_key("spicevmc chardev", "chr-")
    bus: str = key(
        Ref("virtio-serial", single_default=True),
        default=None,
        doc="virtio-serial controller id; default: the only one",
    )

    def check_config(self, config: Config, problems: Problems) -> None:
        from genqemu.spice import require_spice

        require_spice(config, self.toml_path, "the SPICE agent", "remove this device", problems)
