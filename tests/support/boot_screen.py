"""Screenshots of a booted guest's framebuffer console, through QMP screendump.

The boot test of an example with a graphics adapter (SCREEN_EXAMPLE) runs
QEMU with -S and a QMP socket of its own, and tells the guest's init
`genqemu.screen` on the kernel command line. It takes a first picture before
the guest runs a single instruction (QEMU's own placeholder: nothing of the
guest yet), lets it run, and when the init says on the serial console that it
has printed its line on the framebuffer console (tests/support/boot_init.sh,
which then waits 3 s of guest time), pauses the VM, takes the second picture,
and lets the guest go on to its device view and power-off. The pause stops
guest time, so the init's wait cannot run out while the test is slow.

Pictures are PPM for the checks (a header and raw RGB: no decoder needed) and
PNG for docs/screens/<arch>.png where QEMU has screendump's format argument
(7.1 and later), written with the boot tests' --update-boot-docs.
"""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from .boot_docs import DOC
from .qmp import QemuFailed, Qmp, _connect

SCREEN_EXAMPLE = "desktop"
SCREEN_APPEND = " genqemu.screen"
READY = "genqemu-init: screen ready"
SCREENS = DOC.parent / "screens"


@dataclass(frozen=True)
class Picture:
    """A screendump: its size and raw RGB pixels."""

    width: int
    height: int
    pixels: bytes

    @classmethod
    def read_ppm(cls, path: Path) -> Picture:
        data = path.read_bytes()
        fields = data.split(maxsplit=4)  # P6, width, height, maxval, pixels
        assert fields[0] == b"P6", fields[:4]
        width, height = int(fields[1]), int(fields[2])
        return cls(width, height, data[len(data) - 3 * width * height :])

    def colours(self) -> int:
        """How many different colours (at most 3 counted: enough to say not blank)."""
        seen: set[bytes] = set()
        for start in range(0, len(self.pixels), 3):
            seen.add(self.pixels[start : start + 3])
            if len(seen) > 2:
                break
        return len(seen)


@dataclass(frozen=True)
class Screens:
    """The pictures of one boot: before the guest ran, and of its console."""

    before: Picture | None
    console: Picture | None
    png: Path | None


def screen_boot(
    argv: list[str], cwd: Path, log: Path, timeout: float
) -> tuple[str, str, str, Screens]:
    """Boot with the screenshot handshake: (exit status, console, failure text, pictures)."""
    sock = cwd / "screen-qmp.sock"
    full = [
        *argv,
        "-S",
        "-chardev",
        f"socket,id=genqemu-screen-qmp,path={sock},server=on,wait=off",
        "-mon",
        "chardev=genqemu-screen-qmp,mode=control",
    ]
    before = console_picture = png = None
    with subprocess.Popen(
        full, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=cwd
    ) as qemu:
        try:
            with _connect(sock, qemu, timeout) as connection:
                qmp = Qmp(connection)
                before = _dump(qmp, cwd / "before.ppm")
                qmp.execute("cont")
                deadline = time.monotonic() + timeout
                while qemu.poll() is None and time.monotonic() < deadline:
                    if READY in (log.read_text(errors="replace") if log.exists() else ""):
                        qmp.execute("stop")
                        console_picture = _dump(qmp, cwd / "console.ppm")
                        png = _png(qmp, cwd / "console.png")
                        qmp.execute("cont")
                        break
                    time.sleep(0.1)
                qemu.wait(timeout=max(1.0, deadline - time.monotonic()))
        except (QemuFailed, OSError, subprocess.TimeoutExpired):
            pass
        if qemu.poll() is None:
            qemu.kill()
        _, stderr = qemu.communicate()
    console = log.read_text(errors="replace") if log.exists() else ""
    status = str(qemu.returncode)
    context = f"QEMU exit status {status}, stderr:\n{stderr.decode(errors='replace')}\n"
    return status, console, context + f"console:\n{console}", Screens(before, console_picture, png)


def _dump(qmp: Qmp, path: Path) -> Picture:
    qmp.execute("screendump", filename=str(path))
    return Picture.read_ppm(path)


def _png(qmp: Qmp, path: Path) -> Path | None:
    """A PNG screendump, or None where QEMU has no format argument (before 7.1)."""
    try:
        qmp.execute("screendump", filename=str(path), format="png")
    except QemuFailed:
        return None
    return path


def check_screens(screens: Screens, context: str) -> None:
    """The console picture is there, is not blank, and is not the first one."""
    assert screens.before is not None, f"no picture before the guest ran; {context}"
    assert screens.console is not None, f"the init never said its screen was ready; {context}"
    assert screens.console.colours() >= 2, "the guest's console picture is blank"
    assert screens.console != screens.before, "the console picture is the one before the boot"


def keep_screen(arch: str, screens: Screens) -> None:
    """docs/screens/<arch>.png: the PNG of this boot (--update-boot-docs)."""
    assert screens.png is not None, "this QEMU has no PNG screendump"
    SCREENS.mkdir(exist_ok=True)
    (SCREENS / f"{arch}.png").write_bytes(screens.png.read_bytes())
