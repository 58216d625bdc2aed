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


NETDEV: Tagged[Netdev] = Tagged("type", Netdev)
