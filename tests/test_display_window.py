"""The gtk and sdl displays open a real window showing the guest's screen.

Each arch's desktop example, its [display] set to gtk or sdl, is rendered by
genqemu and started paused on each QEMU version with DISPLAY on a private
Xvfb (tests/support/xserver.py). The VM's window must appear at the top level
with QEMU's title for a paused VM, as wide as the guest's framebuffer (QMP's
screendump says how big that is), and show what screendump shows: the
framebuffer's pixels, row for row, read from Xvfb's screen file.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from conftest import (
    ARCHES,
    QEMU_VERSIONS,
    REPO,
    TEST_SETTINGS,
    qemu_binary,
    runs_on,
)
from support.localize import localize
from support.qmp import QemuFailed, Qmp, _connect
from support.swtpm import prestarted
from support.xserver import Window, XServer, top_windows, xwd_pixels

from genqemu.build import build
from genqemu.launch import plan
from genqemu.run import copy_templates
from genqemu.tomlfile import read_toml

pytestmark = pytest.mark.qemu

DESKTOPS = [
    f"{arch}/{path.stem}"
    for arch in ARCHES
    for path in sorted((REPO / "examples" / arch).glob("desktop*.toml"))
]
CASES = [
    pytest.param(qemu, example, display, id=f"qemu{qemu}-{example.replace('/', '.')}-{display}")
    for qemu in QEMU_VERSIONS
    for example in DESKTOPS
    for display in ("gtk", "sdl")
    if runs_on(example, qemu)
]
# What QEMU's window says while the VM is paused (-S): gtk names the VM,
# SDL the VM and the console's index.
TITLES = {"gtk": "QEMU ({name}) [Paused]", "sdl": "QEMU ({name}-0) [Stopped]"}
WINDOW_TIMEOUT = 30.0


def windowed(raw: dict[str, Any], display: str) -> dict[str, Any]:
    """The desktop with its screen in a window: SPICE's own channels (the agent,
    usb-redir on a spicevmc chardev) go with SPICE."""
    spice = {c["id"] for c in raw.get("chardev", []) if c.get("backend") == "spicevmc"}
    raw["chardev"] = [c for c in raw.get("chardev", []) if c["id"] not in spice]
    raw["device"] = [
        d for d in raw["device"] if d["kind"] != "spice-agent" and d.get("chardev") not in spice
    ]
    raw["display"] = {"type": display}
    return raw


def has_display(binary: str, display: str) -> bool:
    """Whether this QEMU can open `display` (Debian: the qemu-system-gui package)."""
    listing = subprocess.run([binary, "-display", "help"], capture_output=True, text=True)
    return display in listing.stdout.split()


def wait_for_window(server: XServer, title: str, process: subprocess.Popen[bytes]) -> Window:
    """The top-level window titled `title`, once QEMU has opened it."""
    deadline = time.monotonic() + WINDOW_TIMEOUT
    while time.monotonic() < deadline:
        for window in top_windows(server.display):
            if window.title == title:
                return window
        if process.poll() is not None:
            raise QemuFailed(f"QEMU exited with {process.returncode} before its window")
        time.sleep(0.1)
    seen = [w.title for w in top_windows(server.display)]
    raise AssertionError(f"no window {title!r} within {WINDOW_TIMEOUT}s; windows: {seen}")


def read_ppm(path: Path) -> tuple[int, int, list[bytes]]:
    """Width, height and RGB rows of a binary PPM (QMP screendump's format)."""
    data = path.read_bytes()
    magic, width, height, depth, pixels = data.split(maxsplit=4)
    assert (magic, depth) == (b"P6", b"255")
    w, h = int(width), int(height)
    return w, h, [pixels[3 * w * y : 3 * w * (y + 1)] for y in range(h)]


@pytest.mark.parametrize(("qemu", "example", "display"), CASES)
def test_the_window_shows_the_guest(
    qemu: str, example: str, display: str, x_server: XServer
) -> None:
    arch = example.split("/")[0]
    with tempfile.TemporaryDirectory(prefix="gq-") as folder:
        tmp = Path(folder)
        raw, _ = localize(read_toml(REPO / "examples" / f"{example}.toml"), arch, tmp)
        vm = build(windowed(raw, display), arch, example, TEST_SETTINGS._replace(qemu_version=qemu))
        launch = plan(vm, "qemuopts")
        assert launch.argv[launch.argv.index("-display") + 1] == display
        assert not launch.fds
        copy_templates(launch)
        binary = qemu_binary(vm.binary, qemu)
        assert has_display(binary, display), (
            f"QEMU {qemu} ({binary}) has no {display} display: install qemu-system-gui "
            "(the README's test command does)"
        )
        title = TITLES[display].format(name=vm.config.name)
        with (
            prestarted(launch),
            windowed_qemu([binary, *launch.argv[1:]], x_server, tmp) as (
                qmp,
                process,
            ),
        ):
            window = wait_for_window(x_server, title, process)
            qmp.execute("screendump", filename=str(tmp / "screen.ppm"))
            width, height, rows = read_ppm(tmp / "screen.ppm")
            assert window.width == width, (window, width, height)
            # gtk has its menu bar above the screen, sdl only the screen.
            assert window.height == height if display == "sdl" else window.height > height
            area = Window(title, width, height, window.x, window.y + window.height - height)
            assert _shows(x_server, area, rows), f"{title} does not show the guest's screen"


@contextmanager
def windowed_qemu(
    argv: list[str], x_server: XServer, tmp: Path
) -> Iterator[tuple[Qmp, subprocess.Popen[bytes]]]:
    """QEMU started paused on `x_server`, QMP on a socket in `tmp`; quit, or
    killed after a failure, on the way out."""
    qmp_path = tmp / "qmp.sock"
    full = [
        *argv,
        "-S",
        "-chardev",
        f"socket,id=genqemu-test-qmp,path={qmp_path},server=on,wait=off",
        "-mon",
        "chardev=genqemu-test-qmp,mode=control",
    ]
    env = {
        **os.environ,
        "DISPLAY": x_server.display,
        "GDK_BACKEND": "x11",
        "SDL_VIDEODRIVER": "x11",
        "NO_AT_BRIDGE": "1",  # no accessibility bus to wait for
    }
    env.pop("WAYLAND_DISPLAY", None)
    with (tmp / "qemu.stderr").open("wb") as stderr:
        process = subprocess.Popen(
            full, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr, env=env
        )
    try:
        with _connect(qmp_path, process, WINDOW_TIMEOUT) as sock:
            qmp = Qmp(sock)
            yield qmp, process
            qmp.execute("quit")
        process.wait(timeout=WINDOW_TIMEOUT)
    except (QemuFailed, AssertionError) as error:
        text = (tmp / "qemu.stderr").read_text(errors="replace").strip()
        raise type(error)(f"{error}\nQEMU's stderr: {text}") from error
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def _shows(server: XServer, area: Window, rows: list[bytes]) -> bool:
    """Whether the screen holds `rows` at `area`, once the window has drawn them."""
    deadline = time.monotonic() + WINDOW_TIMEOUT
    while time.monotonic() < deadline:
        if xwd_pixels(server.screen_file, area) == rows:
            return True
        time.sleep(0.1)
    return False
