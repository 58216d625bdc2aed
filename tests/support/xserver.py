"""A private X server (Xvfb) and what its windows are: for the tests that open
QEMU's gtk and sdl windows (tests/test_display_window.py).

Xvfb picks a free display itself (-displayfd), so parallel runs never clash,
and keeps its screen in a file (-fbdir, an XWD image), which is how a test
reads the pixels a window shows without a screenshot tool.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import NamedTuple

SCREEN = (1280, 1024)
# One line of `xwininfo -root -tree`: 0x400003 "title": ("res" "Class")  640x505+0+0  +0+0
_WINDOW = re.compile(
    r'^\s+(0x[0-9a-f]+) "(?P<title>(?:[^"\\]|\\.)*)":.*?'
    r"\s(?P<w>\d+)x(?P<h>\d+)[+-]-?\d+[+-]-?\d+\s+\+(?P<x>-?\d+)\+(?P<y>-?\d+)\s*$"
)


class XServer(NamedTuple):
    """A running Xvfb: DISPLAY's value and the XWD file that holds its screen."""

    display: str
    screen_file: Path


class Window(NamedTuple):
    """A top-level window: its title, size, and where it is on the screen."""

    title: str
    width: int
    height: int
    x: int
    y: int


def missing_tools() -> list[str]:
    """The X tools these tests run that are not installed (make test installs them)."""
    return [tool for tool in ("Xvfb", "xwininfo") if shutil.which(tool) is None]


@contextmanager
def xvfb(timeout: float = 20.0) -> Iterator[XServer]:
    """Xvfb on a free display, stopped on the way out (also after a failure)."""
    with tempfile.TemporaryDirectory(prefix="gq-xvfb-") as folder:
        read_end, write_end = os.pipe()
        width, height = SCREEN
        process = subprocess.Popen(
            [
                "Xvfb",
                "-displayfd",
                str(write_end),
                "-screen",
                "0",
                f"{width}x{height}x24",
                "-fbdir",
                folder,
                "-nolisten",
                "tcp",
            ],
            pass_fds=(write_end,),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        os.close(write_end)
        try:
            number = _read_display(read_end, process, timeout)
            yield XServer(f":{number}", Path(folder) / "Xvfb_screen0")
        finally:
            os.close(read_end)
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            if process.stderr:
                process.stderr.close()


def _read_display(fd: int, process: subprocess.Popen[bytes], timeout: float) -> str:
    """The display number Xvfb writes on -displayfd once it accepts clients."""
    os.set_blocking(fd, False)
    text = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with suppress(BlockingIOError):
            text += os.read(fd, 64)
        if text.endswith(b"\n"):
            return text.decode().strip()
        if process.poll() is not None:
            error = process.stderr.read().decode(errors="replace") if process.stderr else ""
            raise RuntimeError(f"Xvfb exited with {process.returncode}: {error.strip()}")
        time.sleep(0.02)
    raise RuntimeError(f"Xvfb named no display within {timeout}s")


def top_windows(display: str) -> list[Window]:
    """The root window's children that have a title, as xwininfo lists them (with
    no window manager, an application's windows are the root's children)."""
    listing = subprocess.run(
        ["xwininfo", "-root", "-children", "-display", display],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    found = []
    for line in listing.splitlines():
        match = _WINDOW.match(line)
        if match:
            w, h, x, y = (int(match[key]) for key in ("w", "h", "x", "y"))
            found.append(Window(match["title"], w, h, x, y))
    return found


def xwd_pixels(path: Path, window: Window) -> list[bytes]:
    """The rows of `window`'s rectangle in Xvfb's screen file, as RGB bytes."""
    data = path.read_bytes()
    header = [int.from_bytes(data[i : i + 4], "big") for i in range(0, 100, 4)]
    header_size, width, height = header[0], header[4], header[5]
    byte_order, bits_per_pixel, bytes_per_line = header[7], header[11], header[12]
    assert (byte_order, bits_per_pixel) == (0, 32), "not Xvfb's 24-bit screen (LSBFirst, 32 bpp)"
    ncolors = header[19]
    assert (width, height) == SCREEN
    start = header_size + 12 * ncolors
    rows = []
    for y in range(window.y, window.y + window.height):
        line = data[start + y * bytes_per_line : start + (y + 1) * bytes_per_line]
        pixels = line[4 * window.x : 4 * (window.x + window.width)]
        rgb = bytearray(3 * window.width)  # 32-bit little-endian TrueColor: B, G, R, unused
        rgb[0::3], rgb[1::3], rgb[2::3] = pixels[2::4], pixels[1::4], pixels[0::4]
        rows.append(bytes(rgb))
    return rows
