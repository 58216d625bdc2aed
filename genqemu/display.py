"""The `[display]` table: where the guest's screen goes (none, VNC, SPICE, a window).

The launch script never depends on the host's desktop: with no [display] it
says `-display none`, and VNC and SPICE (servers, not windows) come with
`-display none` too. A password is never on the command line: QEMU reads it
from a file through a secret object (`password-secret=`, QEMU 7.0 and later).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from genqemu.checks import PATH, SOCKET_MAX
from genqemu.schema import Model, Problems, key
from genqemu.values import Boolean, Integer, Text

if TYPE_CHECKING:
    from genqemu.ids import Ids
    from genqemu.resolve import Vm

# The id of the secret object that holds a VNC or SPICE password.
SECRET_ID = "display-secret"
_PORT = Integer(min=1, max=65535)
_HOST = Text(
    pattern=r"[^ \t\n/]+\Z",
    hint="a host name or IP address such as 127.0.0.1 or ::1",
)
# -vnc's HOST:DISPLAY: an IPv6 address goes in brackets, as QEMU reads it ([::1]:0);
# genqemu does not add them, so that the address is written as the config says.
_VNC_HOST = Text(
    pattern=r"([A-Za-z0-9][A-Za-z0-9.-]*|\[[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*\])\Z",
    hint="a host name, an IPv4 address, or an IPv6 address in brackets: "
    "127.0.0.1, localhost, [::1]",
)
_GL = Boolean()


class Display(Model):
    """`-display TYPE` (VNC and SPICE: `-display none` with `-vnc` or `-spice`)."""

    type: ClassVar[str] = ""

    @property
    def password(self) -> str | None:
        """The file QEMU reads the password from, for the kinds that have one."""
        return None

    def sockets(self) -> list[tuple[str, str]]:
        """(key, unix socket path) pairs, held to SOCKET_MAX bytes."""
        return []

    def validate(self, problems: Problems) -> None:
        for name, path in self.sockets():
            if len(path.encode()) > SOCKET_MAX:
                problems.add(
                    f"{self.toml_path}.{name}",
                    f"the socket path {path!r} is longer than the {SOCKET_MAX} bytes a unix "
                    "socket path holds: shorten it",
                )


class NoDisplay(Display):
    """No screen at all (also what a config without [display] gets)."""

    type = "none"


class Vnc(Display):
    """A VNC server (`-vnc`): on a TCP port (5900 + display) or a unix socket."""

    type = "vnc"
    addr: str | None = key(
        _VNC_HOST,
        default=None,
        doc="address to listen on (with display), an IPv6 one in brackets ([::1]); "
        "default: 127.0.0.1",
    )
    display: int | None = key(
        Integer(min=0, max=59635),
        default=None,
        doc="VNC display number: QEMU listens on TCP port 5900 + display (or unix)",
    )
    unix: str | None = key(PATH, default=None, doc="unix socket to listen on (or display)")
    password_file: str | None = key(
        PATH,
        default=None,
        doc="file holding the VNC password (QEMU reads it: -object secret); "
        "default: no password, anyone who reaches the port or socket connects",
    )
    websocket: int | None = key(
        _PORT, default=None, doc="also serve VNC over WebSocket on this TCP port (noVNC)"
    )

    @property
    def password(self) -> str | None:
        return self.password_file

    def sockets(self) -> list[tuple[str, str]]:
        return [("unix", self.unix)] if self.unix else []

    @property
    def host(self) -> str:
        """addr as QEMU reads it before ':display'."""
        return self.addr or "127.0.0.1"

    def validate(self, problems: Problems) -> None:
        super().validate(problems)
        if (self.display is None) == (self.unix is None):
            problems.add(
                self.toml_path,
                "set exactly one of display (TCP port 5900 + display) and unix (a socket path)",
            )
        elif self.unix is not None and self.addr is not None:
            problems.add(
                f"{self.toml_path}.addr",
                "a unix socket has no address: remove addr, or use display instead of unix",
            )


class Spice(Display):
    """A SPICE server (`-spice`): TCP port, TLS port, or a unix socket."""

    type = "spice"
    port: int | None = key(_PORT, default=None, doc="TCP port (plain text)")
    tls_port: int | None = key(_PORT, default=None, doc="TCP port with TLS (needs x509_dir)")
    addr: str | None = key(
        _HOST, default=None, doc="address the TCP ports listen on; default: QEMU's (all)"
    )
    unix: str | None = key(
        PATH, default=None, doc="unix socket to listen on (instead of port and tls_port)"
    )
    x509_dir: str | None = key(
        PATH,
        default=None,
        doc="folder with ca-cert.pem, server-cert.pem and server-key.pem for tls_port; "
        "default: QEMU's (/etc/pki/qemu)",
    )
    password_file: str | None = key(
        PATH,
        default=None,
        doc="file holding the SPICE password (QEMU reads it: -object secret); default: "
        "no password (disable-ticketing), anyone who reaches the port or socket connects",
    )
    gl: bool | None = key(
        _GL, default=None, doc="OpenGL for the guest's virtio-gpu (local only: needs unix)"
    )
    rendernode: str | None = key(
        PATH, default=None, doc="DRM render node for gl, e.g. /dev/dri/renderD128"
    )

    @property
    def password(self) -> str | None:
        return self.password_file

    def sockets(self) -> list[tuple[str, str]]:
        return [("unix", self.unix)] if self.unix else []

    def validate(self, problems: Problems) -> None:
        super().validate(problems)
        at = self.toml_path
        tcp = [n for n in ("port", "tls_port", "addr") if getattr(self, n) is not None]
        if self.unix is not None and tcp:
            problems.add(
                f"{at}.{tcp[0]}",
                f"a unix socket has no {tcp[0]}: remove it, or remove unix to listen on TCP",
            )
        elif self.unix is None and self.port is None and self.tls_port is None:
            problems.add(at, "set port, tls_port or unix: where SPICE clients connect")
        if self.x509_dir is not None and self.tls_port is None:
            problems.add(f"{at}.x509_dir", "only tls_port uses it: set tls_port, or remove it")
        if self.gl and self.unix is None:
            problems.add(
                f"{at}.gl",
                "SPICE OpenGL is local only (QEMU refuses it with a TCP port): set unix "
                "instead of port and tls_port, or remove gl",
            )
        if self.rendernode is not None and not self.gl:
            problems.add(f"{at}.rendernode", "only gl uses it: set gl = true, or remove it")


class Gtk(Display):
    """A GTK window on the host's desktop (Debian: the qemu-system-gui package)."""

    type = "gtk"
    full_screen: bool | None = key(
        Boolean(),
        default=None,
        doc="start in full screen (with a graphics adapter: QEMU crashes without one)",
    )
    gl: bool | None = key(_GL, default=None, doc="OpenGL for the guest's virtio-gpu")
    grab_on_hover: bool | None = key(
        Boolean(), default=None, doc="grab the keyboard when the mouse is over the window"
    )
    zoom_to_fit: bool | None = key(
        Boolean(), default=None, doc="scale the guest's screen to the window"
    )
    window_close: bool | None = key(
        Boolean(), default=None, doc="closing the window ends QEMU (QEMU's default: true)"
    )


