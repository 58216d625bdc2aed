"""The socket-like netdevs (stream, dgram, socket) and bridge: what each renders
in both syntaxes, every refusal with its fix, and QEMU 7.2 starting them.

The examples (examples/full.toml) start a unix stream server, a unix dgram
pair and a socket listener in tests/test_acceptance.py; here are the TCP and
UDP forms, a stream client QEMU really connects to, and the bridge helper.
"""

from __future__ import annotations

import json
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import TEST_SETTINGS, qemu_binary
from support.qmp import paused_qemu

from genqemu.build import build
from genqemu.errors import ConfigError
from genqemu.importer import import_text
from genqemu.launch import plan
from genqemu.output import to_json


def nic(netdev: dict[str, Any]) -> dict[str, Any]:
    return {"device": [{"kind": "virtio-net", "id": "net0", "netdev": netdev}]}


def netdev_arg(netdev: dict[str, Any], syntax: str = "qemuopts") -> str:
    options = plan(build(nic(netdev), "amd64", settings=TEST_SETTINGS), syntax).options
    (argument,) = [o[1] for o in options if o[0] == "-netdev"]
    return argument


@pytest.fixture
def short_tmp() -> Iterator[Path]:
    """Unix socket paths hold 107 bytes: keep the folder short."""
    with tempfile.TemporaryDirectory(prefix="gq-") as folder:
        yield Path(folder)


RENDERED = [
    (
        {"type": "stream", "server": True, "path": "/run/a,b.sock"},
        "stream,id=netdev-net0,server=on,addr.type=unix,addr.path=/run/a,,b.sock",
        {"server": True, "addr": {"type": "unix", "path": "/run/a,b.sock"}},
    ),
    (
        {"type": "stream", "host": "::1", "port": 5555},
        "stream,id=netdev-net0,addr.type=inet,addr.host=::1,addr.port=5555",
        {"addr": {"type": "inet", "host": "::1", "port": "5555"}},  # QAPI: a string
    ),
    (
        {"type": "dgram", "local_path": "/l", "remote_path": "/r"},
        "dgram,id=netdev-net0,local.type=unix,local.path=/l,remote.type=unix,remote.path=/r",
        {"local": {"type": "unix", "path": "/l"}, "remote": {"type": "unix", "path": "/r"}},
    ),
    (
        {"type": "dgram", "remote_host": "230.0.0.1", "remote_port": 1234},
        "dgram,id=netdev-net0,remote.type=inet,remote.host=230.0.0.1,remote.port=1234",
        {"remote": {"type": "inet", "host": "230.0.0.1", "port": "1234"}},
    ),
    (
        {"type": "socket", "udp": "10.0.0.2:4000", "localaddr": "10.0.0.1:4000"},
        "socket,id=netdev-net0,udp=10.0.0.2:4000,localaddr=10.0.0.1:4000",
        {"udp": "10.0.0.2:4000", "localaddr": "10.0.0.1:4000"},
    ),
    (
        {"type": "socket", "listen": ":5000"},
        "socket,id=netdev-net0,listen=:5000",
        {"listen": ":5000"},
    ),
    (
        {"type": "bridge", "br": "virbr0", "helper": "/usr/lib/qemu/qemu-bridge-helper"},
        "bridge,id=netdev-net0,br=virbr0,helper=/usr/lib/qemu/qemu-bridge-helper",
        {"br": "virbr0", "helper": "/usr/lib/qemu/qemu-bridge-helper"},
    ),
    ({"type": "bridge"}, "bridge,id=netdev-net0", {}),
]


@pytest.mark.parametrize(("netdev", "qemuopts", "document"), RENDERED)
def test_each_netdev_renders_in_both_syntaxes(
    netdev: dict[str, Any], qemuopts: str, document: dict[str, Any]
) -> None:
    assert netdev_arg(netdev) == qemuopts
    expected = {"type": netdev["type"], "id": "netdev-net0", **document}
    assert json.loads(netdev_arg(netdev, "json")) == expected


@pytest.mark.parametrize("syntax", ["qemuopts", "json"])
@pytest.mark.parametrize(("netdev", "qemuopts", "document"), RENDERED)
def test_import_types_each_netdev(
    netdev: dict[str, Any], qemuopts: str, document: dict[str, Any], syntax: str
) -> None:
    """`genqemu import` gives back the netdev table, not extra_args."""
    launch = plan(build(nic(netdev), "amd64", settings=TEST_SETTINGS), syntax)
    result = import_text(to_json(launch))
    assert "extra_args" not in result.config
    assert result.config["device"][0]["netdev"] == netdev


