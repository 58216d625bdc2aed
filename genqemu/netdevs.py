"""Network backends: the `netdev` table of a network device."""

from __future__ import annotations

from typing import ClassVar

from genqemu.checks import NAME, PATH
from genqemu.schema import Model, Problems, Tagged, key
from genqemu.values import Boolean, Integer, ListOf, Text

_HOSTFWD = Text(
    pattern=r"(tcp|udp)?:[0-9.]*:[0-9]+-[0-9.]*:[0-9]+\Z",
    hint="write PROTO:HOSTADDR:HOSTPORT-GUESTADDR:GUESTPORT, e.g. 'tcp::2222-:22'",
)
_CIDR = Text(pattern=r"[0-9.]+(/[0-9]{1,2})?\Z", hint="write an IPv4 network like '10.0.2.0/24'")
_IPV4 = Text(pattern=r"[0-9]{1,3}(\.[0-9]{1,3}){3}\Z", hint="write an IPv4 address")
_QUEUES = Integer(min=1, max=256)
_PORT = Integer(min=1, max=65535)
# A host name or an IPv4 address; stream and dgram also take an IPv6 address.
_HOST = Text(
    pattern=r"[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?\Z|[0-9A-Fa-f]*:[0-9A-Fa-f:.]*\Z",
    hint="write a host name, an IPv4 address or an IPv6 address (without brackets)",
)
# -netdev socket parses HOST:PORT itself, with no IPv6 (QEMU 7.2: "can't resolve host").
_HOST_PORT = Text(
    pattern=r"([A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?)?:(0|[1-9][0-9]{0,4})\Z",
    hint="write HOST:PORT, e.g. '127.0.0.1:5000' (a host name or IPv4 address; no IPv6)",
)
_BRIDGE = Text(
    pattern=r"[^/ ,:]{1,15}\Z", hint="an interface name: 1-15 characters, no '/', ',', ':' or space"
)


class Netdev(Model):
    """`-netdev TYPE,id=...`: where a network card's packets go on the host."""

    type: ClassVar[str] = ""

    @property
    def queue_count(self) -> int:
        """Queue pairs; more than one makes the card multi-queue (mq=on)."""
        return 1

    def inherited_files(self) -> list[tuple[str, str, str]]:
        """Files QEMU inherits for this backend: (role, path, mode)."""
        return []


class UserNetdev(Netdev):
    """User-mode networking (slirp): needs no privileges."""

    type = "user"
    net: str | None = key(_CIDR, default=None, doc="guest network (QEMU's default 10.0.2.0/24)")
    host: str | None = key(_IPV4, default=None, doc="the host's address inside it")
    dns: str | None = key(_IPV4, default=None, doc="the DNS server's address inside it")
    hostname: str | None = key(NAME, default=None, doc="hostname given by DHCP")
    restrict: bool | None = key(Boolean(), default=None, doc="isolate the guest from the host")
    hostfwd: tuple[str, ...] = key(
        ListOf(_HOSTFWD), default=[], doc='port forwards, e.g. ["tcp::2222-:22"]'
    )


class QueuedNetdev(Netdev):
    """A backend with one or more queue pairs."""

    queues: int | None = key(_QUEUES, default=None, doc="queue pairs (multi-queue when > 1)")

    @property
    def queue_count(self) -> int:
        return self.queues or 1


class TapNetdev(QueuedNetdev):
    """A host tap interface that QEMU opens by name (needs CAP_NET_ADMIN, or a
    persistent tap the user owns). Also what govmm calls a veth tap."""

    type = "tap"
    ifname: str | None = key(
        Text(pattern=r"[^/ ]{1,15}\Z", hint="an interface name: 1-15 characters, no '/' or space"),
        default=None,
        doc="host interface name",
    )
    script: str = key(
        PATH, default="no", doc='script run when the interface comes up; default "no" (none)'
    )
    downscript: str = key(
        PATH, default="no", doc='script run when it goes down; default "no" (none)'
    )
    vhost: bool | None = key(Boolean(), default=None, doc="move the data path into the kernel")
    bridge: str | None = key(
        _BRIDGE,
        default=None,
        doc="host bridge the tap joins: the launch (as root) creates the tap ifname when "
        "missing, owned by [run_as], and runs `ip link set dev TAP master BRIDGE` and "
        "`up` before QEMU starts",
    )

    def validate(self, problems: Problems) -> None:
        if self.bridge is not None and self.ifname is None:
            problems.add(
                f"{self.toml_path}.ifname",
                "required with bridge: the launch puts the tap on the bridge by its name "
                "before QEMU opens it; set ifname (e.g. 'tap0')",
            )