class Sdl(Display):
    """An SDL window on the host's desktop (Debian: the qemu-system-gui package)."""

    type = "sdl"
    full_screen: bool | None = key(Boolean(), default=None, doc="start in full screen")
    gl: bool | None = key(_GL, default=None, doc="OpenGL for the guest's virtio-gpu")
    grab_mod: str | None = key(
        Text(choices=("lshift-lctrl-lalt", "rctrl")),
        default=None,
        doc="keys that release the mouse grab; default: ctrl+alt",
    )
    window_close: bool | None = key(
        Boolean(), default=None, doc="closing the window ends QEMU (QEMU's default: true)"
    )


class EglHeadless(Display):
    """No window: OpenGL rendering on the host's GPU, shown through VNC or SPICE."""

    type = "egl-headless"
    rendernode: str | None = key(
        PATH, default=None, doc="DRM render node, e.g. /dev/dri/renderD128; default: QEMU's"
    )


class Dbus(Display):
    """The screen exported on D-Bus (org.qemu.Display1), for a client such as qemu-display."""

    type = "dbus"
    addr: str | None = key(
        Text(pattern=r"[^ \t\n]+\Z", hint="a D-Bus address such as unix:path=/run/qemu-dbus.sock"),
        default=None,
        doc="D-Bus address to connect to; default: the session bus",
    )
    p2p: bool | None = key(
        Boolean(),
        default=None,
        doc="peer to peer: clients connect through QMP add_client (instead of addr)",
    )
    gl: bool | None = key(_GL, default=None, doc="OpenGL for the guest's virtio-gpu")
    rendernode: str | None = key(PATH, default=None, doc="DRM render node for gl")

    def validate(self, problems: Problems) -> None:
        if self.p2p and self.addr is not None:
            problems.add(
                f"{self.toml_path}.p2p",
                "a peer-to-peer display has no bus address: remove addr or p2p",
            )
        if self.rendernode is not None and not self.gl:
            problems.add(f"{self.toml_path}.rendernode", "only gl uses it: set gl = true")


def resolve_display(vm: Vm, ids: Ids, problems: Problems) -> None:
    """Refuse a display -nographic would hide; claim the id of the password secret.
    (Without [display], resolve.py writes -display none.)"""
    display = vm.config.display
    assert display is not None
    if vm.config.nographic and not isinstance(display, NoDisplay):
        problems.add(
            "nographic",
            f"nographic means no display, but [display] asks for {display.type}: "
            "remove nographic (a serial console stays where [[chardev]] puts it) or [display]",
        )
    if isinstance(display, Gtk) and display.full_screen and not _has_adapter(vm):
        problems.add(
            f"{display.toml_path}.full_screen",
            "QEMU's gtk display crashes (SIGSEGV, QEMU 7.2 and 10.0) in full screen with "
            'no graphics adapter to show: add one (vga = "std", or a [[device]] such as '
            'kind = "virtio-gpu") or remove full_screen',
        )
    if display.password is not None:
        vm.display_secret = SECRET_ID
        ids.claim(SECRET_ID, "secret", display.toml_path, what="the password secret's id")


def _has_adapter(vm: Vm) -> bool:
    """Whether the guest has a graphics adapter: the config's vga, a graphics
    [[device]], or the machine's default card (without nodefaults)."""
    from genqemu.devices import in_use

    if not vm.config.nodefaults or vm.config.vga not in (None, "none"):
        return True
    if not in_use("graphics"):
        return False
    from genqemu.devices.graphics import Graphics

    return any(isinstance(d, Graphics) for d in vm.config.device)
