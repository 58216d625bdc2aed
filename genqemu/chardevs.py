"""Character backends (`[[chardev]]`): where a console or port's bytes go."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from genqemu.checks import ID, PATH
from genqemu.qemu_facts import SPICE_AGENT, SPICEVMC_CHANNELS
from genqemu.schema import Model, Tagged, key
from genqemu.values import Boolean, Text

if TYPE_CHECKING:
    from genqemu.config import Config
    from genqemu.schema import Problems


class Chardev(Model):
    """`-chardev BACKEND,id=ID,...`; devices name it in their `chardev` key."""

    backend: ClassVar[str] = ""
    id: str = key(ID, doc="id that devices name in their chardev key")
    mux: bool | None = key(
        Boolean(),
        default=None,
        doc="share it between up to four devices and [[monitor]]s (Ctrl-A C switches)",
    )

    def check_config(self, config: Config, problems: Problems) -> None:
        """Rules between this chardev and the rest of the config."""


class SocketChardev(Chardev):
    """A unix socket."""

    backend = "socket"
    path: str = key(PATH, doc="unix socket path")
    server: bool | None = key(
        Boolean(), default=None, doc="QEMU listens (true) or connects (false, QEMU's default)"
    )
    wait: bool | None = key(
        Boolean(), default=None, doc="as a server, wait for a client before starting the guest"
    )


class FileChardev(Chardev):
    """Output appended or written to a file."""

    backend = "file"
    path: str = key(PATH, doc="file to write")
    append: bool | None = key(Boolean(), default=None, doc="append instead of truncating")


class PipeChardev(Chardev):
    """A pair of named pipes PATH.in and PATH.out (or PATH)."""

    backend = "pipe"
    path: str = key(PATH, doc="pipe path, without .in/.out")


class PtyChardev(Chardev):
    """A new pseudo-terminal; QEMU prints its name."""

    backend = "pty"


class StdioChardev(Chardev):
    """QEMU's own standard input and output."""

    backend = "stdio"
    signal: bool | None = key(Boolean(), default=None, doc="let Ctrl-C stop QEMU")


class NullChardev(Chardev):
    """Discards output, never gives input."""

    backend = "null"


class SerialChardev(Chardev):
    """A host serial line or terminal device."""

    backend = "serial"
    path: str = key(PATH, doc="host tty device, e.g. /dev/ttyS0")


class TtyChardev(SerialChardev):
    """`tty` is QEMU's other name for `serial`."""

    backend = "tty"


class SpicevmcChardev(Chardev):
    """A channel of the SPICE display: usbredir carries a usb-redir device's USB
    traffic from the SPICE client's host (remote-viewer's USB device selection)."""

    backend = SPICE_AGENT["backend"]  # QEMU's spelling, the spice-agent kind's too
    name: str = key(
        Text(choices=SPICEVMC_CHANNELS),
        default="usbredir",
        doc="SPICE channel: usbredir (for a usb-redir device), smartcard or vdagent "
        "(the spice-agent kind writes its own)",
    )

    def check_config(self, config: Config, problems: Problems) -> None:
        from genqemu.spice import require_spice

        require_spice(
            config,
            f"{self.toml_path}.backend",
            "a spicevmc chardev",
            "use another backend",
            problems,
        )


CHARDEV: Tagged[Chardev] = Tagged("backend", Chardev)
