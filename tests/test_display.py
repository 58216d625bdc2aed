"""[display]: -display none by default, VNC and SPICE servers that answer, the SPICE agent."""

from __future__ import annotations

import os
import socket
import struct
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from conftest import QEMU_VERSIONS, qemu_binary, short_tmp  # noqa: F401  (fixture)

from genqemu.build import build
from genqemu.errors import ConfigError
from genqemu.launch import plan

BASE: dict[str, Any] = {"memory": {"size": "256M"}, "stopped": True}


def options(raw: dict[str, Any], arch: str = "amd64") -> list[tuple[str, ...]]:
    return [tuple(o) for o in plan(build({**BASE, **raw}, arch)).options]


def problems(raw: dict[str, Any], arch: str = "amd64") -> list[tuple[str, str]]:
    with pytest.raises(ConfigError) as error:
        build({**BASE, **raw}, arch)
    return error.value.problems


def test_no_display_is_display_none_and_vnc_has_no_window() -> None:
    assert ("-display", "none") in options({})
    found = options({"display": {"type": "vnc", "display": 3, "addr": "[::1]"}})
    assert ("-display", "none") in found and ("-vnc", "vnc=[::1]:3") in found


def test_a_password_is_read_from_a_file_never_written() -> None:
    found = options({"display": {"type": "vnc", "unix": "/r/v,s", "password_file": "/p,w"}})
    assert ("-object", "secret,id=display-secret,file=/p,,w") in found
    assert ("-vnc", "vnc=unix:/r/v,,s,password-secret=display-secret") in found
    spice = options({"display": {"type": "spice", "port": 5930}})
    assert ("-spice", "port=5930,disable-ticketing=on") in spice


def test_windows_take_their_options() -> None:
    gtk = {"type": "gtk", "full_screen": True, "zoom_to_fit": False}
    found = options({"display": gtk, "vga": "std"})
    assert ("-display", "gtk,full-screen=on,zoom-to-fit=off") in found


def test_gtk_full_screen_needs_a_graphics_adapter() -> None:
    """QEMU 7.2 and 10.0 crash (SIGSEGV) in gtk full screen with nothing to show."""
    gtk = {"type": "gtk", "full_screen": True}
    ((where, message),) = problems({"display": gtk})
    assert where == "display.full_screen" and "SIGSEGV" in message and "vga" in message
    assert problems({"display": gtk, "vga": "none"})
    assert options({"display": gtk, "device": [{"kind": "virtio-gpu"}]}, "arm64")
    assert options({"display": gtk, "nodefaults": False})  # the machine's own card
    assert options({"display": {"type": "gtk"}})  # not in full screen: an empty window


@pytest.mark.parametrize(
    ("display", "path", "says"),
    [
        ({"type": "vnc"}, "display", "set exactly one of display"),
        ({"type": "vnc", "display": 1, "unix": "/s"}, "display", "set exactly one of display"),
        ({"type": "vnc", "unix": "/s", "addr": "[::1]"}, "display.addr", "has no address"),
        ({"type": "spice"}, "display", "set port, tls_port or unix"),
        ({"type": "spice", "unix": "/s", "port": 1}, "display.port", "has no port"),
        ({"type": "spice", "port": 1, "x509_dir": "/x"}, "display.x509_dir", "set tls_port"),
        ({"type": "spice", "port": 1, "gl": True}, "display.gl", "local only"),
        ({"type": "vnc", "unix": "/" + "s" * 120}, "display.unix", "107 bytes"),
        ({"type": "dbus", "p2p": True, "addr": "unix:path=/s"}, "display.p2p", "remove addr"),
    ],
)
def test_bad_displays_name_the_key(display: dict[str, Any], path: str, says: str) -> None:
    ((where, message),) = problems({"display": display})
    assert where == path and says in message


def test_nographic_refuses_a_screen_and_the_agent_needs_spice() -> None:
    ((where, message),) = problems({"nographic": True, "display": {"type": "vnc", "display": 0}})
    assert where == "nographic" and "remove nographic" in message
    assert options({"nographic": True, "display": {"type": "none"}})
    agent = {"device": [{"kind": "virtio-serial"}, {"kind": "spice-agent"}]}
    ((where, message),) = problems(agent)
    assert where == "device[1]" and 'type = "spice"' in message