class MacvtapNetdev(QueuedNetdev):
    """A macvtap device (/dev/tapN) that the launch script opens, once per queue,
    and QEMU inherits (`-netdev tap,fds=...`)."""

    type = "macvtap"
    device: str = key(PATH, doc="character device of the interface, e.g. /dev/tap12")
    vhost: bool | None = key(Boolean(), default=None, doc="move the data path into the kernel")
    vhost_device: str | None = key(
        PATH,
        default=None,
        doc="open this vhost-net device (e.g. /dev/vhost-net) once per queue in the script and "
        "pass it as vhostfds; implies vhost",
    )

    def validate(self, problems: Problems) -> None:
        if self.vhost_device is not None and self.vhost is False:
            problems.add(
                f"{self.toml_path}.vhost", "must not be false with vhost_device: remove one of them"
            )

    def inherited_files(self) -> list[tuple[str, str, str]]:
        files = [("fds", self.device, "rw")] * self.queue_count
        if self.vhost_device is not None:
            files += [("vhostfds", self.vhost_device, "rw")] * self.queue_count
        return files


class IpvtapNetdev(MacvtapNetdev):
    """An ipvtap device (/dev/tapN), opened like macvtap."""

    type = "ipvtap"


class VhostUserNetdev(QueuedNetdev):
    """A vhost-user backend (e.g. a DPDK switch) on a unix socket QEMU connects to."""

    type = "vhost-user"
    socket: str = key(PATH, doc="unix socket of the vhost-user backend")


def _port_ok(value: str | None, least: int = 1) -> bool:
    """A HOST:PORT whose port is least..65535 (the pattern allows 0 to 99999)."""
    return value is None or ":" not in value or least <= int(value.rpartition(":")[2]) <= 65535


def _one_address(model: Model, prefix: str, problems: Problems) -> None:
    """`{prefix}path`, or `{prefix}host` with `{prefix}port`: one socket address."""
    path, host, port = (getattr(model, prefix + name) for name in ("path", "host", "port"))
    where = f"{model.toml_path}.{prefix}"
    if path is not None and (host is not None or port is not None):
        problems.add(
            f"{where}path", f"a unix socket path or a {prefix}host and {prefix}port: not both"
        )
    elif path is None and (host is None) != (port is None):
        missing = "host" if host is None else "port"
        problems.add(
            f"{where}{missing}", f"required with {prefix}" + ("port" if host is None else "host")
        )


class BridgeNetdev(Netdev):
    """A tap on a host bridge, created by qemu-bridge-helper (setuid root; the
    bridge must be allowed in /etc/qemu/bridge.conf)."""

    type = "bridge"
    br: str | None = key(_BRIDGE, default=None, doc='host bridge; default QEMU\'s "br0"')
    helper: str | None = key(
        PATH, default=None, doc="the helper program; default QEMU's qemu-bridge-helper"
    )


