"""Network backends: the `netdev` table of a network device."""

from __future__ import annotations

from typing import ClassVar

from genqemu.checks import NAME, PATH
from genqemu.schema import Boolean, ListOf, Model, Tagged, Text, key

_HOSTFWD = Text(
    pattern=r"(tcp|udp)?:[0-9.]*:[0-9]+-[0-9.]*:[0-9]+\Z",
    hint="write PROTO:HOSTADDR:HOSTPORT-GUESTADDR:GUESTPORT, e.g. 'tcp::2222-:22'",
)
_CIDR = Text(pattern=r"[0-9.]+(/[0-9]{1,2})?\Z", hint="write an IPv4 network like '10.0.2.0/24'")
_IPV4 = Text(pattern=r"[0-9]{1,3}(\.[0-9]{1,3}){3}\Z", hint="write an IPv4 address")


class Netdev(Model):
    """`-netdev TYPE,id=...`: where a network card's packets go on the host."""

    type: ClassVar[str] = ""


class UserNetdev(Netdev):
    """User-mode networking (slirp): needs no privileges."""

    type = "user"
    net: str | None = key(_CIDR, default=None, doc="guest network (QEMU's default 10.0.2.0/24)")
    host: str | None = key(_IPV4, default=None, doc="the host's address inside it")
    dns: str | None = key(_IPV4, default=None, doc="the DNS server's address inside it")
    hostname: str | None = key(NAME, default=None, doc="hostname given by DHCP")
    restrict: bool | None = key(Boolean(), default=None, doc="isolate the guest from the host")
    hostfwd: list[str] = key(
        ListOf(_HOSTFWD), default=[], doc='port forwards, e.g. ["tcp::2222-:22"]'
    )


class TapNetdev(Netdev):
    """A host tap interface (needs privileges or a prepared interface)."""

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


NETDEV: Tagged[Netdev] = Tagged("type", Netdev)