def test_a_display_in_extra_args_replaces_the_default_but_not_a_typed_one() -> None:
    found = options({"extra_args": ["-display", "curses"]})
    assert ("-display", "none") not in found and ("-display", "curses") in found
    typed = {"display": {"type": "none"}, "extra_args": ["-display", "curses"]}
    ((where, message),) = problems(typed)
    assert where == "extra_args[0]" and "'display'" in message


@contextmanager
def started(raw: dict[str, Any], version: str, wait_for: Path) -> Iterator[None]:
    argv = [qemu_binary("qemu-system-x86_64", version)]
    argv += [word for option in options(raw) for word in option]
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while not wait_for.exists():
            if process.poll() is not None:
                pytest.fail(process.stderr.read().decode() if process.stderr else "exited")
            assert time.monotonic() < deadline, "no socket"
            time.sleep(0.1)
        yield
    finally:
        process.kill()
        process.wait()


def _connect(path: Path) -> socket.socket:
    client = socket.socket(socket.AF_UNIX)
    client.settimeout(30)
    client.connect(str(path))
    return client


@pytest.mark.parametrize("version", QEMU_VERSIONS)
def test_vnc_answers_the_rfb_handshake(short_tmp: Path, version: str) -> None:  # noqa: F811
    sock, secret = short_tmp / "vnc", short_tmp / "pw"
    secret.write_text("s3cret")
    display = {"type": "vnc", "unix": str(sock), "password_file": str(secret)}
    with started({"display": display}, version, sock), _connect(sock) as client:
        assert client.recv(12) == b"RFB 003.008\n"


def _spice_available(version: str) -> bool:
    binary = qemu_binary("qemu-system-x86_64", version)
    out = subprocess.run([binary, "-spice", "help"], capture_output=True, text=True, timeout=60)
    return "no option group" not in out.stderr


@pytest.mark.parametrize("version", QEMU_VERSIONS)
def test_spice_answers_its_link_handshake(short_tmp: Path, version: str) -> None:  # noqa: F811
    if not _spice_available(version):
        pytest.skip(f"QEMU {version} as unpacked here has no SPICE module")
    sock = short_tmp / "spice"
    raw = {
        "display": {"type": "spice", "unix": str(sock)},
        "device": [{"kind": "virtio-serial"}, {"kind": "spice-agent"}],
    }
    # SpiceLinkHeader (magic, major 2, minor 2, size) + SpiceLinkMess for the main channel.
    mess = struct.pack("<IBBIII", 0, 1, 0, 0, 0, 18)
    with started(raw, version, sock), _connect(sock) as client:
        client.sendall(b"REDQ" + struct.pack("<III", 2, 2, len(mess)) + mess)
        assert client.recv(4) == b"REDQ"


# Every key of the window and render displays, set: QEMU must parse them all.
EVERY_KEY: list[dict[str, Any]] = [
    {"type": "gtk", "full_screen": True, "gl": True, "grab_on_hover": True},
    {"type": "gtk", "zoom_to_fit": True, "window_close": False},
    {"type": "sdl", "full_screen": True, "gl": False, "grab_mod": "rctrl", "window_close": False},
    {"type": "egl-headless", "rendernode": "/dev/dri/renderD128"},
    {"type": "dbus", "p2p": True, "gl": False},
    {"type": "dbus", "addr": "unix:path=/nonexistent/bus", "gl": True, "rendernode": "/dev/null"},
    {"type": "spice", "port": 5999, "tls_port": 5998, "x509_dir": "/nonexistent", "addr": "::1"},
    {"type": "vnc", "display": 99, "addr": "127.0.0.1", "websocket": 5799},
]
# The displays that open a window (qemu-system-gui): every key must start them.
_WINDOWS = {"gtk", "sdl"}
# What a host without a desktop, a GPU or the module says after the options parsed.
_NOT_HERE = (
    "is not available",
    "render node",
    "failed to connect to DBus",
    "Could not connect",
    "Could not load certificates",
)