REFUSED = [
    ({"type": "stream"}, "device[0].netdev", "set path (a unix socket) or host and port"),
    ({"type": "stream", "host": "h"}, "device[0].netdev.port", "required with host"),
    ({"type": "stream", "path": "/s", "port": 1}, "device[0].netdev.path", "not both"),
    ({"type": "stream", "host": "a b", "port": 1}, "device[0].netdev.host", "a host name"),
    ({"type": "stream", "host": "h", "port": 70000}, "device[0].netdev.port", "<= 65535"),
    ({"type": "stream", "path": ""}, "device[0].netdev.path", "cannot be empty"),
    ({"type": "dgram", "local_path": "/l"}, "device[0].netdev", "set remote_path"),
    (
        {"type": "dgram", "remote_path": "/r"},
        "device[0].netdev.local_path",
        "required: this end's address",
    ),
    (
        {"type": "dgram", "remote_host": "10.0.0.1", "remote_port": 9},
        "device[0].netdev.local_host",
        "only a multicast remote_host needs none",
    ),
    (
        {"type": "dgram", "remote_path": "/r", "local_host": "h", "local_port": 1},
        "device[0].netdev.local_host",
        "must both be unix sockets or both UDP",
    ),
    ({"type": "dgram", "remote_host": "h"}, "device[0].netdev.remote_port", "required with"),
    ({"type": "socket"}, "device[0].netdev", "exactly one of listen, connect, mcast or udp"),
    (
        {"type": "socket", "listen": ":1", "connect": "h:1"},
        "device[0].netdev",
        "(got listen, connect)",
    ),
    ({"type": "socket", "connect": "[::1]:5"}, "device[0].netdev.connect", "no IPv6"),
    ({"type": "socket", "connect": "h:99999"}, "device[0].netdev.connect", "1..65535"),
    ({"type": "socket", "connect": "h:0"}, "device[0].netdev.connect", "1..65535"),
    ({"type": "socket", "listen": ":70000"}, "device[0].netdev.listen", "0..65535"),
    ({"type": "socket", "connect": "h"}, "device[0].netdev.connect", "write HOST:PORT"),
    ({"type": "socket", "udp": "h:1"}, "device[0].netdev.localaddr", "required with udp"),
    (
        {"type": "socket", "udp": "h:1", "localaddr": "h"},
        "device[0].netdev.localaddr",
        "required with udp",
    ),
    (
        {"type": "socket", "listen": ":1", "localaddr": "h"},
        "device[0].netdev.localaddr",
        "only with mcast or udp",
    ),
    ({"type": "bridge", "br": "br,0"}, "device[0].netdev.br", "an interface name"),
    ({"type": "bridge", "br": "a" * 16}, "device[0].netdev.br", "1-15 characters"),
    ({"type": "bridge", "bridge": "br0"}, "device[0].netdev.bridge", "unknown key"),
]


@pytest.mark.parametrize(("netdev", "path", "message"), REFUSED)
def test_refusals_name_the_key_and_the_fix(netdev: dict[str, Any], path: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        build(nic(netdev), "amd64", settings=TEST_SETTINGS)
    found = caught.value.problems
    assert any(where == path and message in text for where, text in found), found


def _free_port(kind: int = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.qemu
@pytest.mark.parametrize("syntax", ["qemuopts", "json"])
def test_qemu_starts_the_tcp_and_udp_forms_and_connects(syntax: str, short_tmp: Path) -> None:
    """QEMU 7.2 starts every form paused; the stream client reaches the socket
    this test listens on, and QEMU says so (`info network`)."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(short_tmp / "peer.sock"))
    listener.listen(1)
    udp = _free_port(socket.SOCK_DGRAM)
    netdevs = [
        {"type": "stream", "path": str(short_tmp / "peer.sock")},
        {"type": "stream", "server": True, "host": "127.0.0.1", "port": _free_port()},
        {"type": "dgram", "remote_host": "127.0.0.1", "remote_port": udp}
        | {"local_host": "127.0.0.1", "local_port": _free_port(socket.SOCK_DGRAM)},
        {"type": "dgram", "remote_host": "230.0.0.1", "remote_port": udp},
        {"type": "socket", "udp": f"127.0.0.1:{udp}"}
        | {"localaddr": f"127.0.0.1:{_free_port(socket.SOCK_DGRAM)}"},
        {"type": "socket", "mcast": f"230.0.0.1:{udp}", "localaddr": "127.0.0.1"},
        {"type": "socket", "connect": f"127.0.0.1:{_free_port()}"},
    ]
    raw = {
        "machine": {"accel": "tcg"},
        "device": [{"kind": "virtio-net", "netdev": n} for n in netdevs],
    }
    vm = build(raw, "amd64", settings=TEST_SETTINGS)
    with listener, paused_qemu([qemu_binary(vm.binary), *plan(vm, syntax).argv[1:]]) as qmp:
        listener.settimeout(10)
        peer, _ = listener.accept()
        # QEMU 7.2 shows a connected stream client by its peer's address, once
        # its main loop has seen the connection complete.
        connected = f"{vm.devices[0].backend_id}: index=0,type=stream,unix:{short_tmp}/peer.sock"
        with peer:
            found = qmp.devices()
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                network = qmp.execute("human-monitor-command", **{"command-line": "info network"})
                if connected in network:
                    break
                time.sleep(0.05)
    assert all(found.get(d.id) == d.driver for d in vm.devices), found
    assert connected in network


@pytest.mark.qemu
def test_qemu_takes_the_bridge_options_and_runs_the_helper(short_tmp: Path) -> None:
    """A bridge needs qemu-bridge-helper (setuid), a host bridge and
    /etc/qemu/bridge.conf, which a sandbox lacks: QEMU 7.2 parses the option,
    runs the helper the config names and fails only because the helper does."""
    helper = short_tmp / "helper"
    helper.write_text(f'#!/bin/sh\necho "$@" > {short_tmp}/args\nexit 1\n')
    helper.chmod(0o755)
    raw = nic({"type": "bridge", "br": "br-test", "helper": str(helper)})
    vm = build({"machine": {"accel": "tcg"}, **raw}, "amd64", settings=TEST_SETTINGS)
    for syntax in ("qemuopts", "json"):
        argv = [qemu_binary(vm.binary), *plan(vm, syntax).argv[1:], "-S", "-display", "none"]
        result = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
        assert result.returncode != 0
        assert "bridge helper failed" in result.stderr, result.stderr
        assert "--br=br-test" in (short_tmp / "args").read_text()
