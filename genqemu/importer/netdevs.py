"""Typed keys for the bridge, socket, stream and dgram netdevs of an imported command line.

stream and dgram write QAPI socket addresses (`addr.type=unix,addr.path=...`;
`local.` and `remote.` for dgram); the config flattens each into `path`, or
`host` and `port`, under the address's prefix. Whatever does not fit (an fd
address, a vsock one, a key genqemu does not model) returns None, and the
device goes to extra_args as written.
"""

from __future__ import annotations

from typing import Any

from genqemu.importer.claims import to_int
from genqemu.importer.syntax import to_bool

# type -> the properties that become keys of the same name
_PLAIN = {
    "bridge": ("br", "helper"),
    "socket": ("listen", "connect", "mcast", "udp", "localaddr"),
    "stream": (),
    "dgram": (),
}
# type -> each address property and the prefix of its config keys
_ADDRESSES = {"stream": {"addr": ""}, "dgram": {"local": "local_", "remote": "remote_"}}
_MEMBERS = {"unix": ("path",), "inet": ("host", "port")}

SOCKET_NETDEVS = frozenset(_PLAIN)


def socket_netdev(kind: str, props: list[tuple[str, str]]) -> dict[str, Any] | None:
    """The netdev table of one of SOCKET_NETDEVS, or None if it cannot be typed."""
    table: dict[str, Any] = {"type": kind}
    types: dict[str, str] = {}
    members: dict[str, set[str]] = {}
    for name, value in props:
        part, _, member = name.partition(".")
        prefix = _ADDRESSES.get(kind, {}).get(part)
        if name in _PLAIN[kind]:
            table[name] = value
        elif kind == "stream" and name == "server":
            table["server"] = to_bool(value)
        elif prefix is None or member not in ("type", "path", "host", "port"):
            return None
        elif member == "type":
            types[part] = value
        else:
            members.setdefault(part, set()).add(member)
            table[prefix + member] = to_int(value) if member == "port" else value
    for part, found in members.items():
        if set(_MEMBERS.get(types.get(part, ""), ())) != found:
            return None
    return None if set(types) != set(members) else table