@pytest.mark.parametrize("version", QEMU_VERSIONS)
@pytest.mark.parametrize("display", EVERY_KEY, ids=lambda d: str(d["type"]))
def test_every_display_key_parses(
    display: dict[str, Any], version: str, request: pytest.FixtureRequest
) -> None:
    argv = [qemu_binary("qemu-system-x86_64", version)]
    card = {"vga": "std"} if display["type"] in _WINDOWS else {}  # gtk: something to show
    argv += [word for option in options({"display": display, **card}) for word in option]
    argv += ["-qmp", "stdio"]
    env = dict(os.environ)
    if display["type"] in _WINDOWS:  # opened for real, on a private Xvfb
        env["DISPLAY"] = request.getfixturevalue("x_server").display
        env.pop("WAYLAND_DISPLAY", None)
    done = subprocess.run(
        argv,
        input='{"execute":"qmp_capabilities"}{"execute":"quit"}',
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    if display["type"] in _WINDOWS:
        # Started with every key: QMP greeted. (gtk with full-screen=on and no
        # graphics console at all, as here, then dies of SIGSEGV on Xvfb, 7.2 and
        # 10.0 alike; with a display adapter it runs: tests/test_display_window.py.)
        assert '"QMP"' in done.stdout, done.stderr
        failed = ("unexpected", "Invalid parameter", "initialization failed", "Could not init")
        assert not any(reason in done.stderr for reason in failed), done.stderr
    elif done.returncode != 0:
        said = done.stderr
        assert any(reason in said for reason in _NOT_HERE), said
        assert "unexpected" not in said and "Invalid parameter" not in said, said


def test_import_types_display_and_notes_a_missing_one() -> None:
    from genqemu.importer import import_text

    typed = import_text("qemu-system-x86_64 -machine q35 -display gtk,full-screen=on,gl=off")
    assert typed.config["display"] == {"type": "gtk", "full_screen": True, "gl": False}
    assert typed.passthrough == []
    plain = import_text("qemu-system-x86_64 -machine q35 -display none")
    assert "display" not in plain.config and plain.passthrough == []
    bare = import_text("qemu-system-x86_64 -machine q35")
    assert "display" not in bare.config
    assert any("names no display" in note for note in bare.notes)
    curses = import_text("qemu-system-x86_64 -machine q35 -display curses")
    assert curses.config["extra_args"] == ["-display", "curses"]
    served = import_text("qemu-system-x86_64 -machine q35 -vnc unix:/run/v,websocket=5700")
    assert served.config["display"] == {"type": "vnc", "unix": "/run/v", "websocket": 5700}
    assert served.passthrough == []
    assert not any("names no display" in note for note in served.notes)
    tcp = import_text("qemu-system-x86_64 -machine q35 -display none -vnc [::1]:2")
    assert tcp.config["display"] == {"type": "vnc", "addr": "[::1]", "display": 2}
    spice = import_text(
        "qemu-system-x86_64 -machine q35 -spice unix=on,addr=/run/s,disable-ticketing=on"
    )
    assert spice.config["display"] == {"type": "spice", "unix": "/run/s"}
    # All interfaces (genqemu's default is 127.0.0.1), a password: as written.
    for option in ("-vnc :0", "-spice port=5900,password-secret=s0"):
        kept = import_text(f"qemu-system-x86_64 -machine q35 {option}")
        assert "display" not in kept.config


def test_a_vnc_address_is_a_host_name_or_ip_and_ipv6_comes_in_brackets() -> None:
    """Found by CI's hostile run: genqemu bracketed any address with a ':' in it."""
    for addr in ("::1", ":", '{"driver":"x"}'):
        ((path, message),) = problems({"display": {"type": "vnc", "display": 0, "addr": addr}})
        assert path == "display.addr"
        assert "an IPv6 address in brackets" in message


def test_a_vnc_socket_path_with_an_equals_sign_stays_a_path() -> None:
    """The first value of -vnc is written as vnc=...: unix:/a=b alone would read as
    a key 'unix:/a' (found by CI's hostile run)."""
    found = options({"display": {"type": "vnc", "unix": "/r/a=b"}})
    assert ("-vnc", "vnc=unix:/r/a=b") in found