class SocketNetdev(Netdev):
    """The old socket backend: Ethernet frames over TCP to another QEMU, or UDP
    (multicast) between several. One of listen, connect, mcast or udp."""

    type = "socket"
    listen: str | None = key(
        _HOST_PORT,
        default=None,
        doc="wait for a QEMU to connect here: [HOST]:PORT (port 0: any free one)",
    )
    connect: str | None = key(
        _HOST_PORT, default=None, doc="connect to a QEMU listening at HOST:PORT"
    )
    mcast: str | None = key(_HOST_PORT, default=None, doc="join this multicast group: ADDR:PORT")
    udp: str | None = key(_HOST_PORT, default=None, doc="send UDP to HOST:PORT (needs localaddr)")
    localaddr: str | None = key(
        Text(pattern=r"[A-Za-z0-9.-]+(:[1-9][0-9]{0,4})?\Z", hint="write HOST or HOST:PORT"),
        default=None,
        doc="with udp: the local HOST:PORT; with mcast: the local address to send from",
    )

    def validate(self, problems: Problems) -> None:
        modes = [name for name in ("listen", "connect", "mcast", "udp") if getattr(self, name)]
        if len(modes) != 1:
            got = ", ".join(modes) if modes else "none"
            problems.add(
                self.toml_path, f"set exactly one of listen, connect, mcast or udp (got {got})"
            )
        for name in ("listen", "connect", "mcast", "udp", "localaddr"):
            least = 0 if name == "listen" else 1  # listen on 0: the kernel picks one
            if not _port_ok(getattr(self, name), least):
                problems.add(f"{self.toml_path}.{name}", f"the port must be {least}..65535")
        if self.udp is not None and (self.localaddr is None or ":" not in self.localaddr):
            problems.add(f"{self.toml_path}.localaddr", "required with udp: the local HOST:PORT")
        elif self.localaddr is not None and self.mcast is None and self.udp is None:
            problems.add(f"{self.toml_path}.localaddr", "only with mcast or udp: remove it")


class StreamNetdev(Netdev):
    """Ethernet frames over a stream socket (QEMU 7.2+): a unix socket (`path`) or
    TCP (`host` and `port`), as the server or the client. Also what passt and
    another QEMU's stream netdev speak."""

    type = "stream"
    server: bool | None = key(
        Boolean(), default=None, doc="listen for the peer instead of connecting to it"
    )
    path: str | None = key(PATH, default=None, doc="unix socket")
    host: str | None = key(_HOST, default=None, doc="TCP host (with port)")
    port: int | None = key(_PORT, default=None, doc="TCP port (with host)")

    def validate(self, problems: Problems) -> None:
        _one_address(self, "", problems)
        if self.path is None and self.host is None:
            problems.add(self.toml_path, "set path (a unix socket) or host and port (TCP)")


class DgramNetdev(Netdev):
    """Ethernet frames as datagrams (QEMU 7.2+): between two unix sockets, two
    UDP ports, or to a multicast group (`remote_host` a multicast address)."""

    type = "dgram"
    remote_path: str | None = key(PATH, default=None, doc="the peer's unix socket")
    remote_host: str | None = key(_HOST, default=None, doc="the peer's host, or a multicast group")
    remote_port: int | None = key(_PORT, default=None, doc="the peer's UDP port")
    local_path: str | None = key(PATH, default=None, doc="this end's unix socket")
    local_host: str | None = key(_HOST, default=None, doc="this end's address")
    local_port: int | None = key(_PORT, default=None, doc="this end's UDP port")

    def validate(self, problems: Problems) -> None:
        before = len(problems)
        _one_address(self, "remote_", problems)
        _one_address(self, "local_", problems)
        if len(problems) > before:
            return
        unix = self.remote_path is not None
        if not unix and self.remote_host is None:
            problems.add(
                self.toml_path, "set remote_path (unix) or remote_host and remote_port (UDP)"
            )
        elif (self.local_host if unix else self.local_path) is not None:
            problems.add(
                f"{self.toml_path}.local_{'host' if unix else 'path'}",
                "local and remote must both be unix sockets or both UDP",
            )
        elif self.local_path is None and self.local_host is None and not self.multicast:
            problems.add(
                f"{self.toml_path}.local_{'path' if unix else 'host'}",
                "required: this end's address (only a multicast remote_host needs none)",
            )

    @property
    def multicast(self) -> bool:
        """Whether remote_host is an IPv4 multicast group (224.0.0.0/4)."""
        first = (self.remote_host or "").split(".")[0]
        return first.isdigit() and 224 <= int(first) <= 239


NETDEV: Tagged[Netdev] = Tagged("type", Netdev)
